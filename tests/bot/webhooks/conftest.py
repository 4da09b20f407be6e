"""Fixtures for the webhook tests: a fake clock, a verifying receiver, links and their transitions."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.standins.webhook_receiver import Receiver
from handlers.alerts import queue
from handlers.model import Alert, AlertKind, LinkCard
from storage.db import create_engine, session_factory
from storage.links import set_state, store_credentials
from storage.migrate import upgrade
from storage.models import Link, LinkState, utcnow

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
TOKENS = {"hr@acme.nl": "a1" * 16, "payroll@beta.nl": "b2" * 16}


class FakeClock:
    """Ahead of real time, so rows written with the real clock are already due."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[Receiver]:
    server = Receiver(key=KEY, clock=clock).start()
    yield server
    server.stop()


@pytest.fixture
async def sqlite_sessions(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(sqlite_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


_keys = itertools.count(1)


async def make_link(sessions, cipher, username: str, environment: str = "acme") -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        stored = await store_credentials(
            session, cipher, username=username, token=TOKENS[username], environment=environment,
            state=LinkState.ACTIVE, platform="slack", team_id="T1", user_id="U1",
            debtors=[{"id": 1, "number": 101, "name": "Acme Holding"}],
            companies=[{"id": 7, "number": 1, "name": "<!channel> B.V.", "debtor_id": 1}],
            scope_digest="d1",
        )
        return stored.link.id


async def transition(  # type: ignore[no-untyped-def]
    sessions, link_id: int, kind: AlertKind, *, state: LinkState | None = None,
    details: dict[str, Any] | None = None, key: str | None = None,
) -> bool:
    async with sessions() as session, session.begin():
        link = await session.get(Link, link_id)
        assert link is not None
        if state is not None:
            set_state(link, state)
        return await queue(
            session, Alert(kind, LinkCard.of(link), details or {}), key=key or f"link:{link_id}:{kind}:{next(_keys)}"
        )
