"""Queries for "SOAP looks switched off": a run's SOAP checks and its switch-off signs, the signs still
waiting for the run's verdict, and the verdict of earlier runs (kept in `recheck_runs.counts`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Check, Link, LinkKind, RecheckRun

#: Under `recheck_runs.counts`: {"verdict": "switched_off" | "answering" | None, "checks": n, "signs": m}.
COUNTS_KEY = "soap"
#: Finished runs read at a time while looking back for the last verdict.
_PAGE = 50


async def signs_in_run(session: AsyncSession, *, run_id: int, reasons: Collection[str]) -> tuple[int, int]:
    """(SOAP checks of the run that asked Nmbrs, those whose reason is one of `reasons`); confirming
    attempts and faults on our side (outcome error) are not counted."""
    soap = Link.kind == str(LinkKind.SOAP)
    row = (await session.execute(
        select(func.count(), func.count().filter(Check.reason.in_(list(reasons))))
        .select_from(Check).join(Link, Link.id == Check.link_id)
        .where(Check.run_id == run_id, Check.trigger == "recheck", Check.outcome != "error", soap)
    )).one()
    return int(row[0] or 0), int(row[1] or 0)


async def waiting_in_run(session: AsyncSession, *, run_id: int, reason: str) -> Sequence[tuple[int, int]]:
    """(check id, link id) of the run's checks with `reason` that no later check of the same link followed."""
    later = aliased(Check)
    newer = exists().where(and_(later.link_id == Check.link_id, later.id > Check.id))
    rows = await session.execute(
        select(Check.id, Check.link_id)
        .where(Check.run_id == run_id, Check.trigger == "recheck", Check.reason == reason, ~newer)
        .order_by(Check.link_id)
    )
    return [(int(check_id), int(link_id)) for check_id, link_id in rows.all()]


async def last_verdict(session: AsyncSession, *, before_run_id: int) -> str | None:
    """The SOAP verdict of the latest finished run before this one that reached one (runs with too few
    SOAP checks to tell are skipped); None when no run ever did."""
    below = before_run_id
    while True:
        page = (await session.execute(
            select(RecheckRun.id, RecheckRun.counts)
            .where(RecheckRun.status == "finished", RecheckRun.id < below)
            .order_by(RecheckRun.id.desc()).limit(_PAGE)
        )).all()
        for run_id, counts in page:
            soap = (counts or {}).get(COUNTS_KEY)
            if isinstance(soap, dict) and soap.get("verdict"):
                return str(soap["verdict"])
            below = run_id
        if len(page) < _PAGE:
            return None


async def latest_counts(session: AsyncSession) -> tuple[int, dict[str, Any]] | None:
    """(run id, its SOAP counts) of the latest finished run; None before the first. Counts are {} for a run
    finished before runs kept them."""
    row = (await session.execute(
        select(RecheckRun.id, RecheckRun.counts).where(RecheckRun.status == "finished")
        .order_by(RecheckRun.id.desc()).limit(1)
    )).first()
    if row is None:
        return None
    soap = (row[1] or {}).get(COUNTS_KEY)
    return int(row[0]), dict(soap) if isinstance(soap, dict) else {}
