"""`/nmbrs` on Slack: acknowledge within 3 s, run the neutral command, render it, and the revoke buttons.

Every answer is ephemeral. Quick commands are answered in the acknowledgement itself. Anything that
runs longer (a check against Nmbrs, `check all`, or a slow database) is acknowledged first and then
updated in place through the command's response_url with `replace_original`: chat.postEphemeral
messages cannot be updated at all, and a response_url takes at most five posts in 30 minutes, so
`check all` spends at most three of them on progress (a third, two thirds, done), one on the
summary and keeps one spare. When the response_url is used up or expired, the last word goes to
the person's DM with the bot instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import re

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.reference import error_reference
from bot.slack import command_blocks, connect_blocks, inbound
from bot.slack.channels import is_shared
from bot.slack.command_blocks import REVOKE_CANCEL, REVOKE_CONFIRM, Message
from bot.slack.context import SlackContext
from bot.slack.listeners.views import open_connect_modal
from handlers.commands import (
    CheckAllQueued,
    CheckQueued,
    Commands,
    OpenConnect,
    Outcome,
    Refused,
)
from handlers import migration_buttons
from handlers.invitations import Invited
from handlers.migration import Migration
from handlers.migration.invite import invite_links
from handlers.model import Person
from handlers.text.locale import language

log = logging.getLogger(__name__)

COMMAND = "/nmbrs"
#: The migration tracker's buttons (command_blocks numbers each button of a block).
MIGRATION_BUTTONS = re.compile(r"^nmbrs_migration_(match|none|revoke|invite)_\d+$")
#: How long the command may take before it is acknowledged with "one moment" (Slack allows 3 s).
ACK_BUDGET_S = 2.0
#: Posts a response_url accepts (Slack: five within 30 minutes).
RESPONSE_URL_POSTS = 5
#: `check all` progress: never more often than this.
PROGRESS_MIN_INTERVAL_S = 2.0


def commands_for(ctx: SlackContext, client: AsyncWebClient | None = None) -> Commands:
    settings = ctx.desk.settings
    tickets = ctx.connect.tickets if ctx.connect is not None else None
    migration = Migration(sessions=ctx.desk.sessions, staff=ctx.staff, outbox=ctx.outbox,
                          soap_until=settings.nmbrs_soap_until, remind_days=settings.migration_remind_days,
                          links=invite_links(tickets, settings.invite_lifetime))
    return Commands(sessions=ctx.desk.sessions, staff=ctx.staff, outbox=ctx.outbox, recheck=ctx.recheck,
                    invitations=ctx.invitations, migration=migration, revocations=ctx.revocations,
                    offering=ctx.intake.offering)


class Replier:
    """One ephemeral answer that is first the acknowledgement, then replaced through response_url."""

    def __init__(
        self,
        *,
        ack: Callable[..., Awaitable[None]] | None,
        respond: Callable[..., Awaitable[Any]] | None,
        client: AsyncWebClient,
        user_id: str,
    ) -> None:
        self._ack = ack
        self._respond = respond
        self.client = client
        self.user_id = user_id
        self.posts_left = RESPONSE_URL_POSTS

    @property
    def acked(self) -> bool:
        return self._ack is None

    async def ack(self, message: Message | None = None) -> None:
        if self._ack is not None:
            ack, self._ack = self._ack, None
            await (ack(**message) if message else ack())

    async def send(self, message: Message, *, fallback: bool = True) -> bool:
        """Show `message` in place of the current answer. When the response_url cannot take it, the
        message goes to the person's DM instead (unless `fallback` is off); False then."""
        if self._ack is not None:
            await self.ack(message)
            return True
        if self._respond is not None and self.posts_left > 0:
            self.posts_left -= 1
            try:
                response = await self._respond(replace_original=True, response_type="ephemeral", **message)
                if getattr(response, "status_code", 200) == 200:
                    return True
                log.warning("response_url refused an update (HTTP %s)", getattr(response, "status_code", "?"))
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("response_url not reachable: %s", type(exc).__name__)
        if fallback:
            await self.direct(message)
        return False

    async def direct(self, message: Message) -> None:
        """The person's DM with the bot: the last resort when the response_url cannot be used."""
        try:
            await self.client.chat_postMessage(channel=self.user_id, unfurl_links=False, **message)
        except SlackApiError as exc:
            log.warning("could not answer a command in DM either: %s", exc.response.get("error"))


