"""Queries on `alerts`, the outbox: queueing under an idempotency key, claiming and reading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AlertRecord, utcnow
from storage.upsert import insert_ignoring_conflict


async def add(session: AsyncSession, *, key: str, kind: str, link_id: int | None, payload: Mapping[str, Any]) -> bool:
    """Queue an alert unless one with the same key exists; True when it is new."""
    return await insert_ignoring_conflict(
        session, AlertRecord,
        values={"key": key[:200], "kind": kind, "link_id": link_id, "payload": dict(payload),
                "created_at": utcnow(), "attempts": 0},
        index_elements=["key"],
    )


async def unsent(session: AsyncSession, *, max_attempts: int, limit: int, after_id: int = 0) -> Sequence[AlertRecord]:
    """Alerts still to send, oldest first, leaving out those given up on (and those up to `after_id`)."""
    return (await session.scalars(
        select(AlertRecord)
        .where(AlertRecord.sent_at.is_(None), AlertRecord.attempts < max_attempts, AlertRecord.id > after_id)
        .order_by(AlertRecord.id)
        .limit(limit)
    )).all()


async def claim(session: AsyncSession, *, alert_id: int, now: datetime, claim_for: timedelta) -> bool:
    """Take an unsent alert for `claim_for`; False when another replica holds it or sent it."""
    claimed = await session.execute(
        update(AlertRecord)
        .where(
            AlertRecord.id == alert_id,
            AlertRecord.sent_at.is_(None),
            (AlertRecord.claimed_until.is_(None)) | (AlertRecord.claimed_until < now),
        )
        .values(claimed_until=now + claim_for)
    )
    return claimed.rowcount == 1


async def latest(session: AsyncSession, *, limit: int) -> Sequence[AlertRecord]:
    return (await session.scalars(select(AlertRecord).order_by(AlertRecord.id.desc()).limit(limit))).all()


async def count_sent_since(session: AsyncSession, *, since: datetime) -> int:
    return await session.scalar(
        select(func.count()).select_from(AlertRecord).where(AlertRecord.sent_at >= since)) or 0


async def count_unsent(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count()).select_from(AlertRecord).where(AlertRecord.sent_at.is_(None))) or 0
