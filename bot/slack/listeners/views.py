"""The credentials form: opening it, checking its shape inline, and showing the outcome in place.

On submission the form is acknowledged at once (inline errors, or a "checking…" view); the Nmbrs
check runs after the acknowledgement and its outcome replaces the view, or — if the customer
closed the form meanwhile — arrives by direct message. The form never hangs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack.context import SlackContext
from handlers.model import InvalidInput, Person
from handlers.shape import clean_token, clean_username
from handlers.text import replies
from handlers.text.replies import Reply

log = logging.getLogger(__name__)


async def open_connect_modal(client: AsyncWebClient, trigger_id: str, lang: str, *, username: str | None = None) -> None:
    """Open the credentials form (used by the Connect button and `/nmbrs connect`)."""
    await client.views_open(
        trigger_id=trigger_id, view=blocks.connect_modal(lang, replies.form_intro(lang), username=username)
    )


def shape_errors(username: str, token: str, lang: str) -> dict[str, str]:
    """Inline errors per field of the form; empty when both have a plausible shape."""
    errors = {}
    for block_id, value, clean in ((blocks.USERNAME_BLOCK, username, clean_username),
                                   (blocks.TOKEN_BLOCK, token, clean_token)):
        try:
            clean(value)
        except InvalidInput as exc:
            errors[block_id] = replies.field_error(exc.reason, lang)
    return errors


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        lang = blocks.form_lang(view, ctx.settings.language)
        username, token = blocks.form_values(view)
        errors = shape_errors(username, token, lang)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=blocks.modal_checking(replies.checking(lang), lang))
        person = await ctx.people.person_from(client, body)
        if person is None:  # Slack always names the submitter; without one there is nobody to check for
            await show_outcome(client, view, replies.internal_error(lang), lang=lang, username=username, user_id=None)
            return
        await check_and_show(ctx, client, view, person, username=username, token=token, lang=lang)

    app.view(blocks.CONNECT_VIEW)(ctx.track(on_submit))


async def check_and_show(
    ctx: SlackContext, client: AsyncWebClient, view: Mapping[str, Any], person: Person,
    *, username: str, token: str, lang: str,
) -> None:
    try:
        outcome = await ctx.intake.submit(person=person, username=username, token=token)
        reply = replies.outcome_reply(outcome, lang)
    except Exception:  # noqa: BLE001 - the form shows "checking…": it must get an answer, whatever broke
        log.exception("credentials check from the form failed")
        reply = replies.internal_error(lang)
    await show_outcome(client, view, reply, lang=lang, username=username.strip(), user_id=person.user_id)


async def show_outcome(
    client: AsyncWebClient, view: Mapping[str, Any], reply: Reply, *, lang: str, username: str,
    user_id: str | None,
) -> None:
    """Replace the "checking…" view with the outcome; by DM when the view is gone."""
    outcome_view = blocks.modal_outcome(reply, lang, username=username or None)
    try:
        try:
            await client.views_update(view_id=view["id"], hash=view.get("hash"), view=outcome_view)
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":
                raise
            # Our own "checking…" update may have moved the hash on; the view is still ours.
            await client.views_update(view_id=view["id"], view=outcome_view)
    except SlackApiError as exc:
        if user_id is None:
            raise
        log.info("form outcome not shown in the form (%s); sent by direct message", exc.response.get("error"))
        opened = await client.conversations_open(users=user_id)
        await client.chat_postMessage(
            channel=opened["channel"]["id"],
            **blocks.reply_message(reply, lang, notes=[replies.modal_gone(lang).detail]),
        )
