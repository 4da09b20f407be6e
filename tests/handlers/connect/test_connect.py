"""The consent use case against the identity and API stand-ins, on SQLite and PostgreSQL: the
happy path, every refusal of the callback, the refusals of Nmbrs' answer, and the second consent."""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.connect import (
    ConsentFailed,
    ConsentRefused,
    Consented,
    Denied,
    NmbrsError,
    StateInvalid,
    Started,
    TicketFacts,
    TicketGone,
)
from handlers.model import Rejected
from storage.cipher import DecryptionError
from storage.connect import open_verifier
from storage.links import StoredLink
from storage.models import AuditEntry, ConnectTicket, OAuthState, PendingRevocation
from storage.rest_links import open_access, open_refresh
from tests.handlers.connect.conftest import (
    CUSTOMER,
    RestDesk,
    alerts,
    count,
    email_for,
    kinds,
    links,
    make_connect,
    ticket_of,
    visit,
)


async def test_a_consent_stores_the_link_tells_support_and_the_chat(rest_desk: RestDesk) -> None:
    rest_desk.user(1, companies=2)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    assert "code_challenge_method=S256" in trip.started.authorize_url
    outcome = await trip.back(connect)
    assert isinstance(outcome, Consented) and outcome.created and outcome.lang == "en"
    [link] = await links(rest_desk)
    assert (link.kind, link.state, link.platform, link.team_id, link.user_id) == ("rest", "active", "slack", "T1", "U1")
    assert link.debtor_name == "Debtor 1" and len(link.companies) == 2 and link.username == email_for(1)
    assert open_refresh(link, rest_desk.desk.cipher) and rest_desk.nmbrs.live_refresh_tokens() == 1
    records = await alerts(rest_desk)
    assert kinds(records) == ["activated", "customer_consent"]
    assert records[1].payload["details"] == {"platform": "slack", "team_id": "T1", "user_id": "U1",
                                             "outcome": "connected"}
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 1


