"""The audit log: every support command, refusal and hand-off of credentials, written and read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def audit(
    session: AsyncSession,
    *,
    platform: str,
    actor: str,
    action: str,
    team_id: str | None = None,
    link_id: int | None = None,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        platform=platform, actor=actor, action=action, team_id=team_id, link_id=link_id,
        result=result, detail=detail or {}, client_address=client_address,
    )
    session.add(entry)
    return entry


async def recent_for_link(session: AsyncSession, *, link_id: int, limit: int) -> tuple[Sequence[AuditEntry], int]:
    """The link's latest `limit` audit entries, newest first, and how many it has in all."""
    found = (await session.scalars(
        select(AuditEntry).where(AuditEntry.link_id == link_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )).all()
    total = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.link_id == link_id)) or 0
    return found, total


async def latest(session: AsyncSession, *, limit: int) -> Sequence[AuditEntry]:
    return (await session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))).all()
