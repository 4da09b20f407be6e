"""Buttons: "Connect Nmbrs" (in DMs, ephemeral hints and App Home) opens the credentials form."""

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
        try:
            await open_connect_modal(client, str(body.get("trigger_id")), lang)
        except SlackApiError as exc:
            # Usually an expired trigger (Slack allows 3 s); a second click opens it.
            log.warning("credentials form not opened: %s", exc.response.get("error"))

    app.action(blocks.CONNECT_ACTION)(ctx.track(on_connect))
