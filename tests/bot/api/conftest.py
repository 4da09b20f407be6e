"""Fixtures for the hand-off API: the API mounted at /api/v1 under uvicorn, keys, and links in every state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from bot.api import api_mount, build_api
from storage.apikeys import create_key
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.links import revoke, store_credentials
from storage.models import Link, LinkState
from tests.bot.api.server import serving

TOKENS = {
    "active@acme.nl": "ac" * 16,
    "broken@acme.nl": "b0" * 16,
    "pending@acme.nl": "9e" * 16,
    "rejected@acme.nl": "4e" * 16,
    "revoked@acme.nl": "7e" * 16,
    "unverified@beta.nl": "5a" * 16,
}


@dataclass
class Api:
    url: str
    """Base URL of the API, ending in /api/v1."""
    reads: list[str] = field(default_factory=list)
    """What on_credentials_read was told, in order."""

    def client(self, key: str | None = None) -> httpx.AsyncClient:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)


def app_with_api(sessions, cipher: TokenCipher, reads: list[str]) -> FastAPI:  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.router.routes.append(api_mount(build_api(sessions=sessions, cipher=cipher, on_credentials_read=reads.append)))
    return app


@pytest.fixture
async def api(database_url: str, sessions, cipher: TokenCipher) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    # The server gets its own engine: it runs in uvicorn's event loop, the test's sessions in the test's.
    engine = create_engine(database_url)
    reads: list[str] = []
    with serving(app_with_api(session_factory(engine), cipher, reads), on_shutdown=engine.dispose) as base:
        yield Api(url=f"{base}/api/v1", reads=reads)


@pytest.fixture
async def key(sessions) -> str:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        return (await create_key(session, name="payroll sync")).key


@pytest.fixture
async def links(sessions, cipher: TokenCipher) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One link per state, by state name (unverified in environment beta, the rest in acme)."""
    ids: dict[str, int] = {}
    async with sessions() as session, session.begin():
        for username, token in TOKENS.items():
            state = LinkState(username.split("@")[0])
            stored = await store_credentials(
                session, cipher, username=username, token=token,
                environment=None if state == LinkState.PENDING else username.split("@")[1].split(".")[0],
                state=LinkState.ACTIVE if state == LinkState.REVOKED else state, platform="slack",
                team_id="T1", user_id="U1", debtors=[{"id": 1, "number": 101, "name": "Acme Holding"}],
                companies=[{"id": 7, "number": 1, "name": "Acme B.V.", "debtor_id": 1}],
            )
            link: Link = stored.link
            if state == LinkState.REVOKED:
                revoke(link)
            if state == LinkState.BROKEN:
                link.last_reason, link.last_fault_code = "credentials", 1001
            ids[str(state)] = link.id
    return ids
