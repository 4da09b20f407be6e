"""Queries on `pending_conversations`: the half of a person's credentials remembered for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingConversation


def _of(platform: str, team_id: str | None, user_id: str) -> tuple:  # type: ignore[type-arg]
    return (
        PendingConversation.platform == platform,
        PendingConversation.team_id == team_id,
        PendingConversation.user_id == user_id,
    )


async def current(
    session: AsyncSession, *, platform: str, team_id: str | None, user_id: str, now: datetime
) -> PendingConversation | None:
    """The person's remembered half, unless it has expired."""
    return await session.scalar(
        select(PendingConversation).where(*_of(platform, team_id, user_id), PendingConversation.expires_at > now)
    )


async def forget(session: AsyncSession, *, platform: str, team_id: str | None, user_id: str) -> None:
    await session.execute(delete(PendingConversation).where(*_of(platform, team_id, user_id)))


async def forget_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(delete(PendingConversation).where(PendingConversation.expires_at <= now))
    return result.rowcount or 0
