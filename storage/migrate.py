"""Applying Alembic migrations from code: `tokendesk migrate`, `serve` at start, and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


#: Key of the PostgreSQL advisory lock that serialises migrations of replicas starting together.
MIGRATION_LOCK = 0x746F6B656E64  # "tokend"


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade the database to `revision`; returns (revision before, revision after).

    On PostgreSQL, replicas starting at once take turns (a transaction-level advisory lock), so
    the second finds the schema done instead of racing the first to create it."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite migrations that change a constraint rebuild the table (batch mode: copy, DROP,
            # rename). With foreign keys on, that DROP deletes every row pointing at the table
            # (checks and alerts cascade). The pragma only works outside a transaction: set it
            # first, check the keys before committing, and turn them back on after.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                before = await conn.run_sync(_current)
                await conn.run_sync(_upgrade, revision)
                after = await conn.run_sync(_current)
                if sqlite and (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first() is not None:
                    raise RuntimeError("migration left rows pointing at rows that are gone; nothing was changed")
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()
    return before, after or revision


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def _current(sync_conn) -> str | None:  # type: ignore[no-untyped-def]
    return MigrationContext.configure(sync_conn).get_current_revision()


def _upgrade(sync_conn, revision: str) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config()
    config.attributes["connection"] = sync_conn
    command.upgrade(config, revision)


def run_upgrade(engine: AsyncEngine) -> tuple[str | None, str]:
    return asyncio.run(upgrade(engine))
