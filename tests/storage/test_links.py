"""The link store on SQLite and PostgreSQL: sealing, replacing, searching, deliveries, no plaintext."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage import deliveries
from storage.cipher import DecryptionError, TokenCipher
from storage.links import count_by_state, find_links, get_link, open_token, revoke, store_credentials
from storage.models import Link, LinkState

TOKENS = [f"{i:02x}" * 16 for i in range(1, 6)]


async def _store(sessions, cipher, username: str, token: str, environment: str | None = "acme", **kw):  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        stored = await store_credentials(
            session, cipher, username=username, token=token, environment=environment,
            state=kw.pop("state", LinkState.ACTIVE), platform="slack", team_id="T1", user_id=kw.pop("user_id", "U1"), **kw,
        )
        return stored


async def test_store_and_open(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    stored = await _store(sessions, cipher, " HR@Acme.nl ", TOKENS[0], debtors=[{"id": 1, "number": 1, "name": "Acme"}])
    assert stored.created and not stored.token_replaced
    async with sessions() as session:
        link = await get_link(session, stored.link.short_id)
        assert link is not None
        assert link.username == "hr@acme.nl"
        assert link.token_last4 == TOKENS[0][-4:]
        assert link.debtors[0]["name"] == "Acme"
        assert open_token(link, cipher) == TOKENS[0]
        assert TOKENS[0] not in repr(link)


async def test_new_token_for_same_login_replaces_and_keeps_id(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    first = await _store(sessions, cipher, "hr@acme.nl", TOKENS[0])
    second = await _store(sessions, cipher, "hr@acme.nl", TOKENS[1])
    assert second.link.id == first.link.id
    assert not second.created and second.token_replaced
    async with sessions() as session:
        links = (await session.scalars(select(Link))).all()
        assert len(links) == 1
        assert open_token(links[0], cipher) == TOKENS[1]


async def test_username_and_environment_are_unique(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    await _store(sessions, cipher, "hr@acme.nl", TOKENS[0])
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Link(username="hr@acme.nl", environment="acme", state="active", debtors=[], companies=[], failed_checks=0))
    other_env = await _store(sessions, cipher, "hr@acme.nl", TOKENS[1], environment="acme-2")
    assert other_env.created


async def test_ciphertext_moved_to_another_link_fails(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    a = await _store(sessions, cipher, "a@acme.nl", TOKENS[0])
    b = await _store(sessions, cipher, "b@acme.nl", TOKENS[1], environment="beta")
    async with sessions() as session, session.begin():
        link_a, link_b = await session.get(Link, a.link.id), await session.get(Link, b.link.id)
        link_b.token_ciphertext = link_a.token_ciphertext
    async with sessions() as session:
        with pytest.raises(DecryptionError, match=f"link L{b.link.id}"):
            open_token(await session.get(Link, b.link.id), cipher)


async def test_search_matches_id_username_environment_label(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    a = await _store(sessions, cipher, "payroll@bakker.nl", TOKENS[0], environment="bakker")
    await _store(sessions, cipher, "hr@visser.nl", TOKENS[1], environment="visser", state=LinkState.BROKEN, user_id="U2")
    async with sessions() as session, session.begin():
        (await session.get(Link, a.link.id)).label = "Bakker 100%_special"
    async with sessions() as session:
        assert [l.username for l in await find_links(session, "bakker")] == ["payroll@bakker.nl"]
        assert [l.username for l in await find_links(session, a.link.short_id)] == ["payroll@bakker.nl"]
        assert [l.username for l in await find_links(session, "VISSER")] == ["hr@visser.nl"]
        assert [l.username for l in await find_links(session, "100%_")] == ["payroll@bakker.nl"]
        assert await find_links(session, "bakker%x") == []
        assert [l.username for l in await find_links(session, state="broken")] == ["hr@visser.nl"]
        assert [l.username for l in await find_links(session, user_id="U2")] == ["hr@visser.nl"]
        counts = await count_by_state(session)
        assert counts["active"] == 1 and counts["broken"] == 1 and counts["revoked"] == 0


async def test_revoke_destroys_ciphertext(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    stored = await _store(sessions, cipher, "hr@acme.nl", TOKENS[0])
    async with sessions() as session, session.begin():
        link = await session.get(Link, stored.link.id)
        assert revoke(link) is True
        assert revoke(link) is False
    async with sessions() as session:
        link = await session.get(Link, stored.link.id)
        assert link.state == "revoked" and link.token_ciphertext is None and not link.holds_token


async def test_delivery_is_claimed_once(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        assert await deliveries.claim(session, platform="slack", delivery_id="Ev1") is True
    async with sessions() as session, session.begin():
        assert await deliveries.claim(session, platform="slack", delivery_id="Ev1") is False
        assert await deliveries.claim(session, platform="teams", delivery_id="Ev1") is True


async def test_no_plaintext_token_in_sqlite_file(sqlite_url: str, cipher: TokenCipher) -> None:
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade

    engine = create_engine(sqlite_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    for i, token in enumerate(TOKENS):
        await _store(sessions, cipher, f"user{i}@acme.nl", token, environment=f"env{i}")
    await engine.dispose()
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"user0@acme.nl" in raw  # the file was really written
    for token in TOKENS:
        assert token.encode() not in raw
        assert token.upper().encode() not in raw
        assert token.encode("utf-16-le") not in raw
