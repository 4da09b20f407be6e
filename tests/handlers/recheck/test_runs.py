"""Whole runs: resuming after a crash without repeating checks or alerts, the limits on Nmbrs
calls, digests, single checks, the scheduler's sweep and scheduled slots."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.nmbrs import CallLimiter, NmbrsGateway
from handlers.model import Person
from handlers.recheck import LinkNotFound, RecheckBusy
from storage.models import AlertRecord, Check, Lease, Link, LinkState, RecheckRun
from tests.handlers.recheck.conftest import Desk, user_for


async def recorded(desk: Desk, *where) -> int:  # type: ignore[no-untyped-def]
    async with desk.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Check).where(*where)) or 0


async def crash(task: asyncio.Task, desk: Desk, holder: str) -> None:  # type: ignore[type-arg]
    """Stop a run as a dying process would: its work stops and its lease stays until it expires."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # A dead process's connections close with it. A cancelled session may have left its connection
    # checked out inside an open transaction, holding SQLite's write lock until the garbage collector
    # happens by (seen in CI: "database is locked" on the lease below): collect it now.
    gc.collect()
    await asyncio.sleep(0)
    async with desk.sessions() as session, session.begin():
        session.add(Lease(name="recheck", holder=holder, expires_at=desk.time.now + timedelta(seconds=60)))


async def test_a_run_that_dies_half_way_is_finished_by_the_next_holder(any_desk: Desk) -> None:
    desk = any_desk
    n = 24
    for i in range(1, n + 1):
        desk.account(i)
        await desk.link(i)
    desk.nmbrs.remove_account(user_for(3))  # will break
    desk.nmbrs.account_fault(user_for(5), 9999)  # could not be checked
    desk.nmbrs.latency_s = 0.02
    first = desk.recheck(holder="a", unverified_after=1)
    task = asyncio.create_task(first.run())
    while await recorded(desk, Check.run_id.is_not(None)) < 8:
        await asyncio.sleep(0.01)
    await crash(task, desk, "a")
    done_before = await recorded(desk, Check.run_id.is_not(None), Check.trigger == "recheck")
    assert 8 <= done_before < n
    async with desk.sessions() as session:
        checked_before = set((await session.scalars(
            select(Link.username).join(Check, Check.link_id == Link.id).where(Check.trigger == "recheck")
        )).all())
    await asyncio.sleep(0.2)  # a request already on the wire when the run died reaches the stand-in
    mark = len(desk.nmbrs.requests)

    second = desk.recheck(holder="b", unverified_after=1)
    with pytest.raises(RecheckBusy):
        await second.run()  # a's lease has not expired yet
    desk.time.advance(61)
    summary = await second.run()
    await desk.outbox.drain()

    assert summary.resumed and summary.checked == n
    async with desk.sessions() as session:
        runs = (await session.scalars(select(RecheckRun))).all()
        assert [(r.status, r.holder) for r in runs] == [("finished", "b")]
        per_link = (await session.execute(
            select(Check.link_id, func.count()).where(Check.trigger == "recheck").group_by(Check.link_id)
        )).all()
        assert len(per_link) == n and all(count == 1 for _, count in per_link)
    # After the crash Nmbrs is asked once for each link whose result was not written (answers the
    # dead run had but had not written yet are asked again), never for one that was; and once more
    # to confirm the broken link.
    asked_after = Counter(r.username for r in desk.nmbrs.requests[mark:]
                          if r.operation == "DebtorService.Environment_Get")
    expected = Counter({user_for(i): 1 for i in range(1, n + 1) if user_for(i) not in checked_before})
    expected[user_for(3)] += 1
    assert asked_after == expected
    assert sorted(k for k in desk.notifier.kinds()) == ["broken", "customer_broken", "digest", "unverified"]


