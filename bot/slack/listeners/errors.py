"""The one error path of the Slack listeners: bolt's error handler.

An unexpected exception is logged once with a short reference (the request's correlation id) and the
person gets that reference where they were talking to us: in the DM, privately in the channel, in
the form that shows "checking…", or in place of the answer a button asked for. /nmbrs answers its
own failures (its acknowledgement and response_url posts are counted in bot.slack.commands), with the
same reference and words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.reference import error_reference
from bot.slack import blocks, command_blocks, inbound
from bot.slack.context import SlackContext
from bot.slack.listeners.views import show_outcome
from bot.slack.people import ids_of
from handlers import dm
from handlers.parse import find_credentials

log = logging.getLogger(__name__)


def kind_of(body: Mapping[str, Any]) -> str:
    """What failed, for the log line (never any of the payload's text)."""
    event = body.get("event")
    if isinstance(event, Mapping):
        return str(event.get("type") or "event")
    if body.get("command"):
        return "command"
    return str(body.get("type") or "request")


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        reference = error_reference()
        log.error("slack %s failed (reference %s)", kind_of(body), reference,
                  exc_info=(type(error), error, error.__traceback__))
        try:
            await tell(ctx, client, body, reference, respond=respond if body.get("response_url") else None)
        except Exception:  # noqa: BLE001 - Slack itself may be what failed; the log line has it all
            log.warning("could not tell the person about the failure either (reference %s)", reference)

    app.error(on_error)


async def tell(
    ctx: SlackContext, client: AsyncWebClient, body: Mapping[str, Any], reference: str, *, respond: Any = None
) -> None:
    """Answer the person who is waiting, once, with the reference."""
    user_id, _ = ids_of(body)
    if user_id is None:
        return
    lang = await ctx.people.lang_of(client, user_id)
    event = body.get("event") if isinstance(body.get("event"), Mapping) else None
    if event is not None:
        await _tell_event(ctx, client, event, user_id, lang, reference)
    elif body.get("type") == "view_submission":
        view = body.get("view") or {}
        typed = inbound.form_input(view, default_lang=lang)
        await show_outcome(client, view, dm.failed(reference, typed.lang), lang=typed.lang,
                           username=typed.username.strip(), user_id=user_id)
    elif respond is not None:
        # A button with a response_url: the answer replaces the message it came from.
        await respond(replace_original=True, response_type="ephemeral", **command_blocks.failed_message(lang, reference))
    else:
        await client.chat_postMessage(channel=user_id, unfurl_links=False,
                                      **command_blocks.failed_message(lang, reference))


async def _tell_event(
    ctx: SlackContext, client: AsyncWebClient, event: Mapping[str, Any], user_id: str, lang: str, reference: str
) -> None:
    if event.get("type") == "message":
        said = inbound.direct_message(event, bot_user_id=ctx.bot_user_id) or inbound.edit(
            event, bot_user_id=ctx.bot_user_id)
        if said is None:
            return
        found = find_credentials(said.text)
        await client.chat_postMessage(
            channel=said.channel, unfurl_links=False, **({"thread_ts": said.thread} if said.thread else {}),
            **blocks.reply_message(dm.failed(reference, lang), lang, notes=dm.delete_notes(found, lang)),
        )
    elif event.get("type") == "app_mention":
        said = inbound.mention(event, bot_user_id=ctx.bot_user_id)
        await client.chat_postEphemeral(
            channel=said.channel, user=user_id, **({"thread_ts": said.thread} if said.thread else {}),
            **command_blocks.failed_message(lang, reference),
        )
    # App Home has nobody waiting for an answer: the log line is enough.
