"""The database lease: one holder at a time, renewed while held, taken over once it expires."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.lease import DatabaseLease, LeaseHeld, LeaseLost, holder_id
from tests.handlers.recheck.conftest import FakeTime


async def test_acquire_renew_expire_and_takeover(sessions) -> None:  # type: ignore[no-untyped-def]
    time = FakeTime()
    a = DatabaseLease(sessions, name="recheck", holder="host-a:1:aa", ttl_s=60, clock=time.clock)
    b = DatabaseLease(sessions, name="recheck", holder="host-b:2:bb", ttl_s=60, clock=time.clock)
    assert await a.acquire()
    assert await a.acquire()  # taking it again is extending it
    assert not await b.acquire()
    assert not await b.renew()
    state = await b.current()
    assert state is not None and state.holder == "host-a:1:aa" and state.expires_at == time.now + timedelta(seconds=60)

    time.advance(50)
    assert await a.renew()  # renewed: good for another 60 s from now
    time.advance(50)
    assert not await b.acquire()

    time.advance(11)  # a died: nobody renewed for 61 s
    assert await b.current() is None
    assert await b.acquire()
    assert not await a.renew() and not await a.acquire()
    assert not await a.release()  # not a's to give away
    assert await b.release()
    assert await a.acquire()


async def test_only_one_of_many_racing_processes_gets_it(sessions) -> None:  # type: ignore[no-untyped-def]
    leases = [DatabaseLease(sessions, name="recheck", holder=f"h{i}") for i in range(8)]
    won = await asyncio.gather(*(lease.acquire() for lease in leases))
    assert sum(won) == 1


async def test_held_renews_and_releases(sessions) -> None:  # type: ignore[no-untyped-def]
    a = DatabaseLease(sessions, name="job", holder=holder_id(), ttl_s=0.3, renew_every_s=0.05)
    b = DatabaseLease(sessions, name="job", holder=holder_id(), ttl_s=0.3)
    async with a.held():
        await asyncio.sleep(0.5)  # longer than the ttl: kept alive by renewal
        assert not await b.acquire()
        with pytest.raises(LeaseHeld) as refused:
            async with b.held():
                pass
        assert refused.value.holder == a.holder
    assert await b.acquire()  # released at the end of the block


async def test_a_lease_taken_over_stops_the_work_it_guarded(sessions) -> None:  # type: ignore[no-untyped-def]
    time = FakeTime()
    a = DatabaseLease(sessions, name="job", holder="a", ttl_s=60, renew_every_s=0.02, clock=time.clock)
    b = DatabaseLease(sessions, name="job", holder="b", ttl_s=60, clock=time.clock)
    finished = False
    with pytest.raises(LeaseLost):
        async with a.held():
            time.advance(61)  # a stalled past its expiry...
            assert await b.acquire()  # ...and b took over
            await asyncio.sleep(1)
            finished = True
    assert not finished
    assert (await b.current()).holder == "b"
