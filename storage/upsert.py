"""INSERT … ON CONFLICT, written once for both dialects we run on (PostgreSQL and SQLite)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession, model: Any) -> Any:
    # Both dialects spell ON CONFLICT the same way in SQLAlchemy, but through their own Insert class.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def insert_ignoring_conflict(
    session: AsyncSession, model: Any, *, values: Mapping[str, Any], index_elements: Sequence[str]
) -> bool:
    """Insert the row unless one with the same unique key exists; True when this call inserted it."""
    [key] = model.__table__.primary_key.columns
    statement = (
        _insert(session, model).values(**values)
        .on_conflict_do_nothing(index_elements=list(index_elements))
        .returning(key)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def insert_many_ignoring_conflict(
    session: AsyncSession, model: Any, *, rows: Sequence[Mapping[str, Any]], index_elements: Sequence[str],
    returning: Any,
) -> list[Any]:
    """Insert these rows in one statement, skipping those whose unique key exists (also a repeat
    within `rows`); the `returning` column of each row inserted."""
    if not rows:
        return []
    statement = (
        _insert(session, model).values([dict(row) for row in rows])
        .on_conflict_do_nothing(index_elements=list(index_elements))
        .returning(returning)
    )
    return list((await session.execute(statement)).scalars())


async def insert_or_update(
    session: AsyncSession,
    model: Any,
    *,
    values: Mapping[str, Any],
    index_elements: Sequence[str],
    set_: Mapping[str, Any],
    where: ColumnElement[bool] | None = None,
    returning: Any = None,
) -> Any:
    """Insert the row, or on a unique-key conflict update the existing one with `set_` (only where
    `where` holds). Returns the `returning` column of the row written, None when nothing was."""
    statement = _insert(session, model).values(**values).on_conflict_do_update(
        index_elements=list(index_elements), set_=dict(set_), where=where,
    )
    if returning is None:
        await session.execute(statement)
        return None
    return (await session.execute(statement.returning(returning))).scalar_one_or_none()
