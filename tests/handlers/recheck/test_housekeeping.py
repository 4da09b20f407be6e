"""Issue 12 finding 9: delivery ids and expired half-finished conversations are pruned on a schedule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.scheduler import Housekeeping, RecheckScheduler
from storage.deliveries import claim, prune
from storage.models import InboundDelivery, PendingConversation, utcnow
from tests.handlers.recheck.conftest import Desk

EVENTS = 10_000


async def _counts(desk: Desk) -> tuple[int, int]:
    async with desk.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(InboundDelivery)) or 0,
                await session.scalar(select(func.count()).select_from(PendingConversation)) or 0)


async def _seed(desk: Desk) -> None:
    """10,000 events over ten days (one every 86.4 s), and a half-finished conversation for one
    sender in five, of which those older than 15 minutes have expired."""
    now = utcnow()
    step = timedelta(days=10) / EVENTS
    async with desk.sessions() as session, session.begin():
        await session.execute(insert(InboundDelivery), [
            {"platform": "slack", "delivery_id": f"Ev{i:06d}", "received_at": now - i * step} for i in range(EVENTS)])
        await session.execute(insert(PendingConversation), [
            {"platform": "slack", "team_id": "T1", "user_id": f"U{i:06d}", "username": f"hr{i}@example.nl",
             "expires_at": now - i * step + timedelta(minutes=15), "updated_at": now - i * step}
            for i in range(0, EVENTS, 5)])


async def test_housekeeping_bounds_both_tables_after_10000_events(any_desk: Desk) -> None:
    desk = any_desk
    await _seed(desk)
    before = await _counts(desk)
    pruned = await Housekeeping(desk.sessions, holder="test:1").run()
    after = await _counts(desk)
    print(f"after {EVENTS} events: rows (deliveries, conversations) before pruning {before}, after {after}")
    assert before == (EVENTS, EVENTS // 5)
    assert pruned == {"inbound_deliveries": before[0] - after[0], "pending_conversations": before[1] - after[1]}
    assert 995 <= after[0] <= 1005  # one day of the ten
    assert after[1] == 3  # only those still inside their 15 minutes
    # A retried event of today is still recognised as handled.
    async with desk.sessions() as session, session.begin():
        assert await claim(session, platform="slack", delivery_id="Ev000001") is False


async def test_the_delivery_table_is_bounded_whatever_the_rate(any_desk: Desk) -> None:
    desk = any_desk
    await _seed(desk)
    async with desk.sessions() as session, session.begin():
        await prune(session, keep_for=timedelta(days=30), keep_at_most=500)
    async with desk.sessions() as session:
        kept = (await session.scalars(select(InboundDelivery.delivery_id))).all()
    assert len(kept) == 500 and "Ev000000" in kept and "Ev000500" not in kept


async def test_one_replica_at_a_time(desk: Desk) -> None:
    first, second = Housekeeping(desk.sessions, holder="a:1"), Housekeeping(desk.sessions, holder="b:1")
    async with first.lease.held():
        assert await second.run() is None
    assert await second.run() == {"inbound_deliveries": 0, "pending_conversations": 0}


async def test_the_scheduler_runs_it_hourly(desk: Desk) -> None:
    from tests.handlers.recheck.test_scheduler import settings_for  # the scheduler tests' own settings

    scheduler = RecheckScheduler(recheck=desk.recheck(), settings=settings_for(desk))
    await scheduler.start()
    try:
        job = scheduler._scheduler.get_job("housekeeping")
        assert job is not None and job.trigger.interval == timedelta(hours=1)
    finally:
        await scheduler.shutdown()
