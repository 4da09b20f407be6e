"""REST links in the store on SQLite and PostgreSQL: a consent stored and replaced per debtor, the
old refresh token queued sealed, per-kind unique keys, secrets bound to row and purpose, key
rotation and copy-db covering them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bench.postgres import create_database
from storage.cipher import DecryptionError, Sealed, TokenCipher, generate_key_line, link_secret_row, parse_keys
from storage.copy import copy_database
from storage.db import create_engine, session_factory
from storage.links import store_credentials
from storage.migrate import upgrade
from storage.models import Link, LinkState, PendingRevocation, utcnow
from storage.rest_links import open_access, open_refresh, store_rest_link
from storage.revocations import due_revocations, give_up_expired, open_revocation
from storage.rotation import rotate_keys

DEBTOR = "00000000-0000-4000-8000-000000000101"


async def _consent(sessions, cipher, *, refresh: str, access: str, debtor: str = DEBTOR,  # type: ignore[no-untyped-def]
                   email: str = "hr@acme.nl", user_id: str = "U1"):
    async with sessions() as session, session.begin():
        return await store_rest_link(
            session, cipher, debtor_id=debtor, debtor_number="101", debtor_name="Acme Holding", user_email=email,
            rest_user_id="u-1", scopes=("offline_access", "user.info.read"), refresh_token=refresh,
            access_token=access, access_expires_at=utcnow() + timedelta(hours=1),
            companies=[{"id": "c1", "number": "1", "name": "Acme B.V.", "debtor_id": debtor}], scope_digest="d",
            platform="slack", team_id="T1", user_id=user_id,
        )


async def test_a_consent_is_stored_sealed_and_a_second_one_replaces_it(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    first = await _consent(sessions, cipher, refresh="r" * 40, access="a" * 40)
    assert first.created and first.link.kind == "rest" and first.link.state == LinkState.ACTIVE
    second = await _consent(sessions, cipher, refresh="s" * 40, access="b" * 40, user_id="U2")
    assert not second.created and second.token_replaced and second.link.id == first.link.id
    async with sessions() as session:
        link = await session.get(Link, first.link.id)
        assert link is not None and link.user_id == "U2" and link.token_last4 is None
        assert open_refresh(link, cipher) == "s" * 40 and open_access(link, cipher) == "b" * 40
        assert b"s" * 40 not in link.token_ciphertext  # type: ignore[operator]
        # Each secret is bound to its row and purpose: the refresh token does not open as an access token.
        with pytest.raises(DecryptionError):
            cipher.open(Sealed(link.token_key_id or "", link.token_ciphertext or b""),
                        row=link_secret_row(link.id, "access"))
    async with sessions() as session, session.begin():
        [queued] = await due_revocations(session, now=utcnow())
        assert queued.link_id == first.link.id and open_revocation(queued, cipher) == "r" * 40


async def test_soap_and_rest_keys_are_separate(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    await _consent(sessions, cipher, refresh="r" * 40, access="a" * 40)
    async with sessions() as session, session.begin():
        # The same e-mail as a SOAP login (environment unknown yet, same sender) is another link.
        soap = await store_credentials(session, cipher, username="hr@acme.nl", token="f" * 32, environment=None,
                                       state=LinkState.PENDING, platform="slack", team_id="T1", user_id="U1")
        assert soap.created and soap.link.kind == "soap"
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Link(kind="rest", username="x@y.nl", debtor_id=DEBTOR, state="active", debtors=[],
                             companies=[], platform="slack", failed_checks=0))


async def test_old_refresh_tokens_are_destroyed_after_30_days(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    await _consent(sessions, cipher, refresh="r" * 40, access="a" * 40)
    await _consent(sessions, cipher, refresh="s" * 40, access="b" * 40)
    later = utcnow() + timedelta(days=31)
    async with sessions() as session, session.begin():
        assert await due_revocations(session, now=later) == []  # too old to try: given up instead
        [gone] = await give_up_expired(session, now=later)
        assert gone.attempts == 0 and gone.link_id is not None
    async with sessions() as session:
        assert (await session.scalars(select(PendingRevocation))).all() == []


async def test_keys_rotate_covers_refresh_access_and_queued_tokens(sessions, key_line: str) -> None:  # type: ignore[no-untyped-def]
    old = TokenCipher(parse_keys(key_line))
    await _consent(sessions, old, refresh="r" * 40, access="a" * 40)
    await _consent(sessions, old, refresh="s" * 40, access="b" * 40)
    k2 = generate_key_line("k2")
    report = await rotate_keys(sessions, TokenCipher(parse_keys(k2 + "," + key_line)))
    assert (report.links, report.revocations) == (1, 1)
    only_new = TokenCipher(parse_keys(k2))
    async with sessions() as session, session.begin():
        link = (await session.scalars(select(Link))).one()
        assert link.token_key_id == link.access_key_id == "k2"
        assert open_refresh(link, only_new) == "s" * 40 and open_access(link, only_new) == "b" * 40
        [queued] = await due_revocations(session, now=utcnow())
        assert queued.token_key_id == "k2" and open_revocation(queued, only_new) == "r" * 40


async def test_copy_db_keeps_rest_links_openable(sqlite_url: str, postgres_admin_url: str, cipher: TokenCipher) -> None:
    source = create_engine(sqlite_url)
    await upgrade(source)
    sessions = session_factory(source)
    await _consent(sessions, cipher, refresh="r" * 40, access="a" * 40)
    await _consent(sessions, cipher, refresh="s" * 40, access="b" * 40)
    target = create_engine(create_database(postgres_admin_url))
    try:
        report = await copy_database(source, target)
        assert report.rows["links"] == 1 and report.rows["pending_revocations"] == 1 and report.rest_links == 1
        async with session_factory(target)() as session, session.begin():
            link = (await session.scalars(select(Link))).one()
            assert link.kind == "rest" and open_refresh(link, cipher) == "s" * 40
            assert open_access(link, cipher) == "b" * 40
            [queued] = await due_revocations(session, now=utcnow())
            assert open_revocation(queued, cipher) == "r" * 40
    finally:
        await source.dispose()
        await target.dispose()


async def test_revoking_a_rest_link_destroys_both_tokens(sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    from storage.links import revoke

    stored = await _consent(sessions, cipher, refresh="r" * 40, access="a" * 40)
    async with sessions() as session, session.begin():
        link = await session.get(Link, stored.link.id)
        assert link is not None and revoke(link)
    async with sessions() as session:
        link = await session.get(Link, stored.link.id)
        assert link is not None and link.state == LinkState.REVOKED
        assert link.token_ciphertext is None and link.access_ciphertext is None and open_access(link, cipher) is None


async def test_migration_0008_keeps_existing_links_as_soap_and_downgrades(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.migrate import alembic_config, upgrade

    engine = create_engine(database_url)

    def downgrade(sync_conn, revision: str) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config()
        config.attributes["connection"] = sync_conn
        command.downgrade(config, revision)

    try:
        await upgrade(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO links (id, username, environment, state, debtors, companies, platform, failed_checks,"
                " created_at, updated_at, state_changed_at) VALUES (1, 'a@b.nl', 'acme', 'active', '[]', '[]',"
                " 'slack', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        await upgrade(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT kind FROM links WHERE id = 1"))).scalar_one() == "soap"
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, "0005")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT username FROM links"))).scalar_one() == "a@b.nl"
        await upgrade(engine)
    finally:
        await engine.dispose()
