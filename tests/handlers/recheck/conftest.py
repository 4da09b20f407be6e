"""Fixtures for the nightly re-check: the Nmbrs stand-in, a test-controlled clock, links to seed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.alerts import Outbox
from handlers.model import Alert
from handlers.recheck import Recheck, RecheckPolicy
from handlers.recheck.values import MigrationSummary
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.links import store_credentials
from storage.migrate import upgrade
from storage.models import Link, LinkState

START = datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)


def token_for(n: int) -> str:
    return f"{n:08x}" + "5e" * 12


def user_for(n: int) -> str:
    return f"hr{n}@example{n}.nl"


class RecordingNotifier:
    platform = "slack"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def deliver(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def kinds(self) -> list[str]:
        return [str(a.kind) for a in self.alerts]

    def of(self, kind: str) -> list[Alert]:
        return [a for a in self.alerts if str(a.kind) == kind]


class FakeTime:
    """The clock and sleep the re-check sees: sleeping moves the clock, not the wall."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class Desk:
    """What a test needs to build Recheck instances (several, for crash and replica tests)."""

    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher
    gateway: NmbrsGateway
    nmbrs: NmbrsStandIn
    notifier: RecordingNotifier
    outbox: Outbox
    time: FakeTime
    made: list[Recheck] = field(default_factory=list)

    def recheck(self, *, holder: str = "test:1", sleep: Callable[[float], Awaitable[None]] | None = None,
                concurrency: int = 4, migration_summary: MigrationSummary | None = None, **policy: Any) -> Recheck:
        values: dict[str, Any] = {"confirm_delay_s": 300.0, "unverified_after": 2, "notify_customers": True,
                                  "digest": "changes", "language": "en"}
        values.update(policy)
        recheck = Recheck(
            sessions=self.sessions, cipher=self.cipher, gateway=self.gateway, outbox=self.outbox,
            policy=RecheckPolicy(**values), holder=holder, clock=self.time.clock,
            sleep=sleep or self.time.sleep, concurrency=concurrency, migration_summary=migration_summary,
        )
        self.made.append(recheck)
        return recheck

    def account(self, n: int, *, companies: int = 1, subdomain: str | None = None) -> None:
        self.nmbrs.add_account(
            user_for(n), token_for(n), subdomain or f"env{n}",
            debtors=[StandinDebtor(1000 + n, n, f"Debtor {n}")],
            companies=[StandinCompany(50000 + 10 * n + i, i + 1, f"Company {n}.{i}", debtor_id=1000 + n)
                       for i in range(companies)],
        )

    async def link(self, n: int, *, state: LinkState = LinkState.ACTIVE, environment: str | None = "",
                   user_id: str | None = "U1", scoped: bool = True) -> int:
        """A stored link for account n, as intake would have left it (scope as the stand-in has it)."""
        env = f"env{n}" if environment == "" else environment
        account = self.nmbrs.accounts.get(user_for(n))
        debtors = companies = None
        digest = None
        if scoped and account is not None and env is not None:
            from handlers.model import Company, Debtor, Valid

            valid = Valid(user_for(n), env, tuple(Debtor(d.id, d.number, d.name) for d in account.debtors),
                          tuple(Company(c.id, c.number, c.name) for c in account.companies), 0.0)
            debtors = [d.to_dict() for d in valid.debtors]
            companies = [c.to_dict() for c in valid.companies]
            digest = valid.scope_digest
        async with self.sessions() as session, session.begin():
            stored = await store_credentials(
                session, self.cipher, username=user_for(n), token=token_for(n), environment=env, state=state,
                platform="slack", team_id="T1", user_id=user_id, debtors=debtors, companies=companies,
                scope_digest=digest,
            )
            stored.link.state_changed_at = self.time.now - timedelta(days=3)
            return stored.link.id

    async def get(self, link_id: int) -> Link | None:
        async with self.sessions() as session:
            return await session.get(Link, link_id)


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    nmbrs_server.reset()
    return nmbrs_server


@pytest.fixture
async def gateway(nmbrs: NmbrsStandIn) -> AsyncIterator[NmbrsGateway]:
    # The stand-in is local and never hangs; the timeouts are generous so a loaded CI machine (a garbage-collection
    # pause, two cores shared with PostgreSQL) cannot turn a slow answer into "could not be checked" (seen in CI: L1
    # timed out at 1 s and the crash test counted two "unverified" alerts).
    gw = NmbrsGateway(base_url=nmbrs.base_url, limiter=CallLimiter(8, 1000), retries=0, backoff_s=0.001,
                      connect_timeout_s=10, read_timeout_s=10)
    yield gw
    await gw.aclose()


@pytest.fixture
async def sqlite_sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


def _desk(sessions, cipher, gateway, nmbrs) -> Desk:  # type: ignore[no-untyped-def]
    notifier = RecordingNotifier()
    return Desk(sessions=sessions, cipher=cipher, gateway=gateway, nmbrs=nmbrs, notifier=notifier,
                outbox=Outbox(sessions, [notifier]), time=FakeTime())


@pytest.fixture
def desk(sqlite_sessions, cipher, gateway, nmbrs) -> Desk:  # type: ignore[no-untyped-def]
    """On SQLite: the state machine does not depend on the database."""
    return _desk(sqlite_sessions, cipher, gateway, nmbrs)


@pytest.fixture
def any_desk(sessions, cipher, gateway, nmbrs) -> Desk:  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL: for locking, leases and resuming."""
    return _desk(sessions, cipher, gateway, nmbrs)
