"""Moving from SQLite to PostgreSQL: everything copied with ids, tokens still open, sequences moved on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.postgres import create_database
from storage.cipher import TokenCipher
from storage.copy import CopyError, copy_database
from storage.db import create_engine, session_factory
from storage.links import open_token, store_credentials
from storage.migrate import upgrade
from storage import pending_intakes
from storage.models import AuditEntry, Link, LinkState, PendingIntake, utcnow


async def test_sqlite_to_postgresql(sqlite_url: str, postgres_admin_url: str, cipher: TokenCipher) -> None:
    source = create_engine(sqlite_url)
    await upgrade(source)
    async with session_factory(source)() as session, session.begin():
        for i in range(1, 4):
            stored = await store_credentials(session, cipher, username=f"u{i}@x.nl", token=f"{i:032x}",
                                             environment=f"e{i}", state=LinkState.ACTIVE, platform="slack",
                                             team_id="T", user_id="U")
            session.add(AuditEntry(platform="cli", actor="op", action="test", link_id=stored.link.id, detail={}))
        # An intake acknowledged but not yet answered moves too, and its token still opens (issue 12 finding 3).
        await pending_intakes.add(session, cipher, target=pending_intakes.Target("slack", "T", "U", "D1"),
                                  username="w@x.nl", token="a" * 32, source="dm", now=utcnow())
    target = create_engine(create_database(postgres_admin_url))
    try:
        report = await copy_database(source, target)
        assert report.rows["links"] == 3 and report.rows["audit_log"] == 3 and report.rows["pending_intakes"] == 1
        async with session_factory(target)() as session, session.begin():
            links = (await session.scalars(select(Link).order_by(Link.id))).all()
            assert [open_token(link, cipher) for link in links] == [f"{i:032x}" for i in range(1, 4)]
            [intake] = (await session.scalars(select(PendingIntake))).all()
            assert pending_intakes.open_token(intake, cipher) == "a" * 32 and intake.channel_id == "D1"
            new = await store_credentials(session, cipher, username="new@x.nl", token="f" * 32, environment="n",
                                          state=LinkState.ACTIVE, platform="slack", team_id="T", user_id="U")
            assert new.link.id == 4  # the sequence continues after the copied ids
        with pytest.raises(CopyError, match="already has rows in"):
            await copy_database(source, target)
        async with session_factory(target)() as session:
            assert await session.scalar(select(func.count()).select_from(Link)) == 4
    finally:
        await source.dispose()
        await target.dispose()
