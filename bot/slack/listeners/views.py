"""The credentials form: opening it, checking its shape inline, and showing the outcome in place.

On submission the form is acknowledged at once (inline errors, or a "checking…" view, once the
submission is recorded as a pending intake: bot.slack.intakes); the Nmbrs check runs after the
acknowledgement, by the pending-intake worker, and its outcome replaces the view, or — if the customer
closed the form meanwhile — arrives by direct message. The form never hangs: an unexpected error
is shown in it by the app's error handler (bot.slack.listeners.errors).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, inbound
from bot.slack.context import SlackContext
from handlers import form
from handlers.intake import SoapClosed, Via
from handlers.model import Person
from handlers.offer import Consent
from handlers.text import conversation, replies
from handlers.text.replies import Reply

INTAKE_ID = "pending_intake_id"  # bot.slack.intakes.INTAKE_ID (which imports this module)

log = logging.getLogger(__name__)


async def open_connect_modal(client: AsyncWebClient, trigger_id: str, lang: str, *, username: str | None = None,
                             via: Via | None = None, consent: Consent | None = None) -> None:
    """Open the credentials form (the Connect buttons and `/nmbrs connect`); `via` when it was a
    shared channel's Connect message; `consent`: REST is on, and the form offers Nmbrs' consent page too."""
    await client.views_open(
        trigger_id=trigger_id,
        view=blocks.connect_modal(lang, conversation.form_intro(lang), username=username, via=via, consent=consent),
    )


#: The form's fields (handlers.form) as the modal's block ids.
_BLOCK_OF = {form.USERNAME: blocks.USERNAME_BLOCK, form.TOKEN: blocks.TOKEN_BLOCK}


def shape_errors(username: str, token: str, lang: str) -> dict[str, str]:
    """Inline errors per block of the modal; empty when both fields have a plausible shape."""
    return {_BLOCK_OF[name]: error for name, error in form.shape_errors(username, token, lang).items()}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        typed = inbound.form_input(view, default_lang=ctx.settings.language)
        username, token, lang = typed.username, typed.token, typed.lang
        # REST only: whatever was typed gets the one answer that this way is closed (no shape errors).
        errors = {} if ctx.intake.soap_closed() else shape_errors(username, token, lang)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=blocks.modal_checking(replies.checking(lang), lang))
        if context.get(INTAKE_ID) is not None and ctx.pending is not None:
            await ctx.pending.finish(context[INTAKE_ID], claimed=True)
            return
        person = await ctx.people.person_from(client, body)
        if person is None:  # Slack always names the submitter; without one there is nobody to check for
            await show_outcome(client, view, conversation.internal_error(lang), lang=lang, username=username, user_id=None)
            return
        await check_and_show(ctx, client, view, person, username=username, token=token, lang=lang, via=typed.via)

    from bot.slack.intakes import view_middleware

    app.view(blocks.CONNECT_VIEW, middleware=[view_middleware(ctx)])(ctx.track(on_submit))


async def check_and_show(
    ctx: SlackContext, client: AsyncWebClient, view: Mapping[str, Any], person: Person,
    *, username: str, token: str, lang: str, via: Via | None = None,
) -> None:
    # An unexpected error goes to the app's error handler, which shows it in place of "checking…".
    outcome = await ctx.intake.submit(person=person, username=username, token=token, via=via)
    reply = replies.outcome_reply(outcome, lang)
    consent = await ctx.consent(person, reply) if isinstance(outcome, SoapClosed) else None
    await show_outcome(client, view, reply, lang=lang, username=username.strip(), user_id=person.user_id, via=via,
                       consent=consent)


async def show_outcome(
    client: AsyncWebClient, view: Mapping[str, Any], reply: Reply, *, lang: str, username: str,
    user_id: str | None, via: Via | None = None, consent: Consent | None = None,
) -> None:
    """Replace the "checking…" view with the outcome; by DM when the view is gone."""
    outcome_view = blocks.modal_outcome(reply, lang, username=username or None, via=via, consent=consent)
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
            **blocks.reply_message(reply, lang, notes=[conversation.modal_gone(lang).detail], consent=consent),
        )
