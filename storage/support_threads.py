"""Queries on `support_threads`: the support-channel thread each link's alerts go into, per platform."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SupportThread


async def find(session: AsyncSession, *, link_id: int, platform: str) -> SupportThread | None:
    return await session.scalar(
        select(SupportThread).where(SupportThread.link_id == link_id, SupportThread.platform == platform)
    )


def add(session: AsyncSession, *, link_id: int, platform: str, channel_id: str, thread_id: str) -> SupportThread:
    thread = SupportThread(link_id=link_id, platform=platform, channel_id=channel_id, thread_id=thread_id)
    session.add(thread)
    return thread
