"""The composition root: builds settings, engine, cipher, Nmbrs gateway and chat apps, and wires them."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.nmbrs import CallLimiter, NmbrsGateway
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.keyfile import load_cipher
from storage.migrate import upgrade

if TYPE_CHECKING:  # the metrics module pulls in handlers; only its type is needed here
    from bot.metrics import Metrics

log = logging.getLogger(__name__)


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


def build_gateway(settings: Settings, limiter: CallLimiter, *, metrics: Metrics | None = None) -> NmbrsGateway:
    return NmbrsGateway(
        base_url=settings.nmbrs_url,
        limiter=limiter,
        connect_timeout_s=settings.nmbrs_connect_timeout_s,
        read_timeout_s=settings.nmbrs_read_timeout_s,
        retries=settings.nmbrs_retries,
        on_call=metrics.nmbrs_call if metrics is not None else None,
    )


async def build_desk(settings: Settings, *, migrate: bool = True, metrics: Metrics | None = None) -> Desk:
    """Open the database (migrating it), load the keys and build the Nmbrs gateway (whose calls
    `metrics`, when given, times)."""
    stack = AsyncExitStack()
    engine = create_engine(settings.database_url)
    stack.push_async_callback(engine.dispose)
    try:
        if migrate:
            before, after = await upgrade(engine)
            if before != after:
                log.info("database migrated from %s to %s", before or "empty", after)
        cipher = load_cipher(
            keys=settings.keys.get_secret_value() if settings.keys else None,
            database_url=settings.database_url,
        )
        limiter = CallLimiter(settings.recheck_concurrency, settings.nmbrs_rate)
        gateway = build_gateway(settings, limiter, metrics=metrics)
        stack.push_async_callback(gateway.aclose)
    except BaseException:
        await stack.aclose()
        raise
    return Desk(
        settings=settings, engine=engine, sessions=session_factory(engine), cipher=cipher,
        limiter=limiter, gateway=gateway, _stack=stack,
    )
