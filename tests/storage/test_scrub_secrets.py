"""Migration 0006 (issue 12 finding 8): tokens already kept in labels, audit details and queued
alerts are masked on upgrade, on SQLite and PostgreSQL; ordinary labels and link ids stay."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.redact import holds_credential, mask_credentials
from storage.db import create_engine, session_factory
from storage.migrate import MIGRATIONS, upgrade
from storage.models import AlertRecord, AuditEntry, Link

HEX = "3f2a9c7e5b1d4f60a8e2c4b6d8f01a2b"
OPAQUE = "Zq8vR2mXk4Lp9Tn7Wc3Yb6Hd1Gf5Js0A"
ORDINARY = ["payroll2026", "team Noord", "Acme B.V. 2026", "L12", "salaris-2026-q1", None]


def _migration():  # type: ignore[no-untyped-def]
    path = MIGRATIONS / "versions" / "0006_scrub_secrets.py"
    spec = importlib.util.spec_from_file_location("scrub_secrets_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Row:
    def __init__(self, id: int) -> None:
        self.id = id


async def _old_link(session: AsyncSession, **values: object) -> int:
    """A link row as the 0005 schema has it: the model of today has columns (kind, REST) that
    later migrations add, so the row goes in through the table as it is in the database."""
    now = datetime.now(timezone.utc)
    table = await session.run_sync(lambda s: Table("links", MetaData(), autoload_with=s.connection()))
    row = {"state": "pending", "platform": "slack", "debtors": [], "companies": [], "failed_checks": 0,
           "created_at": now, "updated_at": now, "state_changed_at": now, **values}
    result = await session.execute(insert(table).values({k: v for k, v in row.items() if k in table.c}))
    return result.inserted_primary_key[0]


async def test_tokens_stored_before_0006_are_masked_and_nothing_else_changes(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0005")
        sessions = session_factory(engine)
        labels = [f"payroll {HEX}", f"`{OPAQUE}`", "token=s3cr3tvalue", *ORDINARY]
        async with sessions() as session, session.begin():
            links = [_Row(await _old_link(session, username=f"hr{k}@acme.nl", environment=f"e{k}", label=label))
                     for k, label in enumerate(labels)]
            session.add_all([
                AuditEntry(platform="slack", actor="U1", action="command.label", link_id=links[0].id,
                           detail={"label": f"payroll {HEX}", "previous": "team Noord"}),
                AuditEntry(platform="slack", actor="U1", action="command.status",
                           detail={"query": f"hr@acme.nl {OPAQUE}", "found": 0, "staff": True}),
                AuditEntry(platform="slack", actor="U1", action="command.label", detail={"label": "payroll2026"}),
            ])
            session.add(AlertRecord(key="k1", kind="labelled", link_id=links[1].id,
                                    payload={"details": {"label": OPAQUE, "by": "U1"}, "nested": [[HEX]]}))
        await upgrade(engine)
        async with sessions() as session:
            stored = (await session.scalars(select(Link.label).order_by(Link.id))).all()
            details = (await session.scalars(select(AuditEntry.detail).order_by(AuditEntry.id))).all()
            payload = await session.scalar(select(AlertRecord.payload))
        assert stored == ["payroll [redacted]", "[redacted]", "token=[redacted]", *ORDINARY]
        assert details == [
            {"label": "payroll [redacted]", "previous": "team Noord"},
            {"query": "hr@acme.nl [redacted]", "found": 0, "staff": True},
            {"label": "payroll2026"},
        ]
        assert payload == {"details": {"label": "[redacted]", "by": "U1"}, "nested": [["[redacted]"]]}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("text", [
    f"payroll {HEX}", f"`{OPAQUE}`", "token=s3cr3tvalue", "Bearer abcdefgh12345678", "xoxb-1234-5678-abcdefghijkl",
    "dG9rZGVzay1zZWNyZXQtMTIzNDU2Nzg5MA==", '"Zq8vR2mXk4Lp9Tn7Wc3Yb6Hd1Gf5Js0A",', *[t for t in ORDINARY if t],
    "NL91ABNA0417164300", "1234567890123456789", "hr@acme.nl", "Q3-2026-payroll-run",
])
def test_the_migration_masks_what_the_commands_refuse(text: str) -> None:
    """The migration carries a frozen copy of handlers.redact's rule; today they agree."""
    migration = _migration()
    assert migration.mask(text) == mask_credentials(text)
    assert (migration.mask(text) != text) == holds_credential(text)


def test_the_migration_is_where_alembic_finds_it() -> None:
    assert Path(MIGRATIONS / "versions" / "0006_scrub_secrets.py").is_file()
    assert (_migration().revision, _migration().down_revision) == ("0006", "0005")
