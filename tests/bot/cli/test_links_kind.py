"""`tokendesk links` shows each link's kind (soap or rest), in text and JSON, over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from storage.cipher import TokenCipher, generate_key_line, parse_keys
from storage.db import create_engine, session_factory
from storage.links import store_credentials
from storage.migrate import upgrade
from storage.models import Link, LinkState, utcnow
from storage.rest_links import store_rest_link
from tests.bot.cli.test_cli import run


def test_links_show_the_kind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'td.db'}"
    cipher = TokenCipher(parse_keys(generate_key_line("k1")))

    async def seed() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            soap = await store_credentials(session, cipher, username="soap@x.nl", token="a" * 32, environment="acme",
                                           state=LinkState.ACTIVE, platform="slack", team_id="T", user_id="U")
            await session.execute(update(Link).where(Link.id == soap.link.id).values(
                state=LinkState.BROKEN, last_reason="credentials", last_fault_code=1001))
            await store_rest_link(
                session, cipher, debtor_id="00000000-0000-4000-8000-000000000101", debtor_number="101",
                debtor_name="Acme Holding", user_email="hr@acme.nl", rest_user_id="u1", scopes=("offline_access",),
                refresh_token="r" * 40, access_token="b" * 40, access_expires_at=utcnow() + timedelta(hours=1),
                companies=[], scope_digest=None, platform="slack", team_id="T", user_id="U")
        await engine.dispose()

    asyncio.run(seed())
    listing = run("links", "--json", env={"DATABASE_URL": url})
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert [(r["kind"], r["debtor"]) for r in rows] == [("soap", None), ("rest", "Acme Holding")]
    assert [(r["last_reason"], r["last_fault_code"]) for r in rows] == [("credentials", 1001), (None, None)]
    assert "r" * 40 not in listing.stdout and "b" * 40 not in listing.stdout
    text = run("links", env={"DATABASE_URL": url}).stdout
    assert " rest " in text and "(Acme Holding)" in text and " soap " in text and " credentials " in text
    # copy-db warns: two desks on the same REST links would spend each other's refresh tokens.
    copied = run("copy-db", "--to", f"sqlite:///{tmp_path / 'copy.db'}", env={"DATABASE_URL": url})
    assert copied.returncode == 0, copied.stderr
    assert "1 REST links were copied" in copied.stderr and "ONE desk" in copied.stderr
