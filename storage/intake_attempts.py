"""Queries on `intake_attempts`: each time someone sent credentials, for the rate limit and the
"stuck" alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IntakeAttempt


def _of(platform: str, team_id: str | None, user_id: str) -> tuple:  # type: ignore[type-arg]
    return (IntakeAttempt.platform == platform, IntakeAttempt.team_id == team_id, IntakeAttempt.user_id == user_id)


async def latest_rejections(
    session: AsyncSession, *, platform: str, team_id: str | None, user_id: str, since: datetime, limit: int
) -> Sequence[datetime]:
    """When this person's latest (up to `limit`) rejected attempts since `since` were, newest first."""
    return (await session.scalars(
        select(IntakeAttempt.at)
        .where(*_of(platform, team_id, user_id), IntakeAttempt.outcome == "rejected", IntakeAttempt.at >= since)
        .order_by(IntakeAttempt.at.desc())
        .limit(limit)
    )).all()


async def count_rejections(
    session: AsyncSession, *, platform: str, team_id: str | None, user_id: str, since: datetime
) -> int:
    return await session.scalar(
        select(func.count()).select_from(IntakeAttempt).where(
            *_of(platform, team_id, user_id), IntakeAttempt.outcome == "rejected", IntakeAttempt.at >= since
        )
    ) or 0
