"""The one decision of which ways to connect the desk offers (handlers.offer), at the UTC day boundary,
and what the intake and the chat answer do with it: REST only turns credentials away before anything
is checked, stored or counted, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from handlers import dm
from handlers.conversations import Conversations
from handlers.intake import Intake, SoapClosed
from handlers.model import Person
from handlers.offer import Offer, Offering, decide
from handlers.parse import find_credentials
from handlers.text import replies
from storage.models import IntakeAttempt, Link
from tests.handlers.intake.conftest import TOKEN, USER
from tests.handlers.intake.test_dm import Clock

PERSON = Person(platform="slack", team_id="T1", user_id="U1", lang="nl")
UNTIL = date(2027, 3, 1)


def at(*moment: int) -> Clock:
    clock = Clock()
    clock.now = datetime(*moment, tzinfo=timezone.utc)  # type: ignore[misc]
    return clock


@pytest.mark.parametrize("rest, until, today, offer", [
    (False, None, date(2027, 3, 1), Offer.SOAP),
    (False, UNTIL, date(2030, 1, 1), Offer.SOAP),  # without REST the date changes nothing
    (True, None, date(2030, 1, 1), Offer.BOTH),
    (True, UNTIL, date(2027, 2, 28), Offer.BOTH),
    (True, UNTIL, date(2027, 3, 1), Offer.REST),  # on the day itself
    (True, UNTIL, date(2027, 3, 2), Offer.REST),
])
def test_the_mode(rest: bool, until: date | None, today: date, offer: Offer) -> None:
    assert decide(rest=rest, soap_until=until, today=today) is offer


def test_the_day_turns_at_midnight_utc() -> None:
    clock = at(2027, 2, 28, 23, 59, 59)
    offering = Offering(rest=True, soap_until=UNTIL, clock=clock)
    assert offering.now() is Offer.BOTH and offering.soap_closed() is None
    clock.now = datetime(2027, 3, 1, 0, 0, tzinfo=timezone.utc)
    assert offering.now() is Offer.REST and offering.soap_closed() == UNTIL
    # Half past midnight on 1 March in Amsterdam is still 28 February in UTC: both ways still.
    clock.now = datetime.fromisoformat("2027-03-01T00:30:00+01:00").astimezone(timezone.utc)
    assert offering.now() is Offer.BOTH


def test_past_date_without_rest_is_only_a_warning() -> None:
    assert Offering(rest=False, soap_until=UNTIL, clock=at(2027, 3, 1)).stop_passed_without_rest()
    assert not Offering(rest=False, soap_until=UNTIL, clock=at(2027, 2, 28)).stop_passed_without_rest()
    assert not Offering(rest=True, soap_until=UNTIL, clock=at(2027, 3, 1)).stop_passed_without_rest()
    assert not Offering(rest=False, clock=at(2027, 3, 1)).stop_passed_without_rest()


async def _count(sessions, model: type) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_rest_only_turns_credentials_away_unchecked(sessions, cipher, gateway, outbox, nmbrs) -> None:  # type: ignore[no-untyped-def]
    clock = at(2027, 3, 1, 8)
    intake = Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox,
                    offering=Offering(rest=True, soap_until=UNTIL, clock=clock))
    for _ in range(7):  # more than the hour's rejected submissions: none of them counts
        assert await intake.submit(person=PERSON, username=USER, token=TOKEN) == SoapClosed(since=UNTIL)
    assert await intake.submit(person=PERSON, username="", token="") == SoapClosed(since=UNTIL)  # no shape check
    assert sum(nmbrs.calls.values()) == 0
    assert await _count(sessions, Link) == 0 and await _count(sessions, IntakeAttempt) == 0
    reply = replies.outcome_reply(SoapClosed(since=UNTIL), "nl")
    assert "Sinds 2027-03-01" in reply.detail and reply.offer_connect and TOKEN not in reply.text()

    conversations = Conversations(sessions=sessions, cipher=cipher, clock=clock)
    half = await dm.answer(person=PERSON, found=find_credentials(f"mijn login is {USER}"), intake=intake,
                           conversations=conversations)
    assert "Sinds 2027-03-01" in half.detail
    assert await conversations.waiting(person=PERSON) is None  # not even half of it kept
    hello = await dm.answer(person=PERSON, found=find_credentials("hallo"), intake=intake,
                            conversations=conversations)
    assert hello.offer_connect and "token" not in hello.text().lower()

    clock.now = datetime(2027, 2, 28, 8, tzinfo=timezone.utc)  # the day before: checked as always
    assert not isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), SoapClosed)
    assert sum(nmbrs.calls.values()) > 0