async def test_a_confirmation_pending_at_a_crash_is_honoured_once(any_desk: Desk) -> None:
    desk = any_desk
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.remove_account(user_for(1))
    waiting = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(desk.recheck(holder="a", sleep=sleep_forever).run())
    await waiting.wait()
    await crash(task, desk, "a")
    assert (await desk.get(link_id)).confirm_due_at is not None
    desk.time.advance(301)
    summary = await desk.recheck(holder="b").run()
    await desk.outbox.drain()
    assert summary.resumed and summary.checked == 1 and summary.confirmations == 1
    assert desk.notifier.kinds() == ["broken", "customer_broken", "digest"]
    assert (await desk.get(link_id)).state == "broken"
    assert await recorded(desk, Check.link_id == link_id) == 2
    await desk.recheck(holder="b").run()
    await desk.outbox.drain()
    assert desk.notifier.kinds().count("broken") == 1


async def test_nmbrs_calls_stay_within_the_shared_limiter(desk: Desk) -> None:
    limited = NmbrsGateway(base_url=desk.nmbrs.base_url, limiter=CallLimiter(3, 1000), retries=0,
                           connect_timeout_s=10, read_timeout_s=10)
    desk.gateway = limited
    for i in range(1, 21):
        desk.account(i)
        await desk.link(i)
    desk.nmbrs.latency_s = 0.01
    try:
        summary = await desk.recheck(concurrency=8).run()
    finally:
        await limited.aclose()
    assert summary.checked == 20 and summary.counts["active"] == 20
    assert 0 < desk.nmbrs.max_in_flight <= 3


async def test_many_links_are_worked_through_in_a_bounded_pool(desk: Desk) -> None:
    desk.nmbrs.require_domain = True
    for i in range(1, 61):
        desk.account(i)
        await desk.link(i)
    progress: list[tuple[int, int]] = []

    async def report(p) -> None:  # type: ignore[no-untyped-def]
        progress.append((p.done, p.total))

    summary = await desk.recheck(concurrency=5).run(progress=report)
    assert summary.checked == 60 and summary.outcomes == {"valid": 60}
    assert progress[0] == (0, 60) and progress[-1] == (60, 60)
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 60


@pytest.mark.parametrize("mode, changed, expected", [
    ("always", False, ["digest"]), ("changes", False, []), ("changes", True, ["restored", "digest"]),
    ("off", True, ["restored"]),
])
async def test_digest_modes(desk: Desk, mode: str, changed: bool, expected: list[str]) -> None:
    desk.account(1)
    await desk.link(1, state=LinkState.BROKEN if changed else LinkState.ACTIVE)
    summary = await desk.recheck(digest=mode).run()
    await desk.outbox.drain()
    assert desk.notifier.kinds() == expected
    if "digest" in expected:
        digest = desk.notifier.of("digest")[0].details
        assert digest["run_id"] == summary.run_id and digest["counts"]["active"] == 1 and digest["checked"] == 1


async def test_a_digest_counts_changes_since_the_last_run_and_lists_broken_links(desk: Desk) -> None:
    for i in (1, 2, 3):
        desk.account(i)
    ids = [await desk.link(i) for i in (1, 2)]
    broken = await desk.link(3, state=LinkState.BROKEN)
    desk.nmbrs.remove_account(user_for(3))
    recheck = desk.recheck(digest="always")
    await recheck.run()
    desk.time.advance(3600)
    desk.nmbrs.remove_account(user_for(1))
    report = await recheck.check_one(ids[0])  # between runs, by hand
    assert report.transition == "confirming"
    desk.time.advance(86400)
    summary = await recheck.run()
    await desk.outbox.drain()
    digest = desk.notifier.of("digest")[-1].details
    assert digest["counts"] == {"pending": 0, "active": 1, "rejected": 0, "broken": 2, "unverified": 0, "revoked": 0}
    assert [(c["link"], c["transition"]) for c in digest["changes"]] == [(f"L{ids[0]}", "broken")]
    assert {b["link"] for b in digest["broken"]} == {f"L{ids[0]}", f"L{broken}"}
    assert digest["broken_total"] == 2 and summary.counts["broken"] == 2
    last = await recheck.last_run()
    assert last.id == summary.run_id and last.finished_at == desk.time.now
    assert last.counts["checked"] == 3 and last.counts["states"]["broken"] == 2


