"""Queries on `recheck_runs`: requesting, resuming and finding re-check runs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.links import HOLDS_TOKEN
from storage.models import Check, Link, RecheckRun
from storage.upsert import insert_ignoring_conflict

UNFINISHED = ("queued", "running")


async def request(session: AsyncSession, *, slot: str, trigger: str, now: datetime) -> bool:
    """Queue the run of a scheduled slot unless it is queued already; True when this call did."""
    return await insert_ignoring_conflict(
        session, RecheckRun,
        values={"started_at": now, "status": "queued", "trigger": trigger[:16], "slot": slot, "counts": {}},
        index_elements=["slot"],
    )


async def unfinished(session: AsyncSession) -> Sequence[RecheckRun]:
    """Queued and running runs, oldest first."""
    return (await session.scalars(
        select(RecheckRun).where(RecheckRun.status.in_(UNFINISHED)).order_by(RecheckRun.id)
    )).all()


async def first_unfinished(session: AsyncSession) -> RecheckRun | None:
    return await session.scalar(
        select(RecheckRun).where(RecheckRun.status.in_(UNFINISHED)).order_by(RecheckRun.id).limit(1)
    )


async def last_finished(session: AsyncSession) -> RecheckRun | None:
    return await session.scalar(
        select(RecheckRun).where(RecheckRun.status == "finished")
        .order_by(RecheckRun.finished_at.desc(), RecheckRun.id.desc()).limit(1)
    )


async def finished_before(session: AsyncSession, *, run_id: int) -> datetime | None:
    """When the latest finished run other than `run_id` finished."""
    return await session.scalar(
        select(RecheckRun.finished_at).where(RecheckRun.status == "finished", RecheckRun.id != run_id)
        .order_by(RecheckRun.finished_at.desc()).limit(1)
    )


async def trigger_of(session: AsyncSession, *, run_id: int) -> str | None:
    return await session.scalar(select(RecheckRun.trigger).where(RecheckRun.id == run_id))


async def links_left(session: AsyncSession, *, run_id: int) -> list[int]:
    """Links holding a token that this run has not checked yet (a resumed run skips the others)."""
    done_in_run = exists().where(Check.link_id == Link.id, Check.run_id == run_id, Check.trigger == "recheck")
    return list((await session.scalars(
        select(Link.id).where(*HOLDS_TOKEN, ~done_in_run).order_by(Link.id)
    )).all())


async def last_finished_at(session: AsyncSession, *, excluding_triggers: Collection[str]) -> datetime | None:
    """When the latest finished run whose trigger is not among `excluding_triggers` finished."""
    return await session.scalar(
        select(func.max(RecheckRun.finished_at)).where(
            RecheckRun.status == "finished", RecheckRun.trigger.not_in(excluding_triggers)
        )
    )

