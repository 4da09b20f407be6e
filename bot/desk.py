"""The Desk: what every tokendesk process holds (settings, database, cipher, Nmbrs gateway and its
limiter). Its own module so the parts that take one (Slack, Teams, the scheduler) need not import
the composition root (bot.app) that builds them."""

from __future__ import annotations

from contextlib import AsyncExitStack
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.nmbrs.rest import RestGateway
from handlers.offer import Offering
from handlers.recheck.rest import RestTokens
from handlers.revocations import Revocations
from storage.cipher import TokenCipher
from storage.models import utcnow

if TYPE_CHECKING:
    from handlers.alerts import Outbox


@dataclass
class Desk:
    """Everything a running tokendesk holds; built once per process, passed down explicitly."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher
    limiter: CallLimiter
    gateway: NmbrsGateway
    rest: RestGateway | None = None
    """The REST gateway, when REST links are configured (Settings.rest_enabled)."""
    clock: Callable[[], datetime] = utcnow
    """Today, for the way to connect (`offering`): tests move it past TOKENDESK_NMBRS_SOAP_UNTIL."""
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    @property
    def offering(self) -> Offering:
        """Which ways to connect this desk offers: SOAP only, both, or REST only once
        TOKENDESK_NMBRS_SOAP_UNTIL is reached with REST configured (handlers.offer decides)."""
        return offering_for(self.settings, self.clock)

    async def aclose(self) -> None:
        await self._stack.aclose()


def offering_for(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Offering:
    """The desk's way to connect from its settings: REST configured (as the REST gateway is built),
    and the SOAP stop date."""
    return Offering(rest=settings.rest_enabled, soap_until=settings.nmbrs_soap_until, clock=clock)


def rest_tokens(desk: Desk, **options: Any) -> RestTokens | None:
    """The one way REST tokens are refreshed in this process (nightly check and hand-off alike),
    its lease longer than a refresh's whole budget: connect + read timeout per attempt, and margin."""
    if desk.rest is None:
        return None
    settings = desk.settings
    budget = (settings.nmbrs_connect_timeout_s + settings.nmbrs_read_timeout_s) * (settings.nmbrs_retries + 1) + 30
    return RestTokens(sessions=desk.sessions, cipher=desk.cipher, gateway=desk.rest, lease_s=budget,
                      clock=options.get("clock", utcnow))


def revocations_for(desk: Desk, outbox: "Outbox | None", **options: Any) -> Revocations | None:
    """The revocation queue's use cases (RFC 7009 at Nmbrs), when REST links are configured."""
    if desk.rest is None:
        return None
    return Revocations(sessions=desk.sessions, cipher=desk.cipher, gateway=desk.rest, outbox=outbox,
                       clock=options.get("clock", utcnow))
