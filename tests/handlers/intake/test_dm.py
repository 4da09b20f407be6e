"""The chat answer (handlers.dm) with no chat platform: a real database, the Nmbrs stand-in, a clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from handlers import dm
from handlers.conversations import Conversations
from handlers.form import TOKEN as TOKEN_FIELD
from handlers.form import USERNAME as USERNAME_FIELD
from handlers.form import shape_errors
from handlers.intake import Intake
from handlers.model import Person
from handlers.parse import find_credentials
from storage.models import Link
from tests.handlers.intake.conftest import TOKEN, USER

PERSON = Person(platform="teams", team_id="tenant-1", user_id="aad-1", lang="en")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def intake(sessions, cipher, gateway, outbox) -> Intake:  # type: ignore[no-untyped-def]
    return Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)


@pytest.fixture
def conversations(sessions, cipher, clock: Clock) -> Conversations:  # type: ignore[no-untyped-def]
    return Conversations(sessions=sessions, cipher=cipher, clock=clock)


async def _answer(text: str, intake: Intake, conversations: Conversations):  # type: ignore[no-untyped-def]
    return await dm.answer(person=PERSON, found=find_credentials(text), intake=intake, conversations=conversations)


async def test_nothing_found_is_welcomed(intake, conversations, nmbrs) -> None:  # type: ignore[no-untyped-def]
    reply = await _answer("hello there", intake, conversations)
    assert reply.offer_connect and "Connect" in reply.headline


async def test_two_halves_connect_and_the_wait_is_told_by_the_clock(intake, conversations, clock, sessions, nmbrs) -> None:  # type: ignore[no-untyped-def]
    asked = await _answer(f"my login is {USER}", intake, conversations)
    assert "within 15 minutes" in asked.action
    clock.now += timedelta(minutes=10)
    reminded = await _answer("what now?", intake, conversations)
    assert "within 5 minutes" in reminded.action
    connected = await _answer(f"token: {TOKEN}", intake, conversations)
    assert connected.tone == "ok"
    async with sessions() as session:
        [link] = (await session.scalars(select(Link))).all()
    assert link.username == USER and link.platform == "teams"


def test_the_failure_reply_carries_the_reference_in_both_languages() -> None:
    assert "Reference: 0123abcd4567." in dm.failed("0123abcd4567", "en").detail
    assert "Referentie: 0123abcd4567." in dm.failed("0123abcd4567", "nl").detail


def test_delete_hint_only_when_a_token_was_in_the_message() -> None:
    assert dm.delete_notes(find_credentials(f"{USER} {TOKEN}"), "en")
    assert dm.delete_notes(find_credentials(USER), "en") == []


def test_shape_errors_name_neutral_fields() -> None:
    assert shape_errors(USER, TOKEN, "en") == {}
    errors = shape_errors("not-an-email", "abc def", "nl")
    assert set(errors) == {USERNAME_FIELD, TOKEN_FIELD} and all(errors.values())
