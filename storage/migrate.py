"""Applying Alembic migrations from code: `tokendesk migrate`, `serve` at start, and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade the database to `revision`; returns (revision before, revision after)."""
    async with engine.begin() as conn:
        before = await conn.run_sync(_current)
        await conn.run_sync(_upgrade, revision)
        after = await conn.run_sync(_current)
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
