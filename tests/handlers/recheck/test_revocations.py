"""`/nmbrs revoke` on a REST link against the REST stand-ins over HTTP, on SQLite and PostgreSQL:
revoked at once here, the refresh token revoked at Nmbrs (RFC 7009) or queued sealed and retried by
the worker on a clock the test moves, given up after 30 days, the thread told once; never in clear."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.commands import Commands, RevokeAsk, Revoked
from handlers.model import AlertKind, Unreachable
from handlers.revocations import RevocationReport, Revocations
from handlers.staff import FixedStaff
from handlers.model import Person
from storage.cipher import TokenCipher, generate_key_line, parse_keys
from storage.models import Base, PendingRevocation, WebhookEvent
from storage.revocations import REVOCATION_DAYS
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    RestDesk,
    email_for,
    rest_desk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
)

STAFF = Person(platform="slack", team_id="T1", user_id="USTAFF", lang="en")


def commands(rd: RestDesk) -> Commands:
    return Commands(sessions=rd.desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}), outbox=rd.desk.outbox,
                    revocations=rd.revocations())


async def revoke(rd: RestDesk, link_id: int) -> Revoked:
    on = commands(rd)
    assert isinstance(await on.handle(person=STAFF, text=f"revoke L{link_id}"), RevokeAsk)
    done = await on.confirm_revoke(person=STAFF, link_id=link_id)
    assert isinstance(done, Revoked) and done.card.state == "revoked", done
    return done


async def queued(rd: RestDesk) -> list[PendingRevocation]:
    async with rd.desk.sessions() as session:
        return list((await session.scalars(select(PendingRevocation).order_by(PendingRevocation.id))).all())


async def thread(rd: RestDesk, kind: AlertKind) -> list[dict]:
    await rd.desk.outbox.drain()
    return [a.details for a in rd.desk.notifier.alerts if a.kind is kind]


async def assert_nowhere_in_clear(rd: RestDesk, secret: str) -> None:
    """No row of any table holds the secret as text or bytes."""
    async with rd.desk.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                for value in row:
                    assert secret not in (value.decode("latin-1") if isinstance(value, bytes) else str(value)), table


async def test_revoke_destroys_the_tokens_and_revokes_the_refresh_token_at_nmbrs_at_once(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 1
    done = await revoke(rd, link_id)
    assert done.at_nmbrs is True and done.card.is_rest
    assert rd.nmbrs.calls["revocation"] == 1 and rd.nmbrs.live_refresh_tokens(email_for(1)) == 0
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "revoked"
    assert link.token_ciphertext is None and link.access_ciphertext is None and link.access_expires_at is None
    assert await queued(rd) == []  # nothing left to retry
    assert [d["previous_state"] for d in await thread(rd, AlertKind.REVOKED)] == ["active"]
    assert await thread(rd, AlertKind.REVOCATION_DONE) == []  # the answer said it; the thread needs no second word
    async with rd.desk.sessions() as session:  # the integration's webhook event names the kind
        [event] = (await session.scalars(select(WebhookEvent).where(WebhookEvent.link_id == link_id))).all()
    assert event.type == "link.revoked" and json.loads(event.body)["data"]["link"]["kind"] == "rest"
    # The desk has nothing left to hand off or refresh.
    got = await rd.tokens().usable(link_id, min_validity=timedelta(minutes=5))
    assert isinstance(got, Unreachable) and rd.nmbrs.calls["token.refresh_token"] == 0


async def test_identity_server_down_queues_it_sealed_and_the_worker_revokes_it_later(
        rest_desk: RestDesk, caplog: pytest.LogCaptureFixture) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    secret = await rd.refresh_token_of(link_id)
    caplog.set_level(logging.DEBUG)
    rd.nmbrs.set_down("refused")
    try:
        done = await revoke(rd, link_id)
        assert done.at_nmbrs is False  # "queued, will retry"
        link = await rd.desk.get(link_id)
        assert link is not None and link.state == "revoked" and link.token_ciphertext is None  # revoked here at once
        [entry] = await queued(rd)
        assert entry.link_id == link_id and entry.attempts == 1
        await assert_nowhere_in_clear(rd, secret)
        worker = rd.revocations()
        assert await worker.run_due() == RevocationReport()  # backing off: not due yet
        rd.desk.time.advance(11 * 60)
        assert await worker.run_due() == RevocationReport(left=1)  # still down: the wait grows
        [entry] = await queued(rd)
        assert entry.attempts == 2 and entry.next_attempt_at == rd.desk.time.now + timedelta(minutes=20)
    finally:
        rd.nmbrs.set_down(False)
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 1  # still live at Nmbrs until the worker gets through
    assert await thread(rd, AlertKind.REVOCATION_DONE) == []
    rd.desk.time.advance(21 * 60)
    assert await rd.revocations().run_due() == RevocationReport(revoked=1)
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 0 and await queued(rd) == []
    [told] = await thread(rd, AlertKind.REVOCATION_DONE)
    assert told["attempts"] == 3 and told["earlier_consent"] is False
    rd.desk.time.advance(86400)
    assert await rd.revocations().run_due() == RevocationReport()
    assert len(await thread(rd, AlertKind.REVOCATION_DONE)) == 1  # once
    assert secret not in caplog.text


async def test_a_revocation_nmbrs_never_confirms_is_given_up_after_30_days(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.set_down("503")
    try:
        assert (await revoke(rd, link_id)).at_nmbrs is False
        worker = rd.revocations()
        tries = rd.nmbrs.calls["revocation"]
        for _ in range(4 * REVOCATION_DAYS + 2):  # every 6 hours (the longest wait), past 30 days
            rd.desk.time.advance(6 * 3600)
            report = await worker.run_due()
            if report.given_up:
                break
        assert report == RevocationReport(given_up=1)
        assert rd.nmbrs.calls["revocation"] > tries + 100  # it kept trying all along
    finally:
        rd.nmbrs.set_down(False)
    assert await queued(rd) == []  # destroyed, unrevoked
    [told] = await thread(rd, AlertKind.REVOCATION_GIVEN_UP)
    assert told["attempts"] > 100
    rd.desk.time.advance(86400)
    assert await rd.revocations().run_due() == RevocationReport()
    assert len(await thread(rd, AlertKind.REVOCATION_GIVEN_UP)) == 1


async def test_a_refresh_in_flight_when_the_link_is_revoked_keeps_no_token(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.latency_s = 0.5
    try:
        refreshing = asyncio.create_task(rd.tokens().fresh(link_id, fresh_since=None, min_validity=timedelta(0)))
        for _ in range(200):
            if rd.nmbrs.in_flight:
                break
            await asyncio.sleep(0.01)
        assert rd.nmbrs.in_flight, "the refresh never reached the stand-in"
        await revoke(rd, link_id)
        answer = await refreshing
    finally:
        rd.nmbrs.latency_s = 0
    assert isinstance(answer, Unreachable) and "revoked" in answer.detail
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "revoked"
    assert link.token_ciphertext is None and link.access_ciphertext is None  # nothing the refresh brought is kept
    assert link.refresh_lease_until is None
    await rd.revocations().run_due()
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 0 and await queued(rd) == []


async def test_a_refresh_token_that_cannot_be_decrypted_is_revoked_here_all_the_same(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    # The key that sealed it is gone from TOKENDESK_KEYS: Nmbrs cannot be asked, the desk still lets go.
    other = TokenCipher(parse_keys(generate_key_line("k9")))
    on = Commands(sessions=rd.desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}),
                  revocations=Revocations(sessions=rd.desk.sessions, cipher=other, gateway=rd.gateway))
    done = await on.confirm_revoke(person=STAFF, link_id=link_id)
    assert isinstance(done, Revoked) and done.at_nmbrs is None and rd.nmbrs.calls["revocation"] == 0
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "revoked" and link.token_ciphertext is None
    assert await queued(rd) == []
