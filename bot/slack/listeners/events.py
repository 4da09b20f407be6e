"""Events: direct messages (credentials pasted, sent in two parts, or added by an edit), mentions
in channels (never used, answered privately), and the App Home tab.

bolt acknowledges events before these run, so the Nmbrs check happens after the ack; before it, the
delivery is claimed and a DM with complete credentials recorded as a pending intake
(bot.slack.intakes), which the worker finishes even if this process dies. An unexpected error goes
to the app's error handler (bot.slack.listeners.errors), which answers the person.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, commands, inbound
from bot.slack.context import SlackContext
from bot.slack.intakes import INTAKE_ID, event_middleware
from bot.slack.inbound import Said
from handlers import dm
from handlers.model import LinkCard, Person
from handlers.parse import Found, find_credentials
from handlers.text import conversation, offer_text, replies
from storage.links import find_links
from storage.models import LinkState

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") != "im":
            return  # only DMs are subscribed (message.im); anything else is not for us
        if context.get(INTAKE_ID) is not None and ctx.pending is not None:
            await ctx.pending.finish(context[INTAKE_ID], claimed=True)
            return
        written = inbound.direct_message(event, bot_user_id=ctx.bot_user_id)
        if written is not None:
            if not written.by_bot:
                await on_direct_message(ctx, client, body, written, find_credentials(written.text))
            return
        edited = inbound.edit(event, bot_user_id=ctx.bot_user_id)
        if edited is not None:
            await on_edit(ctx, client, body, edited)
        # Every other subtype (message_deleted, bot_message, ...) is acknowledged and left alone.

    async def on_mention(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        said = inbound.mention(event, bot_user_id=ctx.bot_user_id)
        if not said.by_bot:
            await on_channel_mention(ctx, client, body, said)

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") == "home" and event.get("user"):
            await publish_home(ctx, client, body)

    def listen(event_type: str, listener: Callable[..., Awaitable[None]]) -> None:
        # Runs once per event across Slack's retries and replicas (claimed before the ack, with the
        # pending intake), and is awaited at shutdown.
        app.event(event_type, middleware=[event_middleware(ctx)])(ctx.track(listener))

    listen("message", on_message)
    listen("app_mention", on_mention)
    listen("app_home_opened", on_home_opened)


async def _person(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any]) -> Person | None:
    return await ctx.people.person_from(client, body)


# --- direct messages -----------------------------------------------------------------------------


async def on_direct_message(
    ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], said: Said, found: Found
) -> None:
    person = await _person(ctx, client, body)
    if person is None:
        return
    assert ctx.conversations is not None
    reply = await dm.answer(person=person, found=found, intake=ctx.intake, conversations=ctx.conversations)
    await client.chat_postMessage(
        channel=said.channel, unfurl_links=False, **({"thread_ts": said.thread} if said.thread else {}),
        **blocks.reply_message(reply, person.lang, notes=dm.delete_notes(found, person.lang),
                               consent=await ctx.consent(person, reply)),
    )


async def on_edit(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], edited: Said) -> None:
    """An edited DM counts when the edit changed the credentials in it (e.g. added the token)."""
    if edited.by_bot:
        return
    new = find_credentials(edited.text)
    if new.empty or new == find_credentials(edited.previous or ""):
        return  # a typo fixed around the credentials is not a new submission
    await on_direct_message(ctx, client, body, edited, new)


# --- channels ------------------------------------------------------------------------------------


async def on_channel_mention(ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], said: Said) -> None:
    """Credentials in a channel are never used: the person is told privately to reset the token."""
    person = await _person(ctx, client, body)
    if person is None:
        return
    found = find_credentials(said.text)
    reply = conversation.channel_exposed(person.lang) if found.token else conversation.channel_hint(person.lang)
    if found.token:
        log.warning("credentials posted in a channel; not used, the sender is told to reset the token")
    await client.chat_postEphemeral(
        channel=said.channel, user=person.user_id, **({"thread_ts": said.thread} if said.thread else {}),
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
    if person.home_team:
        staff_blocks = list(await commands.support_home_blocks(ctx, person.user_id) or [])
    offering = ctx.intake.offering
    view = blocks.home_view(person.lang, cards, checked, staff_blocks=staff_blocks,
                            consent=await ctx.consent(person),
                            mode=offer_text.mode_line(offering.now(), offering.soap_until, person.lang))
    await client.views_publish(user_id=person.user_id, view=view)
