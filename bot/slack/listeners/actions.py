"""Buttons: "Connect Nmbrs" (in DMs, ephemeral hints and App Home) opens the credentials form;
"Connect with Nmbrs" is a URL button whose click only needs acknowledging."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack.context import SlackContext
from bot.slack.listeners.views import open_connect_modal
from bot.slack.people import ids_of

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_connect(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id, _ = ids_of(body)
        lang = await ctx.people.lang_of(client, user_id) if user_id else ctx.settings.language
        person = await ctx.people.person_from(client, body) if ctx.connect is not None else None
        try:
            await open_connect_modal(client, str(body.get("trigger_id")), lang,
                                     consent=await ctx.consent(person) if person is not None else None)
        except SlackApiError as exc:
            # Usually an expired trigger (Slack allows 3 s); a second click opens it.
            log.warning("credentials form not opened: %s", exc.response.get("error"))

    async def on_consent(ack: AsyncAck) -> None:
        await ack()  # a URL button: the browser opens the page; Slack only wants the click acknowledged

    app.action(blocks.CONNECT_ACTION)(ctx.track(on_connect))
    app.action(blocks.CONSENT_ACTION)(on_consent)
