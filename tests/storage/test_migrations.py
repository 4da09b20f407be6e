"""The migrations and the models agree, on SQLite and PostgreSQL, and upgrading twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base


async def test_schema_matches_models(engine) -> None:  # type: ignore[no-untyped-def]
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_upgrade_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    assert await current_revision(engine) == head_revision()
    before, after = await upgrade(engine)
    assert before == after == head_revision()
