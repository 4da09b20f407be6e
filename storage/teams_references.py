"""Queries on `teams_references`: where the bot can reach a Teams user, chat, channel or team."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TeamsReference
from storage.upsert import insert_or_update


async def remember(session: AsyncSession, *, key: str, values: Mapping[str, object], changes: Mapping[str, object]) -> None:
    """Insert the reference under `key`, or update the one there with `changes`."""
    await insert_or_update(session, TeamsReference, values={"key": key, **values}, index_elements=["key"], set_=changes)


async def get(session: AsyncSession, *, key: str) -> TeamsReference | None:
    return await session.scalar(select(TeamsReference).where(TeamsReference.key == key))


async def names(session: AsyncSession, *, user_ids: set[str]) -> dict[str, str]:
    """Display names of users the bot has met, by Entra object id."""
    rows = await session.execute(
        select(TeamsReference.user_id, TeamsReference.user_name)
        .where(TeamsReference.kind.in_(("personal", "user")), TeamsReference.user_id.in_(user_ids))
    )
    return {user: name for user, name in rows.all() if user and name}


async def latest_team(session: AsyncSession, *, tenant_id: str | None) -> TeamsReference | None:
    """The most recently seen team reference (of this tenant, when given)."""
    statement = select(TeamsReference).where(TeamsReference.kind == "team")
    if tenant_id:
        statement = statement.where(TeamsReference.tenant_id == tenant_id)
    return await session.scalar(statement.order_by(TeamsReference.updated_at.desc()).limit(1))
