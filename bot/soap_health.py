"""/healthz's `soap` line: what the last nightly run said about the SOAP API as a whole (handlers.recheck.switchoff).

Never a failing check: a switched-off SOAP API (or a wrong TOKENDESK_NMBRS_URL) is news for the operator, not a
reason to restart the desk, and the database has its own check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.text.offer_text import soap_summary
from storage import soap_signs

READ_TIMEOUT_S = 3.0


def soap_check(
    sessions: async_sessionmaker[AsyncSession], *, timeout_s: float = READ_TIMEOUT_S
) -> Callable[[], Awaitable[tuple[bool, str]]]:
    """A /healthz check (bot.web.HealthCheck) reading the latest finished run's SOAP verdict."""

    async def read() -> tuple[int, dict[str, Any]] | None:
        async with sessions() as session:
            return await soap_signs.latest_counts(session)

    async def check() -> tuple[bool, str]:
        try:
            found = await asyncio.wait_for(read(), timeout_s)
        except Exception as exc:  # noqa: BLE001 - the database check names the database's trouble
            return True, f"unknown ({type(exc).__name__})"
        return True, soap_summary(*found) if found is not None else soap_summary(None, {})

    return check