class ProgressPoster:
    """Turns a run's progress into at most three updates, a third, two thirds and all done, at
    least `min_interval_s` apart, always keeping two response_url posts (summary and one spare)."""

    MARKS = (1 / 3, 2 / 3, 1.0)

    def __init__(
        self, replier: Replier, *, lang: str, min_interval_s: float = PROGRESS_MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replier = replier
        self.lang = lang
        self.min_interval_s = min_interval_s
        self.clock = clock
        self._mark = 0
        self._last = clock()
        self.posted: list[tuple[int, int]] = []

    async def __call__(self, progress: Any) -> None:
        done, total = int(progress.done), int(progress.total)
        if total <= 0 or self._mark >= len(self.MARKS) or self.replier.posts_left <= 2:
            return
        fraction = done / total
        if fraction < self.MARKS[self._mark] or self.clock() - self._last < self.min_interval_s:
            return
        while self._mark < len(self.MARKS) and fraction >= self.MARKS[self._mark]:
            self._mark += 1
        self._last = self.clock()
        self.posted.append((done, total))
        # Progress is not worth a DM when the response_url fails; the summary is.
        await self.replier.send(command_blocks.check_all_progress(done, total, language(self.lang) == "nl"),
                                fallback=False)


class CommandListeners:
    """The bolt listeners of `/nmbrs` and its buttons, bound to one context."""

    def __init__(
        self, ctx: SlackContext, *, ack_budget_s: float | None = None, progress_interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self._ack_budget_s = ack_budget_s
        self._progress_interval_s = progress_interval_s
        self.clock = clock

    # Read at each use, so the module's values can be tuned where the app is built elsewhere (tests).
    @property
    def ack_budget_s(self) -> float:
        return ACK_BUDGET_S if self._ack_budget_s is None else self._ack_budget_s

    @property
    def progress_interval_s(self) -> float:
        return PROGRESS_MIN_INTERVAL_S if self._progress_interval_s is None else self._progress_interval_s

    async def _understand(self, client: AsyncWebClient, body: Mapping[str, Any]) -> tuple[Person, Outcome]:
        person = await self.ctx.people.person_from(client, body)
        if person is None:
            raise ValueError("a slash command without a user")
        outcome = await commands_for(self.ctx, client).handle(person=person, text=inbound.command_line(body))
        return person, outcome

    async def on_command(self, ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        user_id = str(body.get("user_id") or "")
        replier = Replier(ack=ack, respond=respond if body.get("response_url") else None, client=client,
                          user_id=user_id)
        lang = self.ctx.settings.language
        work = asyncio.ensure_future(self._understand(client, body))
        done, _ = await asyncio.wait({work}, timeout=self.ack_budget_s)
        if not done:
            # Slack gives up after 3 s and the person sees an error; say something now, answer later.
            await replier.ack(command_blocks.working_message(lang))
        try:
            person, outcome = await work
            lang = person.lang
            await self._answer(replier, client, body, person, outcome)
        except Exception:
            # Not left to the app's error handler: only this replier knows whether Slack has its
            # acknowledgement yet and how many response_url posts are left. Same reference and words.
            reference = error_reference()
            log.exception("/nmbrs failed (reference %s)", reference)
            await replier.send(command_blocks.failed_message(lang, reference))

    async def _answer(
        self, replier: Replier, client: AsyncWebClient, body: Mapping[str, Any], person: Person, outcome: Outcome
    ) -> None:
        render = command_blocks.render
        home = self.ctx.team_id
        if isinstance(outcome, OpenConnect):
            await replier.ack()
            await self._open_connect(replier, client, body, person)
        elif isinstance(outcome, CheckQueued):
            await replier.send(render(outcome, person.lang, home_team=home))
            result = await commands_for(self.ctx, client).run_check(outcome)
            await replier.send(render(result, person.lang, home_team=home))
        elif isinstance(outcome, CheckAllQueued):
            await replier.send(render(outcome, person.lang, home_team=home))
            progress = ProgressPoster(replier, lang=person.lang, min_interval_s=self.progress_interval_s,
                                      clock=self.clock)
            result = await commands_for(self.ctx, client).run_check_all(outcome, progress=progress)
            await replier.send(render(result, person.lang, home_team=home))
        elif isinstance(outcome, Invited) and await is_shared(client, str(body.get("channel_id") or "")):
            # A channel shared with the customer's organisation: support may post a Connect message.
            answer = render(outcome, person.lang, home_team=home)
            await replier.send(connect_blocks.with_offer(answer, outcome.short_id, person.lang))
        else:
            await replier.send(render(outcome, person.lang, home_team=home))

    async def _open_connect(
        self, replier: Replier, client: AsyncWebClient, body: Mapping[str, Any], person: Person
    ) -> None:
        try:
            await open_connect_modal(client, str(body.get("trigger_id") or ""), person.lang,
                                     consent=await self.ctx.consent(person))
        except SlackApiError as exc:
            log.warning("/nmbrs connect: the form did not open (%s)", exc.response.get("error"))
            await replier.send(command_blocks.connect_failed_message(person.lang))

    async def _on_revoke_button(self, ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any,
                                *, confirm: bool) -> None:
        await ack()
        replier = Replier(ack=None, respond=respond if body.get("response_url") else None, client=client,
                          user_id=str((body.get("user") or {}).get("id") or ""))
        # An unexpected error goes to the app's error handler, which answers through the response_url.
        person = await self.ctx.people.person_from(client, body)
        if person is None:
            return
        link_id = inbound.link_id(body)
        if link_id is None:
            log.warning("revoke button without a link id")
            return
        commands = commands_for(self.ctx, client)
        if confirm:
            outcome = await commands.confirm_revoke(person=person, link_id=link_id)
        else:
            outcome = await commands.cancel_revoke(person=person, link_id=link_id)
        await replier.send(command_blocks.render(outcome, person.lang, home_team=self.ctx.team_id))

    async def on_migration_button(self, ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        """A migration tracker button in the support channel: the answer replaces the message (so it
        is not pressed twice), except a refusal, which only the presser sees."""
        await ack()
        person = await self.ctx.people.person_from(client, body)
        action = (body.get("actions") or [{}])[0]
        if person is None:
            return
        outcome = await migration_buttons.press(commands_for(self.ctx, client), person=person,
                                                action=command_blocks.button_action(str(action.get("action_id") or "")),
                                                value=str(action.get("value") or ""))
        if outcome is None or not body.get("response_url"):
            return
        message = command_blocks.render(outcome, person.lang, home_team=self.ctx.team_id)
        await respond(replace_original=not isinstance(outcome, Refused), response_type="ephemeral", **message)

    async def on_revoke_confirm(self, ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        await self._on_revoke_button(ack, body, client, respond, confirm=True)

    async def on_revoke_cancel(self, ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        await self._on_revoke_button(ack, body, client, respond, confirm=False)


def register(app: AsyncApp, ctx: SlackContext, **options: Any) -> CommandListeners:
    """Add `/nmbrs` and the revoke buttons to the bolt app; `options` go to CommandListeners (tests)."""
    listeners = CommandListeners(ctx, **options)
    app.command(COMMAND)(ctx.track(listeners.on_command))
    app.action(REVOKE_CONFIRM)(ctx.track(listeners.on_revoke_confirm))
    app.action(REVOKE_CANCEL)(ctx.track(listeners.on_revoke_cancel))
    app.action(MIGRATION_BUTTONS)(ctx.track(listeners.on_migration_button))
    return listeners


async def support_home_blocks(
    ctx: SlackContext, user_id: str, *, client: AsyncWebClient | None = None
) -> list[dict[str, Any]] | None:
    """The support part of App Home for `user_id`: None unless they are support staff."""
    client = client or ctx.notifier.client
    person = await ctx.people.person(client, user_id=user_id)
    summary = await commands_for(ctx, client).support_summary(person=person)
    if summary is None:
        return None
    return command_blocks.home_blocks(summary, person.lang, home_team=ctx.team_id)
