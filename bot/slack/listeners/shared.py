"""Connect messages in shared channels (Slack Connect): support's "Post a Connect message" button
under `/nmbrs invite`, and the "Connect Nmbrs" button of the posted message.

Pressing "Connect Nmbrs" opens the credentials form for whoever pressed it, whichever organisation
they are from; where Slack will not open it (an external user, an expired trigger), that person gets
an invitation URL of their own by chat.postEphemeral, seen only by them. Nothing secret goes to the
channel itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, command_blocks, connect_blocks, inbound
from bot.slack.context import SlackContext
from bot.slack.listeners.views import open_connect_modal
from handlers.intake import Limited, Via
from handlers.invitations import Invited, NoInvitation
from handlers.model import Person
from handlers.shared_connect import MayPost, NotStaff, SharedConnect
from handlers.text import replies

log = logging.getLogger(__name__)

#: Slack's answers to a post in a channel the bot is not in.
_NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def shared_for(ctx: SlackContext) -> SharedConnect | None:
    """The use case, or None without invitations (no TOKENDESK_PUBLIC_URL)."""
    if ctx.invitations is None:
        return None
    return SharedConnect(sessions=ctx.desk.sessions, invitations=ctx.invitations, staff=ctx.staff, intake=ctx.intake)


def channel_of(body: Mapping[str, Any]) -> str | None:
    """The channel of the message whose button was pressed."""
    channel = body.get("channel")
    if isinstance(channel, Mapping) and channel.get("id"):
        return str(channel["id"])
    container = body.get("container")
    if isinstance(container, Mapping) and container.get("channel_id"):
        return str(container["channel_id"])
    return None


class SharedListeners:
    """The two buttons, bound to one context."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx

    async def on_post(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        """Support pressed "Post a Connect message in this channel" (staff checked here, again)."""
        await ack()
        person = await self.ctx.people.person_from(client, body)
        via = Via.parse(inbound.button_value(body), channel_of(body))
        shared = shared_for(self.ctx)
        if person is None or via is None or shared is None:
            log.warning("connect message: a press without a person, an invitation or a channel")
            return
        outcome = await shared.may_post(person=person, via=via)
        if isinstance(outcome, NotStaff):
            message = connect_blocks.not_staff(person.lang)
        elif isinstance(outcome, MayPost):
            message = await self._post(client, outcome.via, person.lang)
        else:
            message = command_blocks.render(NoInvitation(outcome.invitation), person.lang)
        if body.get("response_url"):
            await respond(replace_original=False, response_type="ephemeral", **message)

    async def _post(self, client: AsyncWebClient, via: Via, lang: str) -> connect_blocks.Message:
        try:
            await client.chat_postMessage(channel=via.channel, unfurl_links=False,
                                          **connect_blocks.channel_message(via.invitation, self.ctx.settings.brand_name))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "?")
            log.warning("connect message not posted in a shared channel: %s", error)
            return connect_blocks.not_in_channel(lang) if error in _NOT_IN_CHANNEL else connect_blocks.post_failed(error, lang)
        log.info("connect message for %s posted in a shared channel", via.invitation)
        return connect_blocks.posted(via, lang)

    async def on_pressed(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Someone in the channel (of any organisation) pressed "Connect Nmbrs"."""
        await ack()
        person = await self.ctx.people.person_from(client, body)
        via = Via.parse(inbound.button_value(body), channel_of(body))
        shared = shared_for(self.ctx)
        if person is None or via is None:
            log.warning("connect button: a press without a person, an invitation or a channel")
            return
        if shared is None or not isinstance(await shared.pressed(via), Via):
            await self._privately(client, person, via, connect_blocks.gone(via.invitation, person.lang))
            return
        # With REST on, the form and the private answer also offer Nmbrs' consent page, with a ticket
        # bound to this person and their team (the link then records them, as a form would).
        consent = await self.ctx.consent(person)
        try:
            await open_connect_modal(client, str(body.get("trigger_id") or ""), person.lang, via=via,
                                     consent=consent)
            return
        except SlackApiError as exc:
            log.info("connect button: the form did not open (%s); an invitation link instead",
                     exc.response.get("error"))
        answer = await shared.private_invitation(person=person, via=via)
        if isinstance(answer, Invited):
            extra = [blocks.consent_link_button(person.lang, consent.url)] if consent else []
            message = connect_blocks.private_answer(answer, person.lang, extra=extra)
        elif isinstance(answer, Limited):
            message = blocks.reply_message(replies.outcome_reply(answer, person.lang), person.lang)
        else:
            message = connect_blocks.gone(answer.invitation, person.lang)
        await self._privately(client, person, via, message)

    @staticmethod
    async def _privately(client: AsyncWebClient, person: Person, via: Via, message: connect_blocks.Message) -> None:
        """Seen only by `person`, in the channel they pressed the button in."""
        await client.chat_postEphemeral(channel=via.channel, user=person.user_id, **message)


def register(app: AsyncApp, ctx: SlackContext) -> SharedListeners:
    listeners = SharedListeners(ctx)
    app.action(connect_blocks.POST_ACTION)(ctx.track(listeners.on_post))
    app.action(connect_blocks.SHARED_ACTION)(ctx.track(listeners.on_pressed))
    return listeners