async def test_check_one_confirms_later_through_the_sweep(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.remove_account(user_for(1))
    recheck = desk.recheck()
    staff = Person(platform="slack", team_id="T1", user_id="USUPPORT")
    report = await recheck.check_one(link_id, actor=staff)
    assert (report.outcome, report.transition, report.reason) == ("rejected", "confirming", "credentials")
    assert report.confirm_due_at == desk.time.now + timedelta(seconds=300) and report.link.state == "active"
    assert (await recheck.sweep()).confirmed == 0  # not due yet
    desk.time.advance(300)
    swept = await recheck.sweep()
    await desk.outbox.drain()
    assert swept.confirmed == 1 and desk.notifier.kinds() == ["broken", "customer_broken"]
    assert (await desk.get(link_id)).state == "broken"

    desk.account(1)  # the customer fixed it in Nmbrs
    report = await recheck.check_one(link_id, actor=staff)
    await desk.outbox.drain()
    assert (report.outcome, report.transition) == ("valid", "restored") and report.link.state == "active"
    assert desk.notifier.alerts[-1].details["by"] == "USUPPORT"


async def test_check_one_of_a_revoked_or_unknown_link(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1, state=LinkState.REVOKED)
    async with desk.sessions() as session, session.begin():
        await session.execute(update(Link).values(token_ciphertext=None))
    report = await desk.recheck().check_one(link_id)
    assert (report.outcome, report.reason) == ("skipped", "revoked")
    assert desk.nmbrs.total_calls == 0
    with pytest.raises(LinkNotFound):
        await desk.recheck().check_one(9999)


async def test_the_sweep_retries_pending_links_soon(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1, state=LinkState.PENDING, environment=None, scoped=False)
    async with desk.sessions() as session, session.begin():
        await session.execute(update(Link).values(last_checked_at=desk.time.now))  # intake just tried
    recheck = desk.recheck()
    assert (await recheck.sweep()).retried == 0
    desk.time.advance(601)
    assert (await recheck.sweep()).retried == 1
    await desk.outbox.drain()
    assert desk.notifier.kinds() == ["activated", "customer_result"]
    assert (await desk.get(link_id)).state == "active"
    async with desk.sessions() as session:
        assert await session.scalar(select(Check.trigger).where(Check.link_id == link_id)) == "retry"


async def test_a_scheduled_slot_is_run_once_whoever_asks(any_desk: Desk) -> None:
    desk = any_desk
    desk.account(1)
    await desk.link(1)
    a, b = desk.recheck(holder="a"), desk.recheck(holder="b")
    slot = "schedule:2026-11-23T01:30:00+00:00"
    assert await a.request_slot(slot) and not await b.request_slot(slot)
    swept = await asyncio.gather(a.sweep(), b.sweep())
    runs = [s.run for s in swept if s is not None and s.run is not None]
    assert len(runs) == 1 and runs[0].trigger == "schedule"
    assert await a.sweep() == await b.sweep()  # nothing left to do
    assert not await a.request_slot(slot)
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 1


async def test_an_unfinished_run_from_a_previous_night_is_abandoned(desk: Desk) -> None:
    desk.account(1)
    await desk.link(1)
    async with desk.sessions() as session, session.begin():
        session.add(RecheckRun(started_at=desk.time.now - timedelta(days=2), status="running", trigger="schedule",
                               holder="gone", counts={}))
    summary = await desk.recheck().run()
    assert not summary.resumed and summary.checked == 1
    async with desk.sessions() as session:
        assert (await session.scalars(select(RecheckRun.status).order_by(RecheckRun.id))).all() == ["abandoned", "finished"]


async def test_alerts_and_logs_never_carry_a_token(desk: Desk, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from tests.handlers.recheck.conftest import token_for

    for i in (1, 2, 3):
        desk.account(i)
        await desk.link(i, state=LinkState.BROKEN if i == 2 else LinkState.ACTIVE)
    desk.nmbrs.remove_account(user_for(1))
    desk.nmbrs.account_fault(user_for(3), 9999)
    with caplog.at_level(logging.DEBUG):
        await desk.recheck(unverified_after=1, digest="always").run()
        await desk.outbox.drain()
    async with desk.sessions() as session:
        payloads = " ".join(str(p) for p in (await session.scalars(select(AlertRecord.payload))).all())
    for i in (1, 2, 3):
        assert token_for(i) not in caplog.text and token_for(i) not in payloads
    assert len(desk.notifier.alerts) == 5
