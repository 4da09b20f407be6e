"""Claiming inbound deliveries once: the database decides, so retries and replicas agree."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery, utcnow
from storage.upsert import insert_ignoring_conflict, insert_many_ignoring_conflict


async def claim(session: AsyncSession, *, platform: str, delivery_id: str) -> bool:
    """True for the first claim of this delivery id, False for every repeat."""
    return await insert_ignoring_conflict(
        session, InboundDelivery,
        values={"platform": platform, "delivery_id": delivery_id[:200], "received_at": utcnow()},
        index_elements=["platform", "delivery_id"],
    )


async def claim_many(session: AsyncSession, *, platform: str, delivery_ids: list[str]) -> set[str]:
    """Claim many delivery ids in one statement; the ids this call claimed first (as given)."""
    now = utcnow()
    cut = {delivery_id[:200]: delivery_id for delivery_id in delivery_ids}
    claimed = await insert_many_ignoring_conflict(
        session, InboundDelivery, rows=[{"platform": platform, "delivery_id": short, "received_at": now}
                                        for short in cut],
        index_elements=["platform", "delivery_id"], returning=InboundDelivery.delivery_id,
    )
    return {cut[short] for short in claimed}


#: How long a delivery id is remembered: Slack retries within the hour and Teams within minutes,
#: so a day is ample; older ids only grow the table.
KEEP_FOR = timedelta(days=1)
#: A bound on the table whatever the traffic (a burst of a million events must not stay a million rows).
KEEP_AT_MOST = 50_000


async def prune(session: AsyncSession, *, keep_for: timedelta = KEEP_FOR, keep_at_most: int = KEEP_AT_MOST) -> int:
    """Forget delivery ids older than `keep_for`, then all but the newest `keep_at_most`; the count deleted."""
    old = await session.execute(delete(InboundDelivery).where(InboundDelivery.received_at < utcnow() - keep_for))
    deleted = old.rowcount or 0
    # The time of the newest row past the bound: everything received then or earlier goes.
    cutoff = await session.scalar(
        select(InboundDelivery.received_at).order_by(InboundDelivery.received_at.desc())
        .offset(keep_at_most).limit(1)
    )
    if cutoff is not None:
        over = await session.execute(delete(InboundDelivery).where(InboundDelivery.received_at <= cutoff))
        deleted += over.rowcount or 0
    return deleted
