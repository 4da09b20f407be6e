"""Claiming inbound deliveries once: the database decides, so retries and replicas agree."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery, utcnow
from storage.upsert import insert_ignoring_conflict


async def claim(session: AsyncSession, *, platform: str, delivery_id: str) -> bool:
    """True for the first claim of this delivery id, False for every repeat."""
    return await insert_ignoring_conflict(
        session, InboundDelivery,
        values={"platform": platform, "delivery_id": delivery_id[:200], "received_at": utcnow()},
        index_elements=["platform", "delivery_id"],
    )


async def forget_older_than(session: AsyncSession, *, days: int = 7) -> int:
    result = await session.execute(
        delete(InboundDelivery).where(InboundDelivery.received_at < utcnow() - timedelta(days=days))
    )
    return result.rowcount or 0
