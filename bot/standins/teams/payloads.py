"""What Teams sends to the bot: the tenant, team and channels of the test organisation, and the
activities for a 1:1 message, a card submit, a channel @mention and the app's installation."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

APP_ID = "00000000-0000-4000-8000-00000000b07a"
APP_SECRET = "teams-test-client-secret"
TENANT_ID = "11111111-1111-4111-8111-111111111111"
OTHER_TENANT = "22222222-2222-4222-8222-222222222222"
BOT_ID = f"28:{APP_ID}"
TEAM_ID = "19:teamgeneral0000@thread.tacv2"
SUPPORT_CHANNEL = "19:supportchannel0000@thread.tacv2"
OTHER_CHANNEL = "19:otherchannel0000@thread.tacv2"


@dataclass(frozen=True)
class TeamsUser:
    """A Teams user: Entra object id, Bot Framework id, name, tenant and locale."""

    aad: str
    name: str
    tenant: str = TENANT_ID
    locale: str = "nl-NL"

    @property
    def teams_id(self) -> str:
        return f"29:{self.aad[:8]}-teams"

    @property
    def chat(self) -> str:
        """Their 1:1 chat with the bot."""
        return f"a:chat-{self.aad[:8]}"

    def account(self) -> dict[str, Any]:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad}


_activity_ids = itertools.count(1)


def activity_id() -> str:
    return f"{int(time.time() * 1000)}{next(_activity_ids):04d}"


def _base(user: TeamsUser, service_url: str, *, kind: str = "message") -> dict[str, Any]:
    return {
        "type": kind,
        "id": activity_id(),
        "timestamp": "2026-11-24T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": user.account(),
        "recipient": {"id": BOT_ID, "name": "tokendesk"},
        "locale": user.locale,
        "entities": [{"type": "clientInfo", "locale": user.locale, "platform": "Web"}],
    }


def personal_message(user: TeamsUser, text: str, service_url: str, **extra: Any) -> dict[str, Any]:
    """`user` writes `text` in their 1:1 chat with the bot."""
    activity = _base(user, service_url)
    activity.update({
        "text": text, "textFormat": "plain",
        "conversation": {"id": user.chat, "conversationType": "personal", "tenantId": user.tenant},
        "channelData": {"tenant": {"id": user.tenant}},
    })
    activity.update(extra)
    return activity


def card_submit(user: TeamsUser, value: Mapping[str, Any], service_url: str, *, reply_to: str,
                channel: str | None = None, thread: str | None = None) -> dict[str, Any]:
    """An Action.Submit on a card the bot sent (`reply_to` is the card's activity id)."""
    if channel is None:
        activity = personal_message(user, "", service_url)
    else:
        activity = channel_message(user, "", service_url, channel=channel, thread=thread, mention=False)
    activity.pop("text", None)
    activity["value"] = dict(value)
    activity["replyToId"] = reply_to
    return activity


def channel_message(user: TeamsUser, text: str, service_url: str, *, channel: str = SUPPORT_CHANNEL,
                    team: str = TEAM_ID, thread: str | None = None, mention: bool = True) -> dict[str, Any]:
    """`user` writes `@tokendesk text` in a channel (a new post, or a reply in `thread`)."""
    activity = _base(user, service_url)
    message_id = activity["id"]
    conversation = f"{channel};messageid={thread or message_id}"
    entities = list(activity["entities"])
    if mention:
        text = f"<at>tokendesk</at> {text}"
        entities.append({"type": "mention", "text": "<at>tokendesk</at>",
                         "mentioned": {"id": BOT_ID, "name": "tokendesk"}})
    activity.update({
        "text": text, "textFormat": "plain", "entities": entities,
        "conversation": {"id": conversation, "conversationType": "channel", "isGroup": True,
                         "tenantId": user.tenant},
        "channelData": {"teamsChannelId": channel, "teamsTeamId": team, "channel": {"id": channel},
                        "team": {"id": team}, "tenant": {"id": user.tenant}},
    })
    return activity


def team_install(installer: TeamsUser, service_url: str, *, team: str = TEAM_ID) -> dict[str, Any]:
    """The bot is added to a team: conversationUpdate in its General channel."""
    activity = _base(installer, service_url, kind="conversationUpdate")
    activity.update({
        "membersAdded": [{"id": BOT_ID}],
        "conversation": {"id": team, "conversationType": "channel", "isGroup": True, "tenantId": installer.tenant},
        "channelData": {"eventType": "teamMemberAdded", "team": {"id": team, "name": "Support"},
                        "tenant": {"id": installer.tenant}},
    })
    return activity


def personal_install(user: TeamsUser, service_url: str) -> dict[str, Any]:
    """The user adds the app for themselves: installationUpdate in their 1:1 chat."""
    activity = _base(user, service_url, kind="installationUpdate")
    activity.update({
        "action": "add",
        "conversation": {"id": user.chat, "conversationType": "personal", "tenantId": user.tenant},
        "channelData": {"tenant": {"id": user.tenant}},
    })
    return activity
