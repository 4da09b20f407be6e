"""The link state machine of DESIGN.md, one transition at a time, against the Nmbrs stand-in."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.standins.nmbrs.accounts import StandinCompany
from handlers.recheck import RecheckBusy
from storage.links import open_token
from storage.models import AlertRecord, Check, Link, LinkState
from tests.handlers.recheck.conftest import Desk, token_for, user_for


async def checks_of(desk: Desk, link_id: int) -> list[Check]:
    async with desk.sessions() as session:
        return list((await session.scalars(select(Check).where(Check.link_id == link_id).order_by(Check.id))).all())


async def test_a_working_link_stays_active_quietly(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    summary = await desk.recheck().run()
    await desk.outbox.drain()
    assert summary.checked == 1 and summary.counts["active"] == 1 and summary.changes == [] and summary.failed == 0
    assert desk.notifier.kinds() == []  # digest "changes": nothing changed, nothing broken
    [check] = await checks_of(desk, link_id)
    assert (check.trigger, check.outcome, check.run_id, check.transition) == ("recheck", "valid", summary.run_id, None)
    link = await desk.get(link_id)
    assert link.state == "active" and link.last_checked_at == desk.time.now


async def test_a_definitive_failure_is_confirmed_after_the_delay_then_breaks_once(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.set_token(user_for(1), "f" * 32)  # the customer reset their token in Nmbrs
    recheck = desk.recheck(confirm_delay_s=300)
    summary = await recheck.run()
    await desk.outbox.drain()
    assert desk.time.slept == [300.0]
    assert [(c.trigger, c.outcome, c.transition) for c in await checks_of(desk, link_id)] == [
        ("recheck", "rejected", None), ("confirm", "rejected", "broken")]
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 2
    link = await desk.get(link_id)
    assert link.state == "broken" and link.confirm_due_at is None and link.last_reason == "credentials"
    assert desk.notifier.kinds() == ["broken", "customer_broken", "digest"]
    broken, customer, digest = desk.notifier.alerts
    assert broken.details["reason"] == "credentials" and broken.details["code"] == 1001
    assert "API Token" in broken.details["action"] and broken.details["customer_notified"] is True
    assert customer.details["user_id"] == "U1" and customer.details["platform"] == "slack" and customer.lang == "en"
    assert customer.link.environment == "env1" and customer.link.token_last4 == token_for(1)[-4:]
    assert digest.details["broken"][0]["link"] == f"L{link_id}"
    assert [c["transition"] for c in summary.changes] == ["broken"] and summary.confirmations == 1

    # The next night: still broken, no second alert for the same break (only the digest again).
    again = await recheck.run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["broken", "customer_broken", "digest", "digest"]
    assert again.changes == [] and again.counts["broken"] == 1


async def test_a_failure_that_does_not_repeat_on_the_confirming_attempt_is_forgotten(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.fault_on_call(1, 1001, operation="DebtorService.Environment_Get")
    await desk.recheck().run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == []
    link = await desk.get(link_id)
    assert link.state == "active" and link.confirm_due_at is None and link.last_reason is None
    assert [(c.trigger, c.outcome) for c in await checks_of(desk, link_id)] == [("recheck", "rejected"), ("confirm", "valid")]


async def test_rights_taken_away_break_the_link_too(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.account_fault(user_for(1), 1002, "CompanyService.List_GetAll")
    await desk.recheck(notify_customers=False).run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["broken", "digest"]  # no customer message when switched off
    assert desk.notifier.alerts[0].details["reason"] == "rights"
    assert (await desk.get(link_id)).state == "broken"


async def test_transient_failures_never_break_and_support_hears_after_n_nights(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.account_fault(user_for(1), 9999)  # Nmbrs' "unknown error": no verdict
    recheck = desk.recheck(unverified_after=3)
    for night in (1, 2):
        await recheck.run()
        desk.time.advance(86400)
        link = await desk.get(link_id)
        assert link.state == "active" and link.failed_checks == night
    await desk.outbox.drain()
    assert desk.notifier.kinds() == []
    await recheck.run()
    await recheck.run()  # a fourth night: still unverified, nothing new
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["unverified", "digest"]
    alert = desk.notifier.alerts[0]
    assert alert.details["nights"] == 3 and alert.details["cause"] == "nmbrs_error" and alert.details["code"] == 9999
    assert (await desk.get(link_id)).state == "unverified"

    desk.nmbrs.account_fault(user_for(1), None)
    summary = await recheck.run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["unverified", "digest", "restored", "digest"]
    assert desk.notifier.alerts[2].details["previous_state"] == "unverified"
    link = await desk.get(link_id)
    assert link.state == "active" and link.failed_checks == 0
    assert [c["transition"] for c in summary.changes] == ["restored"]


async def test_a_broken_link_that_validates_again_is_restored(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1, state=LinkState.BROKEN)
    await desk.recheck().run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["restored", "digest"]
    assert desk.notifier.alerts[0].details["previous_state"] == "broken"
    assert (await desk.get(link_id)).state == "active"


async def test_a_broken_link_still_failing_stays_broken_without_alerts(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1, state=LinkState.BROKEN)
    desk.nmbrs.remove_account(user_for(1))
    await desk.recheck(digest="off").run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == [] and desk.time.slept == []  # nothing to confirm on a broken link
    assert (await desk.get(link_id)).state == "broken"


async def test_a_scope_change_is_reported_by_name_and_is_not_a_break(desk: Desk) -> None:
    desk.account(1, companies=2)
    link_id = await desk.link(1)
    account = desk.nmbrs.accounts[user_for(1)]
    account.companies = [account.companies[0], StandinCompany(59999, 9, "Nieuw <!channel> B.V.", debtor_id=1001)]
    await desk.recheck().run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["scope_changed", "digest"]
    details = desk.notifier.alerts[0].details
    assert details["companies_added"] == ["Nieuw <!channel> B.V."] and details["companies_removed"] == ["Company 1.1"]
    assert details["debtors_added"] == [] and details["debtors_removed"] == []
    link = await desk.get(link_id)
    assert link.state == "active" and {c["name"] for c in link.companies} == {"Company 1.0", "Nieuw <!channel> B.V."}
    await desk.recheck().run()  # the same scope again: nothing new
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["scope_changed", "digest"]


async def test_a_pending_link_becomes_active_and_the_customer_hears(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1, state=LinkState.PENDING, environment=None, scoped=False)
    summary = await desk.recheck().run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["activated", "customer_result", "digest"]
    result = desk.notifier.of("customer_result")[0]
    assert result.details["outcome"] == "valid" and result.details["user_id"] == "U1"
    link = await desk.get(link_id)
    assert (link.state, link.environment, len(link.companies)) == ("active", "env1", 1)
    assert [c["transition"] for c in summary.changes] == ["activated"]


async def test_a_pending_link_nmbrs_rejects_is_rejected_and_its_token_destroyed(desk: Desk) -> None:
    link_id = await desk.link(7, state=LinkState.PENDING, environment=None, scoped=False)  # unknown to Nmbrs
    await desk.recheck().run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["customer_result", "digest"]
    assert desk.notifier.alerts[0].details["outcome"] == "rejected"
    assert desk.notifier.alerts[0].details["reason"] == "credentials"
    link = await desk.get(link_id)
    assert link.state == "rejected" and link.token_ciphertext is None and link.token_last4 == token_for(7)[-4:]
    assert desk.time.slept == []  # pending links are not confirmed: the customer is waiting


async def test_a_pending_link_that_is_a_new_token_for_an_existing_link_moves_onto_it(desk: Desk) -> None:
    desk.account(1)
    old_id = await desk.link(1, state=LinkState.BROKEN)
    new_token = "a1" * 16
    desk.nmbrs.set_token(user_for(1), new_token)
    async with desk.sessions() as session, session.begin():
        from storage.links import store_credentials

        pending = await store_credentials(
            session, desk.cipher, username=user_for(1), token=new_token, environment=None,
            state=LinkState.PENDING, platform="slack", team_id="T1", user_id="U9",
        )
        pending_id = pending.link.id
    summary = await desk.recheck().run()
    await desk.outbox.drain()
    assert await desk.get(pending_id) is None
    link = await desk.get(old_id)
    assert link.state == "active" and open_token(link, desk.cipher) == new_token and link.user_id == "U9"
    kinds = desk.notifier.kinds()
    # "activated" opens the thread if the link never had one (its key makes it a no-op otherwise).
    assert kinds == ["activated", "token_replaced", "restored", "customer_result", "digest"]
    assert desk.notifier.of("customer_result")[0].details["user_id"] == "U9"
    assert "rotated" in [c["transition"] for c in summary.changes]
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 1


async def test_one_bad_link_is_reported_and_the_run_goes_on(desk: Desk, caplog) -> None:  # type: ignore[no-untyped-def]
    for n in (1, 2, 3):
        desk.account(n)
    ids = [await desk.link(n) for n in (1, 2, 3)]
    async with desk.sessions() as session, session.begin():
        link = await session.get(Link, ids[1])
        link.token_ciphertext = link.token_ciphertext[:-1] + bytes([link.token_ciphertext[-1] ^ 1])
    with caplog.at_level(logging.INFO):
        summary = await desk.recheck().run()
    await desk.outbox.drain()
    assert summary.checked == 3 and summary.failed == 1
    assert summary.failures == [{"link_id": ids[1], "link": f"L{ids[1]}", "username": user_for(2),
                                 "environment": "env2", "reason": "decryption"}]
    assert summary.outcomes == {"valid": 2, "error": 1}
    [digest] = desk.notifier.alerts
    assert digest.details["failed"] == 1 and digest.details["failures"][0]["reason"] == "decryption"
    assert (await desk.get(ids[1])).state == "active"  # our fault is not the customer's
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 2
    for n in (1, 2, 3):
        assert token_for(n) not in caplog.text


async def test_rerunning_never_repeats_an_alert(desk: Desk) -> None:
    for n in range(1, 6):
        desk.account(n)
    ids = [await desk.link(n) for n in range(1, 6)]
    await desk.link(6, state=LinkState.BROKEN)  # unknown to Nmbrs: stays broken
    desk.nmbrs.remove_account(user_for(2))
    desk.nmbrs.account_fault(user_for(3), 9999)
    recheck = desk.recheck(unverified_after=1)
    for _ in range(3):
        await recheck.run()
    await desk.outbox.drain()
    kinds = [k for k in desk.notifier.kinds() if k != "digest"]
    assert sorted(kinds) == ["broken", "customer_broken", "unverified"]
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AlertRecord)) == 3 + 3
    assert (await desk.get(ids[1])).state == "broken"


async def test_a_second_run_at_the_same_time_is_refused(desk: Desk) -> None:
    desk.account(1)
    await desk.link(1)
    desk.nmbrs.latency_s = 0.2
    first = desk.recheck(holder="a")
    import asyncio

    task = asyncio.create_task(first.run())
    await asyncio.sleep(0.05)
    try:
        await first.run()
    except RecheckBusy as exc:
        assert exc.holder == "a"
    else:
        raise AssertionError("a second run in the same process was not refused")
    other = desk.recheck(holder="b")
    try:
        await other.run()
    except RecheckBusy as exc:
        assert exc.holder == "a"
    else:
        raise AssertionError("a run in another process was not refused")
    summary = await task
    assert summary.checked == 1


async def test_a_check_all_by_support_is_not_a_night(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.account_fault(user_for(1), 9999)
    recheck = desk.recheck(unverified_after=1)
    await recheck.run(trigger="manual")
    await desk.outbox.drain()
    assert desk.notifier.kinds() == [] and (await desk.get(link_id)).failed_checks == 0
    await recheck.run(trigger="cli")  # `tokendesk recheck` is the nightly check, run now
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["unverified", "digest"]
