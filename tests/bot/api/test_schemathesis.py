"""Property-based requests from the API's own OpenAPI document (schemathesis), against the live server.

Bounded to a few dozen examples per operation so it runs in seconds; it must find no server error
and no response that disagrees with the document."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from storage.apikeys import create_key
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.links import revoke, store_credentials
from storage.migrate import upgrade
from storage.models import LinkState
from tests.bot.api.conftest import app_with_api
from tests.bot.api.server import serving


async def _prepare(database_url: str, cipher: TokenCipher) -> str:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            for n, state in enumerate(LinkState, start=1):
                stored = await store_credentials(
                    session, cipher, username=f"user{n}@acme.nl", token=f"{n:02x}" * 16, environment="acme",
                    state=state, platform="slack", team_id="T1", user_id="U1",
                )
                if state == LinkState.REVOKED:
                    revoke(stored.link)
            return (await create_key(session, name="schemathesis")).key
    finally:
        await engine.dispose()


@pytest.fixture
def live_api(sqlite_url: str, cipher: TokenCipher) -> Iterator[tuple[str, str]]:
    """(base URL of /api/v1, a valid key) on a server holding one link in each state."""
    key = asyncio.run(_prepare(sqlite_url, cipher))
    engine = create_engine(sqlite_url)
    with serving(app_with_api(session_factory(engine), cipher, []), on_shutdown=engine.dispose) as base:
        yield f"{base}/api/v1", key


# schemathesis' own pytest integration (from_fixture) does not run on pytest 9 yet, so hypothesis is
# driven here directly: every operation of the served document, valid and invalid inputs.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_document(live_api: tuple[str, str], mode: GenerationMode) -> None:
    base_url, key = live_api
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")

    @schema.auth()
    class ApiKeyAuth:
        # Declared as the auth, schemathesis also probes each operation without it and with a bad key.
        def get(self, case, context) -> str:  # type: ignore[no-untyped-def]
            return key

        def set(self, case, data: str, context) -> None:  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4  # the three link operations and GET /migration
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(base_url=base_url)

        conforms()
