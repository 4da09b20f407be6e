"""The connector calls tokendesk makes, through the Teams SDK's ApiClient: send to a conversation,
open a thread in a channel (create conversation), update a card in place.

The ApiClient brings the bot's token (from the app's credentials) and talks to whichever serviceUrl
the conversation lives at; errors are the SDK's HTTP errors and propagate (the outbox retries).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from microsoft_teams.api import ApiClient, ConversationAccount, CreateConversationParams, MessageActivityInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Posted:
    conversation_id: str
    activity_id: str


class Sender:
    """Connector calls on behalf of the bot, bound to the SDK app's ApiClient."""

    def __init__(self, api: ApiClient, *, bot_id: str) -> None:
        self.api = api
        self.bot_id = bot_id

    def _at(self, service_url: str) -> ApiClient:
        return self.api.clone(service_url=service_url)

    async def send(self, service_url: str, conversation_id: str, activity: MessageActivityInput) -> Posted:
        """A new message in a conversation (a 1:1 chat, or a channel thread: `…;messageid=<root>`)."""
        activity.conversation = ConversationAccount(id=conversation_id)
        sent = await self._at(service_url).conversations.create_activity(conversation_id, activity)
        return Posted(conversation_id, str(sent.id))

    async def update(self, service_url: str, conversation_id: str, activity_id: str,
                     activity: MessageActivityInput) -> None:
        """Replace a message the bot sent (a card after its button was used)."""
        activity.id = activity_id
        activity.conversation = ConversationAccount(id=conversation_id)
        await self._at(service_url).conversations.update_activity(conversation_id, activity_id, activity)

    async def open_thread(self, service_url: str, channel_id: str, activity: MessageActivityInput,
                          *, tenant_id: str | None) -> Posted:
        """A new post in a channel, which starts a thread; replies go to the returned conversation id."""
        # isGroup is part of Bot Framework's ConversationParameters but not of the SDK's model (which
        # keeps extra fields as given): a channel post is a group conversation.
        params = CreateConversationParams(
            channel_data={"channel": {"id": channel_id}}, activity=activity, tenant_id=tenant_id, isGroup=True,
        )
        created = await self._at(service_url).conversations.create(params)
        root = created.activity_id or created.id.partition(";messageid=")[2]
        conversation = created.id if ";messageid=" in created.id else f"{channel_id};messageid={root}"
        return Posted(conversation, str(root))
