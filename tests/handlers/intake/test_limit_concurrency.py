"""The hourly limit of rejected submissions under concurrency (issue 12 finding 2): a slot is reserved
in the database before Nmbrs is asked, on SQLite and PostgreSQL, and given back unless rejected."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.intake import REJECTED_PER_HOUR, RESERVATION_STALE, Connected, Intake, Limited, Pending, Refused
from handlers.model import Person
from storage.intake_attempts import Who
from storage.models import IntakeAttempt, utcnow
from tests.handlers.intake.conftest import TOKEN, USER

PERSON = Person(platform="slack", team_id="T1", user_id="U1", lang="en")
WRONG = "9" * 16 + "a" * 16
CHECK = "DebtorService.Environment_Get"


@pytest.fixture
def intake(sessions, cipher, gateway, outbox) -> Intake:  # type: ignore[no-untyped-def]
    return Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)


async def outcomes(sessions) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list((await session.scalars(select(IntakeAttempt.outcome).order_by(IntakeAttempt.id))).all())


async def wait_in_flight(nmbrs, count: int) -> None:  # type: ignore[no-untyped-def]
    """Until `count` requests are being answered by the stand-in (it answers after latency_s)."""
    for _ in range(500):
        if nmbrs.in_flight >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} checks never reached Nmbrs ({nmbrs.in_flight})")


async def test_100_concurrent_wrong_tokens_reach_nmbrs_five_times(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    nmbrs.latency_s = 0.05  # so the submissions overlap while Nmbrs answers
    nmbrs.reset_counters()
    results = await asyncio.gather(*(intake.submit(person=PERSON, username=USER, token=WRONG) for _ in range(100)))
    assert nmbrs.calls[CHECK] == REJECTED_PER_HOUR
    assert sum(isinstance(r, Refused) for r in results) == REJECTED_PER_HOUR
    assert sum(isinstance(r, Limited) for r in results) == 100 - REJECTED_PER_HOUR
    assert all(timedelta(minutes=55) < r.retry_after <= timedelta(hours=1) for r in results if isinstance(r, Limited))
    recorded = await outcomes(sessions)
    assert recorded.count("rejected") == REJECTED_PER_HOUR and recorded.count("limited") == 95
    assert "reserved" not in recorded
    # Someone else is not held back by it.
    other = Person(platform="slack", team_id="T1", user_id="U2", lang="en")
    assert isinstance(await intake.submit(person=other, username=USER, token=TOKEN), Connected)


async def test_a_valid_submission_holds_its_slot_only_while_nmbrs_answers(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    # Five accounts: five checks of one login at once would race to create the same link.
    logins = [(f"hr{i}@acme.nl", f"{i}" * 16 + "b" * 16) for i in range(REJECTED_PER_HOUR)]
    for i, (username, token) in enumerate(logins):
        nmbrs.add_account(username, token, f"acme{i}")
    nmbrs.latency_s = 0.5
    nmbrs.reset_counters()
    flying = [asyncio.create_task(intake.submit(person=PERSON, username=username, token=token))
              for username, token in logins]
    await wait_in_flight(nmbrs, REJECTED_PER_HOUR)
    # Five checks in flight use the five slots: a sixth is not sent to Nmbrs.
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=WRONG), Limited)
    assert isinstance(await intake.limited(PERSON), Limited)
    assert all(isinstance(r, Connected) for r in await asyncio.gather(*flying))
    assert nmbrs.calls[CHECK] == REJECTED_PER_HOUR
    # Valid: every slot is back.
    nmbrs.latency_s = 0.0
    assert await intake.limited(PERSON) is None
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Connected)
    assert (await outcomes(sessions)).count("valid") == REJECTED_PER_HOUR + 1


async def test_an_unreachable_nmbrs_gives_the_slot_back(intake, nmbrs) -> None:  # type: ignore[no-untyped-def]
    for left in range(REJECTED_PER_HOUR - 1, 0, -1):
        refused = await intake.submit(person=PERSON, username=USER, token=WRONG)
        assert isinstance(refused, Refused) and refused.attempts_left == left
    nmbrs.fail_next("html503", count=10)
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Pending)
    nmbrs.reset()  # Nmbrs is back (and no longer knows the account: a rejection)
    last = await intake.submit(person=PERSON, username=USER, token=WRONG)
    assert isinstance(last, Refused) and last.attempts_left == 0
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Limited)


async def test_the_hours_limit_holds_for_reservations_in_flight(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    """Four rejected and one check still with Nmbrs: the limit is reached until that one is settled."""
    for _ in range(REJECTED_PER_HOUR - 1):
        await intake.submit(person=PERSON, username=USER, token=WRONG)
    nmbrs.latency_s = 0.5
    nmbrs.reset_counters()
    flying = asyncio.create_task(intake.submit(person=PERSON, username=USER, token=TOKEN))
    await wait_in_flight(nmbrs, 1)
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Limited)
    assert isinstance(await flying, Connected)
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Connected)


async def test_a_reservation_whose_process_died_stops_counting(intake, sessions, nmbrs) -> None:  # type: ignore[no-untyped-def]
    who = Who(PERSON.platform, PERSON.team_id, PERSON.user_id)

    async def reserved(age: timedelta) -> None:
        async with sessions() as session, session.begin():
            for _ in range(REJECTED_PER_HOUR):
                session.add(IntakeAttempt(platform=who.platform, team_id=who.team_id, user_id=who.user_id,
                                          at=utcnow() - age, outcome="reserved"))

    await reserved(RESERVATION_STALE + timedelta(minutes=1))
    assert await intake.limited(PERSON) is None
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Connected)
    await reserved(timedelta(minutes=1))
    nmbrs.reset_counters()
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Limited)
    assert nmbrs.calls[CHECK] == 0


async def test_a_cancelled_check_gives_the_slot_back(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(REJECTED_PER_HOUR - 1):
        await intake.submit(person=PERSON, username=USER, token=WRONG)
    nmbrs.latency_s = 0.8  # in flight long enough to cancel, below the gateway's read timeout (5 s)
    nmbrs.reset_counters()
    task = asyncio.create_task(intake.submit(person=PERSON, username=USER, token=TOKEN))
    await wait_in_flight(nmbrs, 1)
    assert isinstance(await intake.limited(PERSON), Limited)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await outcomes(sessions))[-1] == "failed"
    assert await intake.limited(PERSON) is None


async def test_one_login_sent_five_times_at_once_is_one_link(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    # Five colleagues send the same login: the checks overlap at Nmbrs, so their transactions race to create the same link: the
    # first creates it, the others become a new token on it instead of failing on the unique key.
    from storage.models import Link

    nmbrs.latency_s = 0.3
    people = [Person(platform="slack", team_id="T1", user_id=f"U{k}", lang="en") for k in range(5)]
    results = await asyncio.gather(*(intake.submit(person=person, username=USER, token=TOKEN) for person in people))
    assert all(isinstance(result, Connected) for result in results), results
    async with sessions() as session:
        links = (await session.scalars(select(Link))).all()
    assert len(links) == 1 and links[0].state == "active"
    assert sum(result.created for result in results) == 1
