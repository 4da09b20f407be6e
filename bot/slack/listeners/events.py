"""Events: direct messages (credentials pasted, sent in two parts, or added by an edit), mentions
in channels (never used, answered privately), and the App Home tab.

bolt acknowledges events before these run, so the Nmbrs check happens after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack.context import SlackContext, support_commands
from bot.slack.dedupe import handled_once
from handlers.parse import Found, find_credentials
from handlers import replies
from handlers.alerts import LinkCard
from handlers.conversations import Waiting
from handlers.ports import Person
from handlers.replies import Reply
from storage.links import find_links
from storage.models import LinkState

log = logging.getLogger(__name__)

#: Message subtypes that are a person writing (file_share: a message with an attachment).
WRITTEN = frozenset({None, "file_share", "thread_broadcast"})


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("channel_type") != "im":
            return  # only DMs are subscribed (message.im); anything else is not for us
        subtype = event.get("subtype")
        if subtype in WRITTEN:
            if not _from_a_bot(ctx, event):
                await on_direct_message(ctx, client, body, event, find_credentials(event.get("text") or ""))
        elif subtype == "message_changed":
            await on_edit(ctx, client, body, event)
        # Every other subtype (message_deleted, bot_message, ...) is acknowledged and left alone.

    async def on_mention(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if not _from_a_bot(ctx, event):
            await on_channel_mention(ctx, client, body, event)

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") == "home" and event.get("user"):
            await publish_home(ctx, client, body)

    def listen(event_type: str, listener: Callable[..., Awaitable[None]]) -> None:
        # Runs once per event across Slack's retries and replicas (claimed after the ack), and is
        # awaited at shutdown.
        app.event(event_type)(ctx.track(handled_once(ctx.desk.sessions, listener)))

    listen("message", on_message)
    listen("app_mention", on_mention)
    listen("app_home_opened", on_home_opened)


def _from_a_bot(ctx: SlackContext, message: Mapping[str, Any]) -> bool:
    """Our own messages (and other bots') are never customer input."""
    return bool(message.get("bot_id")) or message.get("user") in (None, ctx.bot_user_id)


async def _person(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any]) -> Person | None:
    return await ctx.people.person_from(client, body)


# --- direct messages -----------------------------------------------------------------------------


async def on_direct_message(
    ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], message: Mapping[str, Any], found: Found
) -> None:
    person = await _person(ctx, client, body)
    if person is None:
        return
    lang = person.lang
    try:
        reply = await answer(ctx, person, found)
    except Exception:  # noqa: BLE001 - Slack has our acknowledgement and will not resend: answer anyway
        log.exception("direct message could not be handled")
        reply = replies.internal_error(lang)
    # The bot cannot delete a customer's message; tell them the token is still there and how to.
    notes = [replies.delete_hint(lang)] if found.token else []
    event = body.get("event") or {}
    channel = str(event.get("channel") or message.get("channel"))
    thread = message.get("thread_ts")
    await client.chat_postMessage(
        channel=channel, unfurl_links=False, **({"thread_ts": thread} if thread else {}),
        **blocks.reply_message(reply, lang, notes=notes),
    )


async def answer(ctx: SlackContext, person: Person, found: Found) -> Reply:
    """What to say to a DM: explain, ask for the missing half, or check the credentials."""
    assert ctx.conversations is not None
    lang = person.lang
    if found.empty:
        waiting = await ctx.conversations.waiting(person=person)
        return replies.welcome(lang) if waiting is None else _ask(ctx, waiting, lang)
    limit = await ctx.intake.limited(person)
    if limit is not None:
        return replies.limited(limit.retry_after, lang)
    half = await ctx.conversations.take(person=person, username=found.username, token=found.token)
    if isinstance(half, Waiting):
        return _ask(ctx, half, lang)
    outcome = await ctx.intake.submit(person=person, username=half.username, token=half.token)
    return replies.outcome_reply(outcome, lang)


def _ask(ctx: SlackContext, waiting: Waiting, lang: str) -> Reply:
    assert ctx.conversations is not None
    left = waiting.expires_at - ctx.conversations.clock()
    if waiting.missing == "token":
        return replies.ask_token(waiting.username or "", left, lang)
    return replies.ask_username(waiting.token_last4, left, lang)


async def on_edit(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], event: Mapping[str, Any]) -> None:
    """An edited DM counts when the edit changed the credentials in it (e.g. added the token)."""
    message = event.get("message") or {}
    if _from_a_bot(ctx, message):
        return
    new = find_credentials(message.get("text") or "")
    old = find_credentials((event.get("previous_message") or {}).get("text") or "")
    if new.empty or new == old:
        return  # a typo fixed around the credentials is not a new submission
    await on_direct_message(ctx, client, body, message, new)


# --- channels ------------------------------------------------------------------------------------


async def on_channel_mention(
    ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], event: Mapping[str, Any]
) -> None:
    """Credentials in a channel are never used: the person is told privately to reset the token."""
    person = await _person(ctx, client, body)
    if person is None:
        return
    found = find_credentials(event.get("text") or "")
    reply = replies.channel_exposed(person.lang) if found.token else replies.channel_hint(person.lang)
    if found.token:
        log.warning("credentials posted in a channel; not used, the sender is told to reset the token")
    thread = event.get("thread_ts")
    await client.chat_postEphemeral(
        channel=str(event.get("channel")), user=person.user_id, **({"thread_ts": thread} if thread else {}),
        **blocks.reply_message(reply, person.lang),
    )


# --- App Home ------------------------------------------------------------------------------------


async def publish_home(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any]) -> None:
    person = await _person(ctx, client, body)
    if person is None:
        return
    async with ctx.desk.sessions() as session:
        links = [
            link for link in await find_links(session, user_id=person.user_id, limit=500)
            if link.platform == "slack" and link.state != LinkState.REVOKED
        ]
    cards = [LinkCard.of(link) for link in links]
    checked = {link.id: link.last_checked_at for link in links}
    staff_blocks: list[dict[str, Any]] = []
    commands = support_commands()
    if commands is not None and person.home_team:
        staff_blocks = list(await commands.support_home_blocks(ctx, person.user_id) or [])
    view = blocks.home_view(person.lang, cards, checked, staff_blocks=staff_blocks)
    await client.views_publish(user_id=person.user_id, view=view)
