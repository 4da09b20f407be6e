"""The Desk: what every tokendesk process holds (settings, database, cipher, Nmbrs gateway and its
limiter). Its own module so the parts that take one (Slack, Teams, the scheduler) need not import
the composition root (bot.app) that builds them."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.nmbrs import CallLimiter, NmbrsGateway
from storage.cipher import TokenCipher


@dataclass
class Desk:
    """Everything a running tokendesk holds; built once per process, passed down explicitly."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher
    limiter: CallLimiter
    gateway: NmbrsGateway
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    async def aclose(self) -> None:
        await self._stack.aclose()
