"""Copying a whole tokendesk database to another one (SQLite → PostgreSQL), ids and ciphertexts intact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base

BATCH = 1000


class CopyError(Exception):
    """The copy cannot start (e.g. the target already holds data); nothing was written."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    rest_links: int = 0
    """REST links copied: their refresh tokens are single use, so only one desk may run on them."""

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def copy_database(
    source: AsyncEngine, target: AsyncEngine, *, progress: Callable[[int, int], None] | None = None
) -> CopyReport:
    """Copy every table in dependency order within one target transaction: all or nothing.

    Ids are kept because each token's ciphertext is bound to its link's id. `progress(done, total)`
    hears the rows copied after each batch written (total counted in the source first)."""
    if await current_revision(source) != head_revision():
        await upgrade(source)
    await upgrade(target)
    tables = Base.metadata.sorted_tables
    report = CopyReport()
    async with target.begin() as dst:
        for table in tables:
            if await dst.scalar(select(func.count()).select_from(table)):
                raise CopyError(f"the target database already has rows in {table.name}; copy into an empty database")
        async with source.connect() as src:
            total = 0
            if progress is not None:
                for table in tables:
                    total += await src.scalar(select(func.count()).select_from(table)) or 0
                progress(0, total)
            for table in tables:
                copied = 0
                result = await src.stream(select(table).order_by(*table.primary_key.columns))
                async for chunk in result.mappings().partitions(BATCH):
                    await dst.execute(insert(table), [dict(row) for row in chunk])
                    copied += len(chunk)
                    if progress is not None:
                        progress(report.total + copied, total := max(total, report.total + copied))
                report.rows[table.name] = copied
            links = Base.metadata.tables["links"]
            report.rest_links = await src.scalar(
                select(func.count()).select_from(links).where(links.c.kind == "rest")) or 0
            if progress is not None:
                progress(report.total, max(total, report.total))
        if dst.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; move each to the highest copied id.
            for table in tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
                    await dst.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                        f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                    ))
    return report
