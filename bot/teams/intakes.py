"""Teams' side of pending intakes (issue 12 finding 3): credentials pasted in the 1:1 chat are recorded
with the activity's claim, and the worker answers in that chat through the connector."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.teams import cards
from bot.teams.inbound import PLATFORM, Inbound
from bot.teams.sender import Sender
from handlers.connect import Tickets
from handlers.model import Person
from handlers.parse import Found
from handlers.text import conversation, replies
from handlers.text.replies import Reply
from storage.pending_intakes import Target


def chat_target(item: Inbound, who: Person) -> Target:
    """Where the answer to a 1:1 chat message goes: its conversation, through its service URL."""
    return Target(platform=PLATFORM, team_id=who.team_id, user_id=who.user_id, channel_id=item.conversation_id,
                  response_target=item.service_url, lang=who.lang)


def complete(found: Found) -> bool:
    return bool(found.username and found.token)


@dataclasses.dataclass
class TeamsAnswerer:
    """Answers a pending intake in the Teams chat it came from."""

    sender: Sender
    default_lang: str
    platform: str = PLATFORM
    tickets: Tickets | None = None
    """With REST on: the tickets of the "Connect with Nmbrs" button."""

    async def person(self, target: Target) -> Person:
        # The intake needs only who it is (platform, tenant, user) and the language recorded with it.
        return Person(platform=PLATFORM, team_id=target.team_id or "", user_id=target.user_id,
                      lang=target.lang or self.default_lang)

    async def answer(self, target: Target, reply: Reply, *, source: str, username: str, notes: Sequence[str]) -> None:
        if not target.response_target or not target.channel_id:
            raise ValueError("a Teams pending intake without its conversation")
        lang = target.lang or self.default_lang
        consent = None
        if self.tickets is not None and reply.offer_connect:
            consent = await self.tickets.consent(await self.person(target))
        content = cards.reply_card(reply, lang, notes=list(notes), form_intro=conversation.form_intro(lang),
                                   consent=consent)
        await self.sender.send(target.response_target, target.channel_id, cards.message(content, reply.headline))
