"""Claiming inbound deliveries once: the database decides, so retries and replicas agree."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery, utcnow


async def claim(session: AsyncSession, *, platform: str, delivery_id: str) -> bool:
    """True for the first claim of this delivery id, False for every repeat."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(InboundDelivery)
        .values(platform=platform, delivery_id=delivery_id[:200], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
        .returning(InboundDelivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def forget_older_than(session: AsyncSession, *, days: int = 7) -> int:
    result = await session.execute(
        delete(InboundDelivery).where(InboundDelivery.received_at < utcnow() - timedelta(days=days))
    )
    return result.rowcount or 0
