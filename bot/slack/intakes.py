"""Slack's side of pending intakes (issue 12 finding 3): the delivery claimed and the intake recorded
before the acknowledgement, and the answer given by the worker (in the form, else by DM).

Slack resends only what was not acknowledged, so what it was told "received" must already be in the
database. A database that cannot take that write within TOKENDESK_INTAKE_WRITE_TIMEOUT_S gets Slack
a 503: it sends the event again, instead of our process losing it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, inbound
from bot.slack.context import SlackContext
from bot.slack.dedupe import PLATFORM, delivery_ids, kind
from bot.slack.people import People, ids_of
from handlers.model import Person
from handlers.parse import find_credentials
from handlers.pending_intakes import DM, FORM
from handlers.text import replies
from handlers.text.replies import Reply
from storage.deliveries import claim
from storage.pending_intakes import Target

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Where the recorded intake's id is put for the listener that runs after the acknowledgement.
INTAKE_ID = "pending_intake_id"


class _Abandoned(Exception):
    """The write finished after its answer was given up on; it is rolled back."""


async def _write_within(timeout_s: float, write: Callable[[Callable[[], bool]], Awaitable[T]]) -> T:
    """Run `write` and wait for it at most `timeout_s` (then TimeoutError). Not cancelled on
    timeout — SQLite's waiting thread would hold the answer up until its own busy timeout — but
    told, so that it rolls back instead of committing what Slack will send again."""
    given_up = False
    task = asyncio.get_running_loop().create_task(write(lambda: given_up))
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        given_up = True
        task.add_done_callback(_forget)
        raise TimeoutError
    return task.result()


def _forget(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("a write given up on ended too (%s)", type(task.exception()).__name__)


def _unavailable() -> BoltResponse:
    # Not 2xx: Slack retries an event (and shows the form's error) instead of believing us.
    return BoltResponse(status=503, body="")


def event_middleware(ctx: SlackContext) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Claim the event's delivery ids and, for a DM holding complete credentials, record the intake —
    one transaction, before bolt acknowledges. A repeat is acknowledged and goes no further."""

    async def before_ack(body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> Any:
        ids = delivery_ids(body)
        intake = _dm_intake(ctx, body)
        if not ids and intake is None:
            return await next()
        async def write(abandoned: Callable[[], bool]) -> bool:
            async with ctx.desk.sessions() as session, session.begin():
                for delivery_id in ids:
                    if not await claim(session, platform=PLATFORM, delivery_id=delivery_id):
                        return False
                if intake is not None and ctx.pending is not None:
                    target, username, token = intake
                    context[INTAKE_ID] = await ctx.pending.record(
                        session, target=target, username=username, token=token, source=DM)
                if abandoned():
                    raise _Abandoned  # rolled back: Slack was told 503 and sends it again
            return True

        try:
            first = await _write_within(ctx.settings.intake_write_timeout_s, write)
        except Exception as exc:  # noqa: BLE001 - whatever kept the write out, Slack must send it again
            log.error("slack delivery not recorded (%s, %s); answered 503 so that Slack retries",
                      kind(body), type(exc).__name__)
            return _unavailable()
        if not first:
            log.info("slack delivery already handled, acknowledged only (%s)", kind(body))
            return BoltResponse(status=200, body="")
        return await next()

    return before_ack


def _dm_intake(ctx: SlackContext, body: Mapping[str, Any]) -> tuple[Target, str, str] | None:
    """A DM a person wrote that holds both the e-mail and the token: the intake to record."""
    event = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(event, Mapping) or event.get("type") != "message":
        return None
    if event.get("channel_type") != "im":
        return None
    said = inbound.direct_message(event, bot_user_id=ctx.bot_user_id)
    if said is None or said.by_bot or not said.user_id:
        return None
    found = find_credentials(said.text)
    if not found.username or not found.token:
        return None  # half of the credentials: answered in the listener (handlers.dm)
    _, team_id = ids_of(body)
    target = Target(platform=PLATFORM, team_id=team_id or ctx.team_id, user_id=said.user_id,
                    channel_id=said.channel, thread_id=said.thread)
    return target, found.username, found.token


def view_middleware(ctx: SlackContext) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Record a form submission of plausible shape before the "checking…" acknowledgement."""

    async def before_ack(body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
                         next: Callable[[], Awaitable[None]]) -> Any:
        from bot.slack.listeners.views import shape_errors  # the form's own shape rules

        typed = inbound.form_input(view, default_lang=ctx.settings.language)
        user_id, team_id = ids_of(body)
        if ctx.pending is None or not user_id or shape_errors(typed.username, typed.token, typed.lang):
            return await next()
        target = Target(platform=PLATFORM, team_id=team_id or ctx.team_id, user_id=user_id,
                        view_id=str(view.get("id") or "") or None, view_hash=view.get("hash") or None,
                        lang=typed.lang)
        async def write(abandoned: Callable[[], bool]) -> None:
            async with ctx.desk.sessions() as session, session.begin():
                context[INTAKE_ID] = await ctx.pending.record(  # type: ignore[union-attr]
                    session, target=target, username=typed.username, token=typed.token, source=FORM)
                if abandoned():
                    raise _Abandoned

        try:
            await _write_within(ctx.settings.intake_write_timeout_s, write)
        except Exception as exc:  # noqa: BLE001 - the form shows Slack's error; nothing was accepted
            log.error("form submission not recorded (%s); answered 503", type(exc).__name__)
            return _unavailable()
        return await next()

    return before_ack


@dataclasses.dataclass
class SlackAnswerer:
    """Answers a pending intake on Slack: the form's view replaced, else a message in the DM."""

    client: AsyncWebClient
    people: People
    platform: str = PLATFORM

    async def person(self, target: Target) -> Person:
        person = await self.people.person(self.client, user_id=target.user_id, team_id=target.team_id)
        # The form speaks the language it was shown in.
        return dataclasses.replace(person, lang=target.lang) if target.lang else person

    async def answer(self, target: Target, reply: Reply, *, source: str, username: str, notes: Sequence[str]) -> None:
        lang = target.lang or await self.people.lang_of(self.client, target.user_id)
        if source == FORM and target.view_id:
            outcome = blocks.modal_outcome(reply, lang, username=username.strip() or None)
            try:
                try:
                    await self.client.views_update(view_id=target.view_id, hash=target.view_hash, view=outcome)
                except SlackApiError as exc:
                    if exc.response.get("error") != "hash_conflict":
                        raise
                    # Our own "checking…" update may have moved the hash on; the view is still ours.
                    await self.client.views_update(view_id=target.view_id, view=outcome)
                return
            except SlackApiError as exc:
                log.info("form outcome not shown in the form (%s); sent by direct message", exc.response.get("error"))
                notes = [*notes, replies.modal_gone(lang).detail]
        channel = target.channel_id
        if not channel:
            opened = await self.client.conversations_open(users=target.user_id)
            channel = opened["channel"]["id"]
        await self.client.chat_postMessage(
            channel=channel, unfurl_links=False, **({"thread_ts": target.thread_id} if target.thread_id else {}),
            **blocks.reply_message(reply, lang, notes=list(notes)),
        )
