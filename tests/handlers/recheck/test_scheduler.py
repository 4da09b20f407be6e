"""The scheduler: slots from the crontab in its time zone, catch-up at start, one run across
replicas, a sweep that finishes what a stopped replica left, and its health."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.config import load_settings
from bot.scheduler import RecheckScheduler, previous_fire_time, slot_key
from storage.models import Check, Lease, RecheckRun
from tests.handlers.recheck.conftest import Desk

AMS = ZoneInfo("Europe/Amsterdam")


def test_previous_fire_time_follows_the_crontab_in_its_zone() -> None:
    nightly = CronTrigger.from_crontab("30 2 * * *", timezone="Europe/Amsterdam")
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert previous_fire_time(nightly, now) == datetime(2026, 11, 23, 2, 30, tzinfo=AMS)
    before = datetime(2026, 11, 23, 1, 29, tzinfo=timezone.utc)  # 02:29 in Amsterdam
    assert previous_fire_time(nightly, before) == datetime(2026, 11, 22, 2, 30, tzinfo=AMS)
    summer = datetime(2026, 7, 1, 0, 31, tzinfo=timezone.utc)  # 02:31 CEST
    assert previous_fire_time(nightly, summer) == datetime(2026, 7, 1, 2, 30, tzinfo=AMS)
    minutely = CronTrigger.from_crontab("* * * * *", timezone="UTC")
    assert previous_fire_time(minutely, datetime(2026, 11, 23, 9, 0, 59, tzinfo=timezone.utc)) == datetime(
        2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    yearly = CronTrigger.from_crontab("0 0 1 1 *", timezone="UTC")
    assert previous_fire_time(yearly, now) == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert slot_key(datetime(2026, 11, 23, 2, 30, tzinfo=AMS)) == "schedule:2026-11-23T01:30:00+00:00"


def settings_for(desk: Desk, **overrides):  # type: ignore[no-untyped-def]
    values = {"recheck_cron": "30 2 * * *", "timezone": "Europe/Amsterdam", "recheck_on_start": False}
    values.update(overrides)
    return load_settings(**values)


async def wait_for_run(desk: Desk, status: str = "finished", timeout: float = 10) -> list[RecheckRun]:
    async with asyncio.timeout(timeout):
        while True:
            async with desk.sessions() as session:
                runs = (await session.scalars(select(RecheckRun))).all()
            if runs and all(r.status == status for r in runs):
                return list(runs)
            await asyncio.sleep(0.02)


async def test_two_replicas_catching_up_at_start_run_the_check_once(any_desk: Desk) -> None:
    desk = any_desk
    for i in (1, 2, 3):
        desk.account(i)
        await desk.link(i)
    settings = settings_for(desk, recheck_on_start=True, recheck_cron="0 0 1 1 *", timezone="UTC")
    replicas = [RecheckScheduler(recheck=desk.recheck(holder=f"replica-{i}"), settings=settings,
                                 clock=desk.time.clock) for i in (1, 2)]
    await asyncio.gather(*(r.start() for r in replicas))
    try:
        [run] = await wait_for_run(desk)
        assert run.slot == "schedule:2026-01-01T00:00:00+00:00" and run.trigger == "schedule"
        for replica in replicas:
            ok, reason = replica.healthy()
            assert ok and reason.startswith("next check 2027-01-01"), reason
    finally:
        await asyncio.gather(*(r.shutdown() for r in replicas))
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 3
    assert replicas[0].healthy() == (False, "scheduler not running")

    again = RecheckScheduler(recheck=desk.recheck(holder="replica-3"), settings=settings, clock=desk.time.clock)
    await again.start()  # a restart: last year's slot has run, nothing to catch up
    await asyncio.sleep(0.2)
    await again.shutdown()
    async with desk.sessions() as session:
        assert len((await session.scalars(select(RecheckRun))).all()) == 1


async def test_the_nightly_job_asks_once_per_slot_whoever_fires(desk: Desk) -> None:
    desk.account(1)
    await desk.link(1)
    settings = settings_for(desk)
    replicas = [RecheckScheduler(recheck=desk.recheck(holder=f"r{i}"), settings=settings, clock=desk.time.clock)
                for i in range(3)]
    for replica in replicas:
        await replica.start()
    try:
        await asyncio.gather(*(r._nightly() for r in replicas))  # the cron fires everywhere at once
        [run] = await wait_for_run(desk)
        assert run.slot == "schedule:2026-11-23T01:30:00+00:00"  # 02:30 in Amsterdam, START itself
        await asyncio.gather(*(r._nightly() for r in replicas))  # fired again (e.g. a misfire): same slot
    finally:
        for replica in replicas:
            await replica.shutdown()
    async with desk.sessions() as session:
        assert len((await session.scalars(select(RecheckRun))).all()) == 1
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 1


async def test_shutdown_stops_a_run_and_the_next_sweep_finishes_it(any_desk: Desk) -> None:
    desk = any_desk
    for i in range(1, 13):
        desk.account(i)
        await desk.link(i)
    desk.nmbrs.latency_s = 0.03
    settings = settings_for(desk)
    first = RecheckScheduler(recheck=desk.recheck(holder="old", concurrency=2), settings=settings, clock=desk.time.clock)
    await first.start()
    await first.recheck.request_slot("schedule:manual-test")
    first._spawn(first._sweep())
    async with asyncio.timeout(10):
        while True:
            async with desk.sessions() as session:
                if len((await session.scalars(select(Check.id))).all()) >= 3:
                    break
            await asyncio.sleep(0.01)
    await first.shutdown()
    async with desk.sessions() as session:
        assert (await session.scalar(select(RecheckRun.status))) == "running"
        assert await session.scalar(select(Lease)) is None  # released on the way out
    desk.nmbrs.latency_s = 0
    second = RecheckScheduler(recheck=desk.recheck(holder="new"), settings=settings, clock=desk.time.clock)
    await second.start()
    try:
        await second._sweep()
    finally:
        await second.shutdown()
    [run] = await wait_for_run(desk)
    assert run.holder == "new" and run.counts["checked"] == 12
    async with desk.sessions() as session:
        link_ids = (await session.scalars(select(Check.link_id).where(Check.trigger == "recheck"))).all()
    assert sorted(link_ids) == sorted(set(link_ids)) and len(link_ids) == 12


async def test_health_reports_a_sweep_that_keeps_failing(desk: Desk) -> None:
    scheduler = RecheckScheduler(recheck=desk.recheck(), settings=settings_for(desk), clock=desk.time.clock)
    await scheduler.start()
    try:
        async def broken() -> None:
            raise ConnectionError("database went away")

        scheduler.recheck.sweep = broken  # type: ignore[method-assign]
        for _ in range(3):
            await scheduler._sweep()
        ok, reason = scheduler.healthy()
        assert not ok and "failed 3 times in a row (ConnectionError)" in reason
    finally:
        await scheduler.shutdown()
