"""The one dialect-aware INSERT … ON CONFLICT, and the outbox queries built on it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from storage import alerts, runs, webhook_events
from storage.models import Lease, utcnow
from storage.upsert import insert_ignoring_conflict, insert_or_update


async def test_insert_ignoring_conflict_inserts_once(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    async with sessions() as session, session.begin():
        first = await runs.request(session, slot="2026-03-02T02:30", trigger="schedule", now=now)
        again = await runs.request(session, slot="2026-03-02T02:30", trigger="schedule", now=now)
        other = await runs.request(session, slot="2026-03-03T02:30", trigger="schedule", now=now)
    assert (first, again, other) == (True, False, True)
    async with sessions() as session:
        queued = await runs.unfinished(session)
    assert [run.slot for run in queued] == ["2026-03-02T02:30", "2026-03-03T02:30"]


async def test_insert_or_update_updates_only_where_allowed(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    later = now + timedelta(seconds=30)

    async def take(holder: str, at, ttl_s: float = 60):  # type: ignore[no-untyped-def]
        expires = at + timedelta(seconds=ttl_s)
        async with sessions() as session, session.begin():
            return await insert_or_update(
                session, Lease, values={"name": "job", "holder": holder, "expires_at": expires},
                index_elements=["name"], set_={"holder": holder, "expires_at": expires},
                where=(Lease.expires_at < at) | (Lease.holder == holder), returning=Lease.holder,
            )

    assert await take("a", now) == "a"  # inserted
    assert await take("b", later) is None  # a's, not expired: nothing written
    assert await take("a", later) == "a"  # a's own: extended
    assert await take("b", later + timedelta(seconds=61)) == "b"  # expired: taken over
    async with sessions() as session:
        lease = await session.get(Lease, "job")
        assert lease is not None and lease.holder == "b"


async def test_insert_or_update_without_returning(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    async with sessions() as session, session.begin():
        values = {"name": "x", "holder": "a", "expires_at": now}
        assert await insert_or_update(session, Lease, values=values, index_elements=["name"],
                                      set_={"holder": "c"}) is None
        assert await insert_or_update(session, Lease, values=values, index_elements=["name"],
                                      set_={"holder": "c"}) is None
    async with sessions() as session:
        lease = await session.get(Lease, "x")
        assert lease is not None and lease.holder == "c"
    async with sessions() as session, session.begin():
        assert not await insert_ignoring_conflict(session, Lease, values=values, index_elements=["name"])


async def test_alert_queued_once_then_claimed_by_one(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        assert await alerts.add(session, key="k1", kind="digest", link_id=None, payload={"kind": "digest"})
        assert not await alerts.add(session, key="k1", kind="digest", link_id=None, payload={"kind": "digest"})
        assert await alerts.count_unsent(session) == 1
        [row] = await alerts.unsent(session, max_attempts=8, limit=10)
    now = utcnow()
    async with sessions() as session, session.begin():
        assert await alerts.claim(session, alert_id=row.id, now=now, claim_for=timedelta(minutes=2))
        assert not await alerts.claim(session, alert_id=row.id, now=now, claim_for=timedelta(minutes=2))
        # Once the claim has run out, another replica may take it.
        assert await alerts.claim(session, alert_id=row.id, now=now + timedelta(minutes=3),
                                  claim_for=timedelta(minutes=2))


async def test_webhook_event_recorded_once_and_due_in_order(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()

    def event(n: int) -> dict[str, object]:
        return {"event_id": f"evt_{n}", "key": f"key-{n}", "type": "link.activated", "link_id": None,
                "body": "{}", "status": "pending", "created_at": now, "next_attempt_at": now, "attempts": 0}

    async with sessions() as session, session.begin():
        assert await webhook_events.add(session, values=event(1))
        assert not await webhook_events.add(session, values=event(1))
        assert await webhook_events.add(session, values=event(2))
    async with sessions() as session, session.begin():
        # Events without a link (the desk-wide soap.* ones) wait for each other, as a link's events do.
        [first] = await webhook_events.due(session, now=now, limit=10)
        claimed = await webhook_events.claim(session, row_id=first, now=now, claim_for=timedelta(seconds=30))
        assert claimed is not None and claimed.event_id == "evt_1"
        assert await webhook_events.claim(session, row_id=first, now=now, claim_for=timedelta(seconds=30)) is None
    async with sessions() as session:
        assert await webhook_events.due(session, now=now, limit=10) == []  # the first is held, the second waits
        assert await webhook_events.any_pending(session)
    async with sessions() as session, session.begin():
        await webhook_events.settle(session, row_id=first, values={"status": "delivered", "claimed_until": None})
    async with sessions() as session:
        [second] = await webhook_events.due(session, now=now, limit=10)  # delivered: the second's turn
        assert second != first
