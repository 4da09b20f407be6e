"""Alembic environment: runs migrations over tokendesk's async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(config.get_main_option("tokendesk.database_url"))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("tokendesk migrations run online only: use `tokendesk migrate`")
if config.attributes.get("connection") is not None:
    # storage.migrate hands us a connection already inside the app's async engine.
    _run(config.attributes["connection"])
else:
    asyncio.run(_run_with_own_engine())
