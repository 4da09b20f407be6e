"""Queries on `webhook_events`, the integration's outbox: recording, claiming, settling and pruning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import WebhookEvent, WebhookStatus, utcnow
from storage.upsert import insert_ignoring_conflict


async def add(session: AsyncSession, *, values: Mapping[str, Any]) -> bool:
    """Record an event unless one with the same key exists; True when it is new."""
    return await insert_ignoring_conflict(session, WebhookEvent, values=values, index_elements=["key"])


async def list_events(
    session: AsyncSession, *, statuses: Sequence[WebhookStatus], limit: int = 1000
) -> Sequence[WebhookEvent]:
    return (
        await session.scalars(
            select(WebhookEvent).where(WebhookEvent.status.in_([str(s) for s in statuses]))
            .order_by(WebhookEvent.id).limit(limit)
        )
    ).all()


async def count_events(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status))
    counts = {str(status): 0 for status in WebhookStatus}
    counts.update({status: n for status, n in rows.all()})
    return counts


#: Statuses an operator may send again: given up on, or recorded while webhooks were off.
RETRYABLE = (WebhookStatus.FAILED, WebhookStatus.DISABLED)


async def retry_events(session: AsyncSession, *, event_ids: Sequence[int] | None = None) -> int:
    """Queue failed events again (all of them, or the given row ids, failed or disabled); returns how many."""
    statement = update(WebhookEvent).values(
        status=str(WebhookStatus.PENDING), attempts=0, next_attempt_at=utcnow(), claimed_until=None,
    )
    if event_ids is None:
        statement = statement.where(WebhookEvent.status == str(WebhookStatus.FAILED))
    else:
        statement = statement.where(
            WebhookEvent.id.in_(list(event_ids)), WebhookEvent.status.in_([str(s) for s in RETRYABLE])
        )
    result = await session.execute(statement)
    return result.rowcount or 0


async def due(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[int]:
    """Pending events whose time has come and that nobody holds, oldest first."""
    earlier = aliased(WebhookEvent)
    pending = str(WebhookStatus.PENDING)
    # A link's event is due only when no earlier event of that link is still pending; the desk-wide events (no
    # link: soap.switched_off, soap.answering) likewise wait for each other, or a retried switch-off could
    # arrive after the news that SOAP answers again.
    same_subject = or_(
        earlier.link_id == WebhookEvent.link_id, and_(earlier.link_id.is_(None), WebhookEvent.link_id.is_(None))
    )
    blocked = exists().where(and_(same_subject, earlier.status == pending, earlier.id < WebhookEvent.id))
    return (
        await session.scalars(
            select(WebhookEvent.id)
            .where(
                WebhookEvent.status == pending,
                WebhookEvent.next_attempt_at <= now,
                (WebhookEvent.claimed_until.is_(None)) | (WebhookEvent.claimed_until < now),
                ~blocked,
            )
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    ).all()


async def claim(session: AsyncSession, *, row_id: int, now: datetime, claim_for: timedelta) -> WebhookEvent | None:
    """Take a pending event for `claim_for`; None when another replica holds it or it is settled."""
    claimed = await session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.id == row_id,
            WebhookEvent.status == str(WebhookStatus.PENDING),
            (WebhookEvent.claimed_until.is_(None)) | (WebhookEvent.claimed_until < now),
        )
        .values(claimed_until=now + claim_for)
    )
    if claimed.rowcount != 1:
        return None
    return await session.get(WebhookEvent, row_id)


async def settle(session: AsyncSession, *, row_id: int, values: Mapping[str, Any]) -> None:
    """Write what a delivery attempt came to (status, attempts, next attempt, error)."""
    await session.execute(update(WebhookEvent).where(WebhookEvent.id == row_id).values(**values))


async def any_pending(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(WebhookEvent.status == str(WebhookStatus.PENDING)))))


async def disable_pending(session: AsyncSession) -> None:
    """Mark every pending event disabled (webhooks are off; `tokendesk webhooks --retry` sends them later)."""
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.status == str(WebhookStatus.PENDING))
        .values(status=str(WebhookStatus.DISABLED))
    )


async def prune(session: AsyncSession, *, created_before: datetime) -> int:
    """Delete delivered and disabled events created before `created_before`; returns how many."""
    result = await session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.status.in_([str(WebhookStatus.DELIVERED), str(WebhookStatus.DISABLED)]),
            WebhookEvent.created_at < created_before,
        )
    )
    return result.rowcount or 0


async def by_event_id(session: AsyncSession, event_id: str) -> WebhookEvent | None:
    """The event with this public id (evt_…), if any."""
    return await session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event_id))

