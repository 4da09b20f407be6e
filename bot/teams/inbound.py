"""A Teams activity as plain values: who (tenant, Entra object id, locale), where (1:1 chat or a
channel thread, serviceUrl), and what (text without the bot's @mention, or a card's submitted values).

This is the one module that reads Teams' activity JSON; the rest of bot/teams works on `Inbound`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.commands import COMMANDS
from handlers.model import Person
from handlers.text.locale import lang_for_locale

PLATFORM = "teams"

# Linear in the text (a stranger's, up to Teams' limit): <at>…</at> and <code>…</code> are paired by
# _elements, not by a lazy regex that would scan to the end again from every unclosed <at>.
_AT = (re.compile(r"<at\b", re.IGNORECASE), re.compile(r"</at>", re.IGNORECASE))
_CODE = (re.compile(r"<code\b", re.IGNORECASE), re.compile(r"</code>", re.IGNORECASE))
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|pre|blockquote)>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-z][a-z0-9]*+\b[^<>]*>", re.IGNORECASE)
_SLASH = re.compile(r"^\s*/?nmbrs\b\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Inbound:
    """What tokendesk needs of one activity."""

    type: str
    id: str | None
    scope: str
    """personal, channel or groupChat."""
    conversation_id: str
    service_url: str
    tenant_id: str | None
    user_id: str | None
    """The sender's Entra object id (what links, staff lists and audit entries name)."""
    teams_user_id: str | None
    user_name: str | None
    locale: str | None
    text: str
    """What the person typed, as plain text, without the bot's @mention."""
    value: Mapping[str, Any] | None
    """A card's submitted inputs and data."""
    reply_to_id: str | None
    channel_id: str | None
    team_id: str | None
    bot_id: str | None
    bot_added: bool
    """The app was just installed here (in a team, or by a user for themselves)."""

    @property
    def personal(self) -> bool:
        return self.scope == "personal"

    @property
    def thread_id(self) -> str:
        """Where answers in a channel go: the thread of this post (its root is the post itself)."""
        if ";messageid=" in self.conversation_id or not self.id or not self.id.isdigit():
            return self.conversation_id
        return f"{self.conversation_id};messageid={self.id}"


def _get(mapping: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def plain_text(text: str) -> str:
    """Teams message text as typed: @mentions dropped, HTML (rich text) turned into plain text,
    `<code>` kept as a code span so pasted tokens in code are recognised as such."""
    text = _replace_elements(text or "", _AT, lambda content: " ")
    if not _TAG.search(text):
        return text.strip()
    text = _replace_elements(text, _CODE, lambda content: f"`{content}`")
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).strip()


def _replace_elements(text: str, tag: tuple[re.Pattern[str], re.Pattern[str]],
                      replace: Callable[[str], str]) -> str:
    """Each `<tag …>content</tag>` replaced, left to right with the nearest closing tag (as
    `<tag\\b[^>]*>(.*?)</tag>` would), reading the text once."""
    opening, closing = tag
    pieces, last = [], 0
    while (start := opening.search(text, last)) is not None:
        content_start = text.find(">", start.end()) + 1
        end = closing.search(text, content_start) if content_start else None
        if end is None:
            break  # no later opening tag has a closing one either
        pieces += [text[last:start.start()], replace(text[content_start:end.start()])]
        last = end.end()
    return "".join(pieces) + text[last:]


def inbound(activity: Mapping[str, Any]) -> Inbound:
    conversation = activity.get("conversation") if isinstance(activity.get("conversation"), Mapping) else {}
    channel_data = activity.get("channelData") if isinstance(activity.get("channelData"), Mapping) else {}
    sender = activity.get("from") if isinstance(activity.get("from"), Mapping) else {}
    recipient = activity.get("recipient") if isinstance(activity.get("recipient"), Mapping) else {}
    kind = str(activity.get("type") or "")
    conversation_id = _str(conversation.get("id")) or ""
    scope = _str(conversation.get("conversationType")) or ("channel" if _get(channel_data, "channel", "id")
                                                            else "personal")
    channel_id = _str(_get(channel_data, "channel", "id")) or _str(channel_data.get("teamsChannelId"))
    if channel_id is None and scope == "channel":
        channel_id = conversation_id.split(";")[0] or None
    bot_id = _str(recipient.get("id"))
    added = activity.get("membersAdded") if isinstance(activity.get("membersAdded"), list) else []
    bot_added = (
        (kind == "installationUpdate" and activity.get("action") in ("add", "add-upgrade"))
        or (kind == "conversationUpdate" and any(_get(m, "id") == bot_id for m in added if bot_id))
    )
    value = activity.get("value")
    return Inbound(
        type=kind,
        id=_str(activity.get("id")),
        scope=scope,
        conversation_id=conversation_id,
        service_url=_str(activity.get("serviceUrl")) or "",
        tenant_id=_str(_get(channel_data, "tenant", "id")) or _str(conversation.get("tenantId")),
        user_id=_str(sender.get("aadObjectId")),
        teams_user_id=_str(sender.get("id")),
        user_name=_str(sender.get("name")),
        locale=_str(activity.get("locale")),
        text=plain_text(activity.get("text") if isinstance(activity.get("text"), str) else ""),
        value=value if isinstance(value, Mapping) else None,
        reply_to_id=_str(activity.get("replyToId")),
        channel_id=channel_id,
        team_id=_str(_get(channel_data, "team", "id")) or _str(channel_data.get("teamsTeamId")),
        bot_id=bot_id,
        bot_added=bot_added,
    )


def person(item: Inbound, *, home_tenant: str | None, default_lang: str) -> Person | None:
    """The neutral person behind an activity; None when it names no Entra user (bots, anonymous)."""
    if item.user_id is None or item.tenant_id is None:
        return None
    return Person(
        platform=PLATFORM, team_id=item.tenant_id, user_id=item.user_id,
        lang=lang_for_locale(item.locale, default_lang),
        # Users of another organisation (external chat, guests' home tenant) are never staff.
        home_team=home_tenant is not None and item.tenant_id.lower() == home_tenant.lower(),
        display_name=item.user_name,
    )


def command_text(text: str) -> str | None:
    """The `/nmbrs` subcommand line when `text` is one (the command menu sends the bare word),
    else None. An optional leading `/nmbrs` or `nmbrs` is accepted, as typed in Slack."""
    stripped = _SLASH.sub("", text, count=1) if _SLASH.match(text) else text
    explicit = stripped != text
    first = stripped.split(maxsplit=1)[0].lower() if stripped.strip() else ""
    if first in COMMANDS or (explicit and not first):
        return stripped.strip()
    return None

