"""The answer to credentials sent in a chat (Slack DM, Teams 1:1 chat): explain, ask for the missing
half, or check them. Platform-neutral: adapters pass the person and what was found in the text."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from handlers.conversations import Conversations, Waiting
from handlers.intake import Intake
from handlers.model import Person
from handlers.parse import Found
from handlers.text import conversation, offer_text, replies
from handlers.text.replies import Reply


async def answer(
    *, person: Person, found: Found, intake: Intake, conversations: Conversations,
    clock: Callable[[], datetime] | None = None,
) -> Reply:
    """What to say to a chat message that may hold (part of) the credentials."""
    now = clock or conversations.clock
    lang = person.lang
    closed = intake.soap_closed()
    if closed is not None:  # REST only: nothing taken, nothing kept (not even half), nothing counted
        return offer_text.rest_welcome(lang) if found.empty else offer_text.soap_closed(closed, lang)
    if found.empty:
        waiting = await conversations.waiting(person=person)
        return conversation.welcome(lang) if waiting is None else ask(waiting, lang, now=now())
    limit = await intake.limited(person)
    if limit is not None:
        return replies.limited(limit.retry_after, lang)
    half = await conversations.take(person=person, username=found.username, token=found.token)
    if isinstance(half, Waiting):
        return ask(half, lang, now=now())
    outcome = await intake.submit(person=person, username=half.username, token=half.token)
    return replies.outcome_reply(outcome, lang)


def welcome(intake: Intake, lang: str) -> Reply:
    """The first words to someone who has not sent anything: REST only, just the consent button."""
    return conversation.welcome(lang) if intake.soap_closed() is None else offer_text.rest_welcome(lang)


def ask(waiting: Waiting, lang: str, *, now: datetime) -> Reply:
    """Ask for the half that is still missing, and say how long the first half is kept."""
    left = waiting.expires_at - now
    if waiting.missing == "token":
        return conversation.ask_token(waiting.username or "", left, lang)
    return conversation.ask_username(waiting.token_last4, left, lang)


def delete_notes(found: Found, lang: str) -> list[str]:
    """The bot cannot delete a customer's message: when it held the token, say it is still there."""
    return [conversation.delete_hint(lang)] if found.token else []


def failed(reference: str, lang: str) -> Reply:
    """An unexpected error while handling credentials: nothing was stored, and the reference that is
    also in the log line (the same words as `/nmbrs`' failure)."""
    base = conversation.internal_error(lang)
    label = "Referentie" if replies.is_nl(lang) else "Reference"
    return dataclasses.replace(base, detail=f"{base.detail} {label}: {reference}.")