async def test_a_replayed_callback_is_refused_and_reaches_nobody(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    assert isinstance(await trip.back(connect), Consented)
    assert isinstance(await trip.back(connect), StateInvalid)
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 1
    assert len(await links(rest_desk)) == 1


async def test_two_callbacks_racing_with_one_state_let_one_through(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    first, second = await asyncio.gather(trip.back(connect), trip.back(connect))
    assert sorted(type(o).__name__ for o in (first, second)) == ["Consented", "StateInvalid"]
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 1


async def test_a_forged_or_missing_state_is_refused(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    code = trip.query["code"]
    real = trip.query["state"]
    near = real[:-1] + ("B" if real[-1] == "A" else "A")  # one character off
    for state in (secrets.token_urlsafe(32), "", None, "x" * 5000, near, real + "A"):
        outcome = await connect.callback(state=state, cookie=trip.started.cookie, code=code, error=None)
        assert isinstance(outcome, StateInvalid), state
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 0 and await links(rest_desk) == []


async def test_another_browsers_state_is_refused_and_spent(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    rest_desk.user(2)
    connect = make_connect(rest_desk)
    victim = await visit(connect, 1)
    attacker = await visit(connect, 2)
    # The attacker's own cookie with the victim's state (or no cookie at all): refused.
    assert isinstance(await victim.back(connect, cookie=attacker.started.cookie), StateInvalid)
    assert isinstance(await attacker.back(connect, cookie=None), StateInvalid)
    # Marked used first: not even the right cookie makes them work afterwards.
    assert isinstance(await victim.back(connect), StateInvalid)
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 0 and await links(rest_desk) == []


async def test_an_expired_state_is_refused(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    rest_desk.desk.time.advance(10 * 60 + 1)
    assert isinstance(await trip.back(connect), StateInvalid)
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 0


async def test_an_expired_code_at_nmbrs_stores_nothing_and_says_so_in_chat(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    rest_desk.nmbrs.advance(301)  # the stand-in's codes live 300 s
    outcome = await trip.back(connect)
    assert isinstance(outcome, ConsentFailed) and isinstance(outcome.result, Rejected)
    assert rest_desk.nmbrs.token_errors["invalid_grant"] == 1
    assert await links(rest_desk) == []
    [record] = await alerts(rest_desk)
    assert record.kind == "customer_consent" and record.payload["details"]["outcome"] == "failed"


async def test_cancel_on_nmbrs_page_is_a_friendly_no_and_the_chat_gets_the_button(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1, button="cancel")
    assert trip.query["error"] == "access_denied"
    assert isinstance(await trip.back(connect), Denied)
    [record] = await alerts(rest_desk)
    assert record.payload["details"]["outcome"] == "denied" and record.link_id is None
    assert rest_desk.nmbrs.calls["token.authorization_code"] == 0 and await links(rest_desk) == []


async def test_another_error_from_nmbrs_is_named_and_outside_text_is_not(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    for error, shown in (("server_error", "server_error"), ("<script>alert(1)</script>", "unknown")):
        trip = await visit(connect, 1)
        outcome = await connect.callback(state=trip.query["state"], cookie=trip.started.cookie, code=None,
                                         error=error)
        assert isinstance(outcome, NmbrsError) and outcome.error == shown
    assert await links(rest_desk) == []


async def test_an_answer_without_a_refresh_token_is_refused_and_revoked(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    rest_desk.nmbrs.omit_refresh_token = True
    connect = make_connect(rest_desk)
    outcome = await (await visit(connect, 1)).back(connect)
    assert isinstance(outcome, ConsentRefused) and outcome.reason == "no_refresh_token"
    assert rest_desk.nmbrs.calls["revocation"] == 1
    assert await links(rest_desk) == [] and kinds(await alerts(rest_desk)) == ["customer_consent"]


async def test_a_scope_withheld_is_refused_and_the_consent_revoked(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    rest_desk.nmbrs.users[email_for(1)].withheld_scopes = frozenset({"company.info.read"})
    connect = make_connect(rest_desk)
    outcome = await (await visit(connect, 1)).back(connect)
    assert isinstance(outcome, ConsentRefused) and outcome.missing == ("company.info.read",)
    assert rest_desk.nmbrs.calls["revocation"] == 1 and rest_desk.nmbrs.live_refresh_tokens() == 0
    assert await links(rest_desk) == [] and await count(rest_desk, PendingRevocation) == 0


async def test_a_token_answer_without_scope_means_everything_was_granted(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    rest_desk.nmbrs.omit_scope = True
    connect = make_connect(rest_desk)
    assert isinstance(await (await visit(connect, 1)).back(connect), Consented)
    [link] = await links(rest_desk)
    assert link.scopes == " ".join(connect.scopes)


async def test_a_revocation_nmbrs_does_not_confirm_stays_queued(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    rest_desk.nmbrs.users[email_for(1)].withheld_scopes = frozenset({"company.info.read"})
    connect = make_connect(rest_desk)
    trip = await visit(connect, 1)
    rest_desk.nmbrs.fail_next("http503", endpoint="revocation")
    assert isinstance(await trip.back(connect), ConsentRefused)
    assert await count(rest_desk, PendingRevocation) == 1


async def test_a_second_consent_for_the_same_debtor_replaces_the_first(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    assert isinstance(await (await visit(connect, 1)).back(connect), Consented)
    [first] = await links(rest_desk)
    old = open_refresh(first, rest_desk.desk.cipher)
    again = await (await visit(connect, 1)).back(connect)
    assert isinstance(again, Consented) and again.replaced and not again.created
    [second] = await links(rest_desk)
    assert second.id == first.id and open_refresh(second, rest_desk.desk.cipher) != old
    assert await count(rest_desk, PendingRevocation) == 1  # the old refresh token, for the revocation worker
    assert kinds(await alerts(rest_desk)) == ["activated", "customer_consent", "token_replaced", "customer_consent"]


async def test_tickets_expire_and_unknown_ones_are_gone(rest_desk: RestDesk) -> None:
    connect = make_connect(rest_desk)
    ticket = ticket_of(await connect.ticket_url(CUSTOMER))
    assert isinstance(await connect.start(ticket), Started)
    assert isinstance(await connect.start(ticket), Started)  # reusable: each visit a fresh state
    for bad in (secrets.token_urlsafe(32), "", "../../etc", ticket + "A"):
        assert isinstance(await connect.start(bad), TicketGone)
    rest_desk.desk.time.advance(24 * 3600 + 1)
    assert isinstance(await connect.start(ticket), TicketGone)


async def test_without_pkce_no_challenge_is_sent(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    connect = make_connect(rest_desk, pkce=False)
    trip = await visit(connect, 1)
    assert "code_challenge" not in trip.started.authorize_url
    assert isinstance(await trip.back(connect), Consented)


async def test_only_hashes_and_a_sealed_verifier_are_stored(rest_desk: RestDesk) -> None:
    connect = make_connect(rest_desk)
    ticket = ticket_of(await connect.ticket_url(CUSTOMER))
    started = await connect.start(ticket)
    assert isinstance(started, Started)
    state = started.authorize_url.split("state=")[1].split("&")[0]
    async with rest_desk.desk.sessions() as session:
        [row] = (await session.scalars(select(OAuthState))).all()
        [record] = (await session.scalars(select(ConnectTicket))).all()
    stored = repr([row.state_hash, row.cookie_hash, row.verifier_ciphertext, record.ticket_hash])
    for value in (ticket, state, started.cookie):
        assert value not in stored
    assert row.verifier_ciphertext is not None and row.verifier_key_id == "k1"
    assert len(open_verifier(row, rest_desk.desk.cipher) or "") == 64
    row.id += 1  # copied onto another row, it does not open
    with pytest.raises(DecryptionError):
        open_verifier(row, rest_desk.desk.cipher)


async def test_after_consent_hooks_see_the_tickets_migration_target(rest_desk: RestDesk) -> None:
    rest_desk.user(1)
    seen: list[tuple[TicketFacts, int]] = []

    async def hook(session, facts: TicketFacts, stored: StoredLink) -> None:  # type: ignore[no-untyped-def]
        seen.append((facts, stored.link.id))
        session.add(AuditEntry(platform="test", actor="hook", action="migration.test", result="ok", detail={}))

    connect = make_connect(rest_desk, after_consent=(hook,))
    assert isinstance(await (await visit(connect, 1, migration_link_id=7, migration_debtor_id=1234)).back(connect),
                      Consented)
    [(facts, link_id)] = seen
    assert (facts.migration_link_id, facts.migration_debtor_id, facts.user_id) == (7, 1234, "U1")
    assert link_id == (await links(rest_desk))[0].id


async def test_a_failing_hook_leaves_nothing_half_written(rest_desk: RestDesk) -> None:
    rest_desk.user(1)

    async def hook(session, facts, stored) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("tracker failed")

    connect = make_connect(rest_desk, after_consent=(hook,))
    trip = await visit(connect, 1)
    with pytest.raises(RuntimeError):
        await trip.back(connect)
    assert await links(rest_desk) == [] and await alerts(rest_desk) == []


async def test_pruning_removes_what_expired_a_day_ago(rest_desk: RestDesk) -> None:
    connect = make_connect(rest_desk)
    await connect.start(ticket_of(await connect.ticket_url(CUSTOMER)))
    rest_desk.desk.time.advance(2 * 24 * 3600 + 1)
    await connect.ticket_url(CUSTOMER)  # each new ticket prunes
    assert await count(rest_desk, ConnectTicket) == 1 and await count(rest_desk, OAuthState) == 0


def test_a_day_is_what_a_ticket_lives() -> None:
    from handlers.connect import STATE_TTL, TICKET_TTL

    assert TICKET_TTL == timedelta(hours=24) and STATE_TTL == timedelta(minutes=10)


async def test_a_key_rotation_during_a_consent_keeps_its_verifier(rest_desk: RestDesk, key_line: str) -> None:
    from storage.cipher import TokenCipher, generate_key_line, parse_keys
    from storage.rotation import rotate_keys

    rest_desk.user(1)
    trip = await visit(make_connect(rest_desk), 1)
    k2 = generate_key_line("k2")
    report = await rotate_keys(rest_desk.desk.sessions, TokenCipher(parse_keys(k2 + "," + key_line)))
    assert report.states == 1
    # The old key retired: the verifier still opens, so the consent completes (PKCE checked at Nmbrs).
    outcome = await trip.back(make_connect(rest_desk, cipher=TokenCipher(parse_keys(k2))))
    assert isinstance(outcome, Consented)


async def test_when_storing_fails_what_nmbrs_gave_is_revoked(rest_desk: RestDesk) -> None:
    rest_desk.user(1)

    async def hook(session, facts, stored) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("database gone")

    connect = make_connect(rest_desk, after_consent=(hook,))
    with pytest.raises(RuntimeError):
        await (await visit(connect, 1)).back(connect)
    assert rest_desk.nmbrs.calls["revocation"] == 1 and rest_desk.nmbrs.live_refresh_tokens() == 0


async def test_no_secret_of_a_consent_reaches_the_logs(rest_desk: RestDesk, captured: io.StringIO) -> None:
    # The log `serve` writes (DEBUG, JSON) while a consent is made, replayed and renewed: the ticket,
    # the state, the cookie, the code and the tokens Nmbrs gave are in none of it.
    rest_desk.user(1)
    connect = make_connect(rest_desk)
    url = await connect.ticket_url(CUSTOMER)
    trips = [await visit(connect, 1) for _ in range(2)]
    assert isinstance(await trips[0].back(connect), Consented)
    assert isinstance(await trips[0].back(connect), StateInvalid)
    assert isinstance(await trips[1].back(connect), Consented)
    [link] = await links(rest_desk)
    seen = [ticket_of(url), open_refresh(link, rest_desk.desk.cipher), open_access(link, rest_desk.desk.cipher) or ""]
    for trip in trips:
        seen += [trip.query["state"], trip.query["code"], trip.started.cookie]
    logged = captured.getvalue()
    assert "connect: link" in logged and all(seen)
    assert [value for value in seen if value in logged] == []
