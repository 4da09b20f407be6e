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


async def test_replicas_migrating_an_empty_postgresql_at_once(postgres_admin_url: str) -> None:
    import asyncio

    from bench.postgres import create_database
    from storage.db import create_engine

    url = create_database(postgres_admin_url)
    engines = [create_engine(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(upgrade(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(before or "" for before, _ in results)[0] == ""  # one of them built the schema
    assert all(after == head_revision() for _, after in results)
    assert sum(1 for before, _ in results if before is None) == 1
