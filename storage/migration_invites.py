"""Queries on `migration_invites`: claim a SOAP link's invite (at most once per period, one
conditional statement so two support people pressing at once send one), and when it may be re-sent."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MigrationInvite
from storage.upsert import insert_ignoring_conflict


async def claim(session: AsyncSession, *, soap_link_id: int, by: str, now: datetime, every: timedelta) -> str | None:
    """Record an invite of this link now and return its round, unless it was invited less than
    `every` ago (None)."""
    round_ = secrets.token_hex(8)
    values = {"invited_at": now, "invited_by": by[:128], "round": round_}
    if await insert_ignoring_conflict(session, MigrationInvite, values={"soap_link_id": soap_link_id, **values},
                                      index_elements=["soap_link_id"]):
        return round_
    result = await session.execute(
        update(MigrationInvite)
        .where(MigrationInvite.soap_link_id == soap_link_id, MigrationInvite.invited_at <= now - every)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return round_ if result.rowcount == 1 else None  # type: ignore[attr-defined]


async def next_allowed(session: AsyncSession, *, soap_link_id: int, every: timedelta) -> datetime | None:
    """When this link's customer may be invited again (None: now)."""
    found = await session.get(MigrationInvite, soap_link_id, populate_existing=True)
    return found.invited_at + every if found is not None else None
