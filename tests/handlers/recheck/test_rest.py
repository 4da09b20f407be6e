"""The nightly check of REST links against the REST stand-ins over HTTP: refresh under the link's
lease, tokens committed before use, and every outcome mapped onto the link states."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from handlers.model import Rejected, RejectionCategory, Unreachable, Valid
from handlers.recheck.rest import RestCheck
from handlers.revocations import RevocationReport
from storage.db import create_engine, session_factory
from storage.models import Check, Link
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    LEASE_S,
    RestDesk,
    email_for,
    make_gateway,
    rest_desk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
)


async def checks_of(rd: RestDesk, link_id: int) -> list[Check]:
    async with rd.desk.sessions() as session:
        return list((await session.scalars(select(Check).where(Check.link_id == link_id).order_by(Check.id))).all())


async def test_the_nightly_run_refreshes_commits_the_new_token_then_reads_the_api(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1, companies=2)
    link_id = await rd.link(1)
    before = await rd.refresh_token_of(link_id)
    rd.nmbrs.reset_counters()
    summary = await rd.recheck().run()
    assert summary.checked == 1 and summary.counts["active"] == 1 and summary.failed == 0
    assert rd.nmbrs.calls["token.refresh_token"] == 1 and rd.nmbrs.calls["user/info"] == 1
    assert rd.nmbrs.calls["companies"] == 1
    link = await rd.desk.get(link_id)
    assert link is not None and link.kind == "rest" and link.state == "active"
    after = await rd.refresh_token_of(link_id)
    assert after != before and rd.nmbrs.live_refresh_tokens(email_for(1)) == 1  # the stored one is the live one
    assert link.refresh_started_at is None and link.refresh_lease_until is None
    assert link.refreshed_at == rd.desk.time.now and link.access_expires_at == rd.desk.time.now + timedelta(hours=1)
    assert [c["name"] for c in link.companies] == ["Company 1.0", "Company 1.1"]
    [check] = await checks_of(rd, link_id)
    assert (check.outcome, check.transition) == ("valid", None)
    # The next night works with the committed token (the old one would be invalid_grant now).
    rd.desk.time.advance(86400)
    await rd.recheck().run()
    assert rd.nmbrs.calls["token.refresh_token"] == 2 and not rd.nmbrs.token_errors


async def test_two_replicas_refreshing_the_same_link_at_once_send_one_refresh(rest_desk: RestDesk) -> None:
    rd = rest_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.reset_counters()
    rd.nmbrs.latency_s = 0.3  # both are inside the refresh window together
    # A second replica: its own engine (connection pool) and gateway, the same database.
    engine = create_engine(str(rd.desk.sessions.kw["bind"].url.render_as_string(hide_password=False))
                           .replace("+aiosqlite", "").replace("+psycopg", ""))
    other_gateway = make_gateway(rd.nmbrs)
    try:
        first = RestCheck(rd.tokens())
        second = RestCheck(rd.tokens(gateway=other_gateway, sessions=session_factory(engine)))
        began = rd.desk.time.now
        answers = await asyncio.gather(first.check(link_id, began=began), second.check(link_id, began=began))
    finally:
        rd.nmbrs.latency_s = 0
        await other_gateway.aclose()
        await engine.dispose()
    assert all(isinstance(a, Valid) for a in answers), answers
    assert rd.nmbrs.calls["token.refresh_token"] == 1
    assert not rd.nmbrs.token_errors
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 1


async def test_a_withdrawn_consent_is_confirmed_then_broken_with_connect_again(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.revoke_consent(email_for(1))
    summary = await rd.recheck(confirm_delay_s=300).run()
    await rd.desk.outbox.drain()
    assert [(c.trigger, c.outcome, c.reason, c.transition) for c in await checks_of(rd, link_id)] == [
        ("recheck", "rejected", "consent", None), ("confirm", "rejected", "consent", "broken")]
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "broken" and link.last_reason == "consent"
    assert rd.desk.notifier.kinds() == ["broken", "customer_broken", "digest"]
    broken, customer, digest = rd.desk.notifier.alerts
    assert "withdrawn or expired" in broken.details["headline"]
    assert digest.details["broken"][0]["kind"] == "rest" and broken.link.kind == "rest"
    assert "Connect again" in customer.details["action"]
    assert summary.counts["broken"] == 1


async def test_a_token_endpoint_down_all_night_is_transient_never_broken(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    before = await rd.refresh_token_of(link_id)
    rd.nmbrs.set_down("refused")
    try:
        recheck = rd.recheck()
        await recheck.run()
        rd.desk.time.advance(86400)
        await recheck.run()
    finally:
        rd.nmbrs.set_down(False)
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "unverified" and link.last_reason == "connection"
    assert [c.outcome for c in await checks_of(rd, link_id)] == ["unreachable", "unreachable"]
    # Nothing reached Nmbrs: the token is untouched. (A kept-alive connection the server cut may
    # leave the "answer lost" mark: from our side that cannot be told apart, and it only matters
    # if the next refresh answers invalid_grant.)
    assert await rd.refresh_token_of(link_id) == before
    await rd.recheck().run()
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "active"


async def test_a_lost_refresh_answer_is_reported_as_lost_on_our_side(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.hang_s = 0.2
    rd.nmbrs.fail_next("lost", endpoint="token.refresh_token")
    recheck = rd.recheck(confirm_delay_s=300)
    first = await recheck.check_one(link_id)
    assert (first.outcome, first.reason) == ("unreachable", "connection")
    link = await rd.desk.get(link_id)
    assert link is not None and link.refresh_started_at is not None and link.refresh_lease_until is None
    # The refresh rotated the token at Nmbrs; the one we hold is spent. Not a withdrawn consent:
    second = await recheck.check_one(link_id)
    assert (second.outcome, second.reason, second.transition) == ("rejected", "lost", "confirming")
    rd.desk.time.advance(300)
    await recheck.sweep()
    await rd.desk.outbox.drain()
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "broken" and link.last_reason == "lost"
    [broken] = rd.desk.notifier.of("broken")
    assert "lost on our side" in broken.details["headline"]
    assert rd.nmbrs.calls["token.refresh_token"] == 3  # no retry of the lost one


async def test_a_process_killed_between_the_token_answer_and_the_commit(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.hang_s = 5
    rd.nmbrs.fail_next("lost", endpoint="token.refresh_token")
    tokens = rd.tokens()
    task = asyncio.create_task(RestCheck(tokens).check(link_id, began=rd.desk.time.now))
    while rd.nmbrs.live_refresh_tokens(email_for(1)) != 1 or rd.nmbrs.calls["token.refresh_token"] == 0:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the refresh has rotated at Nmbrs; we die before any answer is committed
    task.cancel()
    link = await rd.desk.get(link_id)
    assert link is not None and link.refresh_started_at is not None and link.refresh_lease_until is not None
    # While the dead worker's lease lasts nobody refreshes; after it, the mark says "lost on our side".
    rd.desk.time.advance(LEASE_S + 1)
    answer = await RestCheck(rd.tokens()).check(link_id, began=rd.desk.time.now)
    assert isinstance(answer, Rejected) and answer.category is RejectionCategory.LOST


async def test_a_disabled_environment_is_definitive(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.set_environment_disabled(email_for(1))
    report = await rd.recheck().check_one(link_id)
    assert (report.outcome, report.reason, report.fault_code, report.transition) == (
        "rejected", "subscription", 40304, "confirming")


async def test_quota_and_throttling_are_transient_with_the_servers_delay(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.fail_next("throttled", endpoint="user/info", retry_after=7)
    answer = await RestCheck(rd.tokens()).check(link_id, began=rd.desk.time.now)
    assert isinstance(answer, Unreachable) and answer.code == 42908 and answer.retry_after_s == 7
    rd.nmbrs.fail_next("quota", endpoint="companies")
    report = await rd.recheck().check_one(link_id)
    assert (report.outcome, report.reason, report.fault_code) == ("unreachable", "http_error", 42909)
    link = await rd.desk.get(link_id)
    assert link is not None and link.state == "active"


async def test_an_answer_without_a_refresh_token_keeps_the_old_one(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    before = await rd.refresh_token_of(link_id)
    rd.nmbrs.omit_refresh_token = True
    report = await rd.recheck().check_one(link_id)
    rd.nmbrs.omit_refresh_token = False
    assert report.outcome == "valid"
    assert await rd.refresh_token_of(link_id) == before


async def test_a_scope_change_alerts_support(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1, companies=1)
    link_id = await rd.link(1)
    rd.user(1, companies=3)  # two companies were added in Nmbrs
    report = await rd.recheck().check_one(link_id)
    await rd.desk.outbox.drain()
    assert (report.outcome, report.transition) == ("valid", "scope_changed")
    [alert] = rd.desk.notifier.of("scope_changed")
    assert alert.details["companies_added"] or alert.details.get("added_companies")


async def test_a_401_on_a_token_fresh_from_our_refresh_is_definitive(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    rd.nmbrs.fail_next("invalid_token", endpoint="user/info")
    answer = await RestCheck(rd.tokens()).check(link_id, began=rd.desk.time.now)
    assert isinstance(answer, Rejected) and answer.category is RejectionCategory.CONSENT and answer.code == 40102
    assert rd.nmbrs.calls["token.refresh_token"] == 1


async def test_a_401_on_a_token_another_worker_got_is_followed_by_one_refresh(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    link_id = await rd.link(1)
    began = rd.desk.time.now - timedelta(days=4)  # the stored token counts as fresh for this check
    rd.nmbrs.reset_counters()
    rd.nmbrs.fail_next("invalid_token", endpoint="user/info")
    answer = await RestCheck(rd.tokens()).check(link_id, began=began)
    assert isinstance(answer, Valid)
    assert rd.nmbrs.calls["token.refresh_token"] == 1 and rd.nmbrs.calls["user/info"] == 2
    link = await rd.desk.get(link_id)
    assert link is not None and isinstance(link, Link)


async def test_a_replaced_consents_old_refresh_token_is_revoked_at_nmbrs(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    rd.user(1)
    await rd.link(1)
    await rd.link(1)  # the customer consented again for the same debtor: the first consent's token is queued
    assert rd.nmbrs.live_refresh_tokens(email_for(1)) == 2
    worker = rd.revocations()
    rd.nmbrs.set_down("503")
    try:
        assert await worker.run_due() == RevocationReport(revoked=0, left=1)  # kept for a later attempt
    finally:
        rd.nmbrs.set_down(False)
    assert await worker.run_due() == RevocationReport()  # not due again yet
    rd.desk.time.advance(3600)
    assert await worker.run_due() == RevocationReport(revoked=1)
    assert rd.nmbrs.calls["revocation"] == 2 and rd.nmbrs.live_refresh_tokens(email_for(1)) == 1
    await rd.desk.outbox.drain()  # the thread hears it went through after all, as an earlier consent's token
    [told] = rd.desk.notifier.of("revocation_done")
    assert told.details["earlier_consent"] is True and told.link is not None and told.link.state == "active"
