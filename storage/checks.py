"""Queries on `checks`: what re-checks found, per run and per link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Check, Link


async def links_checked_in_run(session: AsyncSession, *, run_id: int) -> int:
    """Links the run has checked (its confirming attempts not counted)."""
    return await session.scalar(
        select(func.count(distinct(Check.link_id))).where(Check.run_id == run_id, Check.trigger == "recheck")
    ) or 0


async def outcomes_in_run(session: AsyncSession, *, run_id: int) -> dict[str, int]:
    rows = (await session.execute(
        select(Check.outcome, func.count())
        .where(Check.run_id == run_id, Check.trigger == "recheck").group_by(Check.outcome)
    )).all()
    return {str(outcome): int(n) for outcome, n in rows}


async def confirmations_in_run(session: AsyncSession, *, run_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(Check).where(Check.run_id == run_id, Check.trigger == "confirm")
    ) or 0


async def transitions(session: AsyncSession, *, run_id: int, single_since: datetime | None) -> Sequence[Any]:
    """State changes made by the run, and by single checks (no run) since `single_since` (all when None)."""
    between = Check.run_id.is_(None)
    if single_since is not None:
        between = between & (Check.checked_at > single_since)
    return (await session.execute(
        select(Check.checked_at, Check.transition, Check.trigger, Check.reason, Link.id, Link.username,
               Link.environment, Link.state, Link.kind)
        .join(Link, Link.id == Check.link_id)
        .where(Check.transition.is_not(None), (Check.run_id == run_id) | between)
        .order_by(Check.checked_at, Check.id)
    )).all()


async def errors_in_run(session: AsyncSession, *, run_id: int) -> Sequence[Any]:
    """Links the run could not check because of a fault on our side."""
    return (await session.execute(
        select(Check.link_id, Check.reason, Link.username, Link.environment, Link.kind)
        .join(Link, Link.id == Check.link_id)
        .where(Check.run_id == run_id, Check.outcome == "error").order_by(Check.link_id)
    )).all()


async def latest_for_link(session: AsyncSession, *, link_id: int) -> Check | None:
    return await session.scalar(
        select(Check).where(Check.link_id == link_id).order_by(Check.checked_at.desc(), Check.id.desc()).limit(1)
    )


async def recent_for_link(session: AsyncSession, *, link_id: int, limit: int) -> tuple[Sequence[Check], int]:
    """The link's latest `limit` checks, newest first, and how many it has in all."""
    found = (await session.scalars(
        select(Check).where(Check.link_id == link_id)
        .order_by(Check.checked_at.desc(), Check.id.desc()).limit(limit)
    )).all()
    total = await session.scalar(select(func.count()).select_from(Check).where(Check.link_id == link_id)) or 0
    return found, total


async def count_by_trigger_and_outcome(
    session: AsyncSession, *, since: datetime | None = None, before: datetime | None = None
) -> list[tuple[str, str, int]]:
    """(trigger, outcome, number) of checks with `since` <= checked_at < `before` (each bound optional);
    the metrics' tally (bot.metrics.CheckTally) counts through the checked_at index."""
    query = select(Check.trigger, Check.outcome, func.count()).group_by(Check.trigger, Check.outcome)
    if before is not None:
        query = query.where(Check.checked_at < before)
    if since is not None:
        query = query.where(Check.checked_at >= since)
    return [(trigger, outcome, n) for trigger, outcome, n in (await session.execute(query)).all()]

