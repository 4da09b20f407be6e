"""Half-sent credentials: remembered 15 minutes, the token sealed to its row, then forgotten."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from handlers.conversations import Complete, Conversations, Waiting
from handlers.model import Person
from storage.cipher import Sealed, TokenCipher, pending_row
from storage.models import PendingConversation

TOKEN = "0123456789abcdef0123456789abcdef"
ALICE = Person("slack", "T1", "U0ALICE", "en")
BOB = Person("slack", "T1", "U0BOB", "en")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversations(sessions, cipher: TokenCipher, clock: Clock) -> Conversations:  # type: ignore[no-untyped-def]
    return Conversations(sessions=sessions, cipher=cipher, clock=clock)


async def test_token_then_username(conversations: Conversations, sessions, cipher: TokenCipher) -> None:  # type: ignore[no-untyped-def]
    waiting = await conversations.take(person=ALICE, token=TOKEN)
    assert isinstance(waiting, Waiting) and waiting.missing == "username" and waiting.token_last4 == "cdef"
    async with sessions() as session:
        row = (await session.scalars(select(PendingConversation))).one()
    assert TOKEN.encode() not in row.token_ciphertext
    assert cipher.open(Sealed(row.token_key_id, row.token_ciphertext), row=pending_row(row.id)) == TOKEN
    assert await conversations.take(person=ALICE, username="a@b.nl") == Complete("a@b.nl", TOKEN)
    assert await conversations.waiting(person=ALICE) is None


async def test_username_then_token_and_people_are_kept_apart(conversations: Conversations) -> None:
    await conversations.take(person=ALICE, username="a@b.nl")
    assert isinstance(await conversations.take(person=BOB, token=TOKEN), Waiting)
    assert await conversations.take(person=ALICE, token=TOKEN) == Complete("a@b.nl", TOKEN)
    bob = await conversations.waiting(person=BOB)
    assert bob is not None and bob.missing == "username"


async def test_a_newer_half_replaces_the_older_one(conversations: Conversations) -> None:
    await conversations.take(person=ALICE, username="old@b.nl")
    await conversations.take(person=ALICE, username="new@b.nl")
    assert await conversations.take(person=ALICE, token=TOKEN) == Complete("new@b.nl", TOKEN)


async def test_halves_expire_after_15_minutes(conversations: Conversations, clock: Clock, sessions) -> None:  # type: ignore[no-untyped-def]
    waiting = await conversations.take(person=ALICE, token=TOKEN)
    assert waiting.expires_at == clock.now + timedelta(minutes=15)
    clock.now += timedelta(minutes=14, seconds=59)
    assert await conversations.waiting(person=ALICE) is not None
    clock.now += timedelta(seconds=1)
    assert await conversations.waiting(person=ALICE) is None
    assert isinstance(await conversations.take(person=ALICE, username="a@b.nl"), Waiting)
    async with sessions() as session:
        rows = (await session.scalars(select(PendingConversation))).all()
    assert [(r.username, r.token_ciphertext) for r in rows] == [("a@b.nl", None)]  # the sealed token is gone


async def test_both_halves_at_once_forget_what_was_remembered(conversations: Conversations) -> None:
    await conversations.take(person=ALICE, username="a@b.nl")
    assert await conversations.take(person=ALICE, username="c@d.nl", token=TOKEN) == Complete("c@d.nl", TOKEN)
    assert await conversations.waiting(person=ALICE) is None


async def test_a_token_sealed_under_a_removed_key_is_asked_for_again(
    conversations: Conversations, sessions  # type: ignore[no-untyped-def]
) -> None:
    from storage.cipher import generate_key_line

    await conversations.take(person=ALICE, token=TOKEN)
    conversations.cipher = TokenCipher.from_text(generate_key_line("k2"))
    assert isinstance(await conversations.take(person=ALICE, username="a@b.nl"), Waiting)


def test_complete_repr_hides_the_token() -> None:
    assert TOKEN not in repr(Complete("a@b.nl", TOKEN))
