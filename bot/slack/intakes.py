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
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.slack import blocks, inbound
from bot.slack.context import SlackContext
from bot.slack.dedupe import PLATFORM, delivery_ids, kind
from bot.slack.people import People, ids_of
from handlers.connect import Tickets
from handlers.intake import Via
from handlers.model import Person
from handlers.parse import find_credentials
from handlers.pending_intakes import DM, FORM, PendingIntakes
from handlers.text import conversation, replies
from handlers.text.replies import Reply
from storage.deliveries import claim_many
from storage.pending_intakes import Target

log = logging.getLogger(__name__)


#: Where the recorded intake's id is put for the listener that runs after the acknowledgement.
INTAKE_ID = "pending_intake_id"
#: Most requests written in one transaction (bounds the statement's parameters).
BATCH = 200


@dataclasses.dataclass
class _Entry:
    """One request's part of a batch: its delivery ids, its intake (if any), and its result."""

    ids: list[str]
    intake: tuple[Target, str, str, str] | None
    """target, username, token, source"""
    done: asyncio.Future[tuple[bool, int | None]]
    given_up: bool = False


class AckRecorder:
    """Writes what must be on record before Slack's acknowledgement: delivery claims and pending
    intakes, many requests to one transaction (group commit).

    Fifty requests arriving together as fifty transactions made SQLite's single writer the queue
    (each waiting writer backs off and retries): acks took seconds. Here whatever arrives while one
    batch commits goes into the next. A request that waited longer than `timeout_s` is answered
    503, and its entry is left out of any batch not yet begun."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], pending: PendingIntakes | None, timeout_s: float
    ) -> None:
        self.sessions = sessions
        self.pending = pending
        self.timeout_s = timeout_s
        self._queue: list[_Entry] = []
        self._task: asyncio.Task[None] | None = None

    async def record(
        self, ids: list[str], intake: tuple[Target, str, str, str] | None = None
    ) -> tuple[bool, int | None]:
        """(first delivery?, pending intake id). Raises TimeoutError past `timeout_s`, or the
        database's error; either way nothing of this request was committed (but see _run)."""
        entry = _Entry(ids=ids, intake=intake, done=asyncio.get_running_loop().create_future())
        self._queue.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            async with asyncio.timeout(self.timeout_s):
                return await asyncio.shield(entry.done)
        except TimeoutError:
            entry.given_up = True
            raise

    async def _run(self) -> None:
        while self._queue:
            taken, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            batch = [entry for entry in taken if not entry.given_up]
            if not batch:
                continue
            try:
                results = await self._write(batch)
            except Exception as exc:  # noqa: BLE001 - every request of the batch gets a 503
                for entry in batch:
                    if not entry.done.done():
                        entry.done.set_exception(exc)
                        entry.done.exception()  # retrieved: a given-up request never awaits it
                continue
            for entry, result in zip(batch, results):
                if not entry.done.done():
                    entry.done.set_result(result)

    async def _write(self, batch: list[_Entry]) -> list[tuple[bool, int | None]]:
        # A request given up on while its batch was written was told 503: the batch rolls back (all
        # of it is late) so that Slack's retry is not taken for a repeat. Only one given up during
        # the commit itself stays committed; its intake row is there, and a sweep finishes it.
        async with self.sessions() as session, session.begin():
            results = await self._claims_and_rows(session, batch)
            if any(entry.given_up for entry in batch):
                raise TimeoutError("the batch outlived its requests' wait")
        return results

    async def _claims_and_rows(self, session: AsyncSession, batch: list[_Entry]) -> list[tuple[bool, int | None]]:
        # One statement claims every delivery id of the batch (a repeat within it counts once).
        new = await claim_many(session, platform=PLATFORM,
                               delivery_ids=[delivery_id for entry in batch for delivery_id in entry.ids])
        firsts = []
        for entry in batch:
            firsts.append(all(delivery_id in new for delivery_id in entry.ids))
            new.difference_update(entry.ids)  # the next entry with these ids is a repeat
        wanted = [entry.intake for entry, first in zip(batch, firsts)
                  if first and entry.intake is not None and self.pending is not None]
        ids = iter(await self.pending.record_many(session, wanted) if wanted and self.pending else [])
        return [(first, next(ids) if first and entry.intake is not None and self.pending is not None else None)
                for entry, first in zip(batch, firsts)]


def _unavailable() -> BoltResponse:
    # Not 2xx: Slack retries an event (and shows the form's error) instead of believing us.
    return BoltResponse(status=503, body="")


def event_middleware(ctx: SlackContext) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Claim the event's delivery ids and, for a DM holding complete credentials, record the intake,
    before bolt acknowledges. A repeat is acknowledged and goes no further."""

    async def before_ack(body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> Any:
        ids = delivery_ids(body)
        intake = _dm_intake(ctx, body)
        if ctx.recorder is None or (not ids and intake is None):
            return await next()
        try:
            first, intake_id = await ctx.recorder.record(ids, (*intake, DM) if intake is not None else None)
        except Exception as exc:  # noqa: BLE001 - whatever kept the write out, Slack must send it again
            log.error("slack delivery not recorded (%s, %s); answered 503 so that Slack retries",
                      kind(body), type(exc).__name__)
            return _unavailable()
        if not first:
            log.info("slack delivery already handled, acknowledged only (%s)", kind(body))
            return BoltResponse(status=200, body="")
        if intake_id is not None:
            context[INTAKE_ID] = intake_id
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
        if ctx.pending is None or ctx.recorder is None or not user_id or shape_errors(typed.username, typed.token, typed.lang):
            return await next()
        target = Target(platform=PLATFORM, team_id=team_id or ctx.team_id, user_id=user_id,
                        view_id=str(view.get("id") or "") or None, view_hash=view.get("hash") or None,
                        lang=typed.lang, via_invitation=typed.via.invitation if typed.via else None,
                        via_channel=typed.via.channel if typed.via else None)
        try:
            _, context[INTAKE_ID] = await ctx.recorder.record([], (target, typed.username, typed.token, FORM))
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
    tickets: Tickets | None = None
    """With REST on: the tickets of the "Connect with Nmbrs" button next to the form's."""

    async def person(self, target: Target) -> Person:
        person = await self.people.person(self.client, user_id=target.user_id, team_id=target.team_id)
        # The form speaks the language it was shown in.
        return dataclasses.replace(person, lang=target.lang) if target.lang else person

    async def answer(self, target: Target, reply: Reply, *, source: str, username: str, notes: Sequence[str]) -> None:
        lang = target.lang or await self.people.lang_of(self.client, target.user_id)
        consent = None
        if self.tickets is not None and reply.offer_connect:
            consent = await self.tickets.consent(Person(PLATFORM, target.team_id or "", target.user_id, lang))
        if source == FORM and target.view_id:
            via = Via.parse(target.via_invitation, target.via_channel)
            outcome = blocks.modal_outcome(reply, lang, username=username.strip() or None, via=via, consent=consent)
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
                notes = [*notes, conversation.modal_gone(lang).detail]
        channel = target.channel_id
        if not channel:
            opened = await self.client.conversations_open(users=target.user_id)
            channel = opened["channel"]["id"]
        await self.client.chat_postMessage(
            channel=channel, unfurl_links=False, **({"thread_ts": target.thread_id} if target.thread_id else {}),
            **blocks.reply_message(reply, lang, notes=list(notes), consent=consent),
        )
