"""Pending intakes (issue 12 finding 3) with no chat platform: a real database (SQLite and
PostgreSQL), the Nmbrs stand-in, two workers on one database as two replicas would be."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.conversations import Conversations
from handlers.intake import Intake
from handlers.model import Person
from handlers.pending_intakes import DM, FORM, MAX_ATTEMPTS, PendingIntakes
from handlers.text.replies import Reply
from storage.models import Link, PendingIntake
from storage.pending_intakes import Target
from tests.handlers.intake.conftest import TOKEN, USER

TARGET = Target(platform="slack", team_id="T1", user_id="U1", channel_id="D1")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


class RecordingAnswerer:
    """The platform port: records what the customer was told; can be made to fail like Slack down."""

    platform = "slack"

    def __init__(self) -> None:
        self.answers: list[tuple[Target, Reply, str]] = []
        self.fail = False

    async def person(self, target: Target) -> Person:
        return Person(platform="slack", team_id=target.team_id or "", user_id=target.user_id, lang=target.lang or "en")

    async def answer(self, target: Target, reply: Reply, *, source: str, username: str, notes: Sequence[str]) -> None:
        if self.fail:
            raise RuntimeError("slack unreachable")
        self.answers.append((target, reply, source))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def worker(sessions, cipher, gateway, outbox, clock, answerer) -> PendingIntakes:  # type: ignore[no-untyped-def]
    intake = Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)
    return PendingIntakes(sessions=sessions, cipher=cipher, intake=intake,
                          conversations=Conversations(sessions=sessions, cipher=cipher),
                          answerers=[answerer], claim_for=timedelta(seconds=30), clock=clock)


async def record(pending: PendingIntakes, sessions, *, source: str = DM, target: Target = TARGET) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        return await pending.record(session, target=target, username=USER, token=TOKEN, source=source)


async def count(sessions, model) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_recorded_then_finished_answers_once_and_forgets_the_row(  # type: ignore[no-untyped-def]
    sessions, cipher, gateway, outbox, clock, nmbrs: NmbrsStandIn
) -> None:
    answerer = RecordingAnswerer()
    pending = worker(sessions, cipher, gateway, outbox, clock, answerer)
    intake_id = await record(pending, sessions)
    async with sessions() as session:
        row = await session.get(PendingIntake, intake_id)
        assert row is not None and TOKEN.encode() not in row.token_ciphertext and row.claimed_until is not None
    assert await pending.finish(intake_id, claimed=True)
    [(target, reply, source)] = answerer.answers
    assert target == TARGET and source == DM and "Done" in reply.headline
    assert await count(sessions, PendingIntake) == 0 and await count(sessions, Link) == 1


async def test_another_replica_takes_over_only_once_the_claim_ran_out(  # type: ignore[no-untyped-def]
    sessions, cipher, gateway, outbox, clock, nmbrs: NmbrsStandIn
) -> None:
    """Replica A recorded the form submission and died; B leaves it alone while A's claim lasts."""
    a, b = RecordingAnswerer(), RecordingAnswerer()
    replica_a = worker(sessions, cipher, gateway, outbox, clock, a)
    replica_b = worker(sessions, cipher, gateway, outbox, clock, b)
    await record(replica_a, sessions, source=FORM, target=Target("slack", "T1", "U1", view_id="V1", lang="en"))
    assert await replica_b.sweep() == 0 and b.answers == [] and sum(nmbrs.calls.values()) == 0
    clock.now += timedelta(seconds=31)
    assert await replica_b.sweep() == 1
    [(target, reply, source)] = b.answers
    assert target.view_id == "V1" and source == FORM and "Done" in reply.headline
    assert await replica_a.sweep() == 0 and a.answers == []  # nothing left for anyone
    assert await count(sessions, PendingIntake) == 0


async def test_an_answer_that_could_not_be_given_is_given_later(  # type: ignore[no-untyped-def]
    sessions, cipher, gateway, outbox, clock, nmbrs: NmbrsStandIn
) -> None:
    answerer = RecordingAnswerer()
    pending = worker(sessions, cipher, gateway, outbox, clock, answerer)
    intake_id = await record(pending, sessions)
    answerer.fail = True
    assert await pending.finish(intake_id, claimed=True)
    assert answerer.answers == [] and await count(sessions, PendingIntake) == 1  # kept: nobody was told
    answerer.fail = False
    assert await pending.sweep() == 0  # still under the claim of the run that failed
    clock.now += timedelta(seconds=31)
    assert await pending.sweep() == 1
    assert len(answerer.answers) == 1 and await count(sessions, PendingIntake) == 0


async def test_a_row_every_worker_died_on_is_answered_with_a_failure_and_dropped(  # type: ignore[no-untyped-def]
    sessions, cipher, gateway, outbox, clock, nmbrs: NmbrsStandIn
) -> None:
    answerer = RecordingAnswerer()
    pending = worker(sessions, cipher, gateway, outbox, clock, answerer)
    await record(pending, sessions)
    async with sessions() as session, session.begin():
        row = (await session.scalars(select(PendingIntake))).one()
        row.attempts, row.claimed_until = MAX_ATTEMPTS, None
    assert await pending.sweep() == 1
    [(_, reply, _)] = answerer.answers
    assert "Something went wrong on our side" in reply.headline + reply.detail
    assert sum(nmbrs.calls.values()) == 0 and await count(sessions, PendingIntake) == 0
