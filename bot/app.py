"""The composition root: every command builds what it runs here, each part given all it needs when it
is made (the desk, one Outbox with every notifier, one Intake, the Slack and Teams sides, the hand-off
API, the scheduler and the web app). Nothing is built at import time, and nothing is patched later."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.consent import build_connect, build_tickets, consent_pages, match_migration, warn_stop_without_rest
from bot.desk import Desk, rest_tokens, revocations_for
from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.nmbrs.rest import RestGateway
from bot.soap_health import soap_check
from handlers.text.offer_text import mode_summary
from storage.db import create_engine, session_factory
from storage.models import utcnow
from storage.keyfile import load_cipher
from storage.migrate import upgrade

# The parts are imported inside the builders: only the commands that run them pay for loading them,
# and the Teams SDK loads only when Teams is on.
if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.metrics import Metrics
    from bot.pages import InvitePages
    from bot.scheduler import RecheckScheduler
    from bot.slack.app import AsyncApp  # the bolt app's type, named where Slack lives
    from bot.slack.context import SlackContext
    from bot.teams.app import TeamsConnection, TeamsEndpoints, TeamsRuntime
    from bot.web import HealthCheck, Lifespan
    from handlers.alerts import Outbox
    from handlers.connect import Tickets
    from handlers.intake import Intake
    from handlers.invitations import Invitations
    from handlers.pending_intakes import PendingIntakes
    from handlers.ports import Notifier
    from handlers.recheck import Recheck

log = logging.getLogger(__name__)

#: At shutdown: how long listener work may still run, and how long the outbox may deliver.
SETTLE_S = 10.0
DRAIN_S = 5.0


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on DATABASE_URL, migrated to the latest schema first; for the commands that need
    only the database (links, apikeys, webhooks, keys rotate). The engine is disposed on exit."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


def build_gateway(settings: Settings, limiter: CallLimiter, *, metrics: Metrics | None = None) -> NmbrsGateway:
    return NmbrsGateway(
        base_url=settings.nmbrs_url,
        limiter=limiter,
        connect_timeout_s=settings.nmbrs_connect_timeout_s,
        read_timeout_s=settings.nmbrs_read_timeout_s,
        retries=settings.nmbrs_retries,
        on_call=metrics.nmbrs_call if metrics is not None else None,
    )


def build_rest_gateway(settings: Settings, limiter: CallLimiter) -> RestGateway | None:
    if not settings.rest_enabled:
        return None
    assert settings.nmbrs_client_id and settings.nmbrs_client_secret and settings.nmbrs_subscription_key
    return RestGateway(
        identity_url=settings.nmbrs_identity_url, api_url=settings.nmbrs_rest_url,
        client_id=settings.nmbrs_client_id, client_secret=settings.nmbrs_client_secret.get_secret_value(),
        subscription_key=settings.nmbrs_subscription_key.get_secret_value(),
        redirect_uri=settings.rest_redirect_uri, limiter=limiter,
        connect_timeout_s=settings.nmbrs_connect_timeout_s, read_timeout_s=settings.nmbrs_read_timeout_s,
        retries=settings.nmbrs_retries,
    )


async def build_desk(settings: Settings, *, migrate: bool = True, metrics: Metrics | None = None,
                     clock: Callable[[], datetime] = utcnow) -> Desk:
    """Open the database (migrating it), load the keys and build the Nmbrs gateway (whose calls
    `metrics`, when given, times); `clock` is the desk's today (Desk.clock)."""
    stack = AsyncExitStack()
    engine = create_engine(settings.database_url)
    stack.push_async_callback(engine.dispose)
    try:
        if migrate:
            before, after = await upgrade(engine)
            if before != after:
                log.info("database migrated from %s to %s", before or "empty", after)
        cipher = load_cipher(
            keys=settings.keys.get_secret_value() if settings.keys else None,
            database_url=settings.database_url,
        )
        limiter = CallLimiter(settings.recheck_concurrency, settings.nmbrs_rate)
        gateway = build_gateway(settings, limiter, metrics=metrics)
        stack.push_async_callback(gateway.aclose)
        rest = build_rest_gateway(settings, limiter)
        if rest is not None:
            stack.push_async_callback(rest.aclose)
    except BaseException:
        await stack.aclose()
        raise
    return Desk(
        settings=settings, engine=engine, sessions=session_factory(engine), cipher=cipher,
        limiter=limiter, gateway=gateway, rest=rest, clock=clock, _stack=stack,
    )


@dataclass
class Runtime:
    """Everything `serve` runs: the ASGI app, the Slack context, the bolt app and, when configured,
    the Teams side and the scheduler."""

    web_app: "FastAPI"
    ctx: "SlackContext"
    bolt: "AsyncApp"
    metrics: "Metrics"
    teams: "TeamsRuntime | None" = None
    """The Teams side (POST /api/messages), when TEAMS_* are set."""
    scheduler: "RecheckScheduler | None" = None
    """The nightly re-check's scheduler, when built with `scheduler=True`."""

    async def aclose(self) -> None:
        """Close the desk (database, Nmbrs client). The lifespan's shutdown does this too when the
        runtime built the desk; call it anyway for a runtime that was never served."""
        await self.ctx.desk.aclose()


#: The names tests and benchmarks have always built the runtime with.
SlackRuntime = Runtime


def slack_lifespan(
    ctx: "SlackContext", *, close_desk: bool, settle_s: float = SETTLE_S, drain_s: float = DRAIN_S
) -> "Lifespan":
    """Deliver what the outbox still holds at start; at shutdown let listeners finish, drain the
    outbox, and close the desk (here, because uvicorn re-raises SIGTERM once the lifespan ends)."""

    @asynccontextmanager
    async def run(_app: "FastAPI") -> AsyncIterator[None]:
        ctx.outbox.kick()
        try:
            yield
            await ctx.settle(settle_s)
            try:
                async with asyncio.timeout(drain_s):
                    sent = await ctx.outbox.drain()
                if sent:
                    log.info("shutdown: delivered %d queued alerts", sent)
            except TimeoutError:
                log.warning("shutdown: alert delivery still busy after %.0f s; the rest goes out at next start",
                            drain_s)
        finally:
            if close_desk:
                await ctx.desk.aclose()

    return run


def pending_lifespan(pending: "PendingIntakes", *, every_s: float) -> "Lifespan":
    """The pending-intake worker: takes over, at start and then every `every_s`, the intakes whose
    process died (each row is claimed on its own, so every replica may run one)."""

    @asynccontextmanager
    async def run(_app: "FastAPI") -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(pending.run(every_s=every_s))
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return run


def teams_connection_for(desk: Desk, endpoints: "TeamsEndpoints | None",
                         tickets: "Tickets | None" = None) -> "TeamsConnection | None":
    """The Teams connection (SDK app and notifier) when Teams is configured, else None."""
    if not desk.settings.teams_enabled:
        return None
    from bot.teams.app import connect_teams  # the Teams SDK is imported only when Teams is on

    return connect_teams(desk.settings, desk.sessions, endpoints, tickets)


async def build_runtime(
    settings: Settings,
    *,
    socket_mode: bool = False,
    desk: Desk | None = None,
    metrics: "Metrics | None" = None,
    lifespans: "Sequence[Lifespan]" = (),
    health_checks: "Mapping[str, HealthCheck] | None" = None,
    scheduler: bool = True,
    teams_endpoints: "TeamsEndpoints | None" = None,
) -> Runtime:
    """Build desk (unless given), Slack client, identity (auth.test), outbox, use cases, Slack context,
    bolt, Teams side (when configured), hand-off and web app.

    `lifespans` run inside the Slack one: started after it, stopped before it. With `scheduler`,
    the nightly re-check (bot.scheduler) is started last and stopped first, and `/nmbrs check` can
    run it. `teams_endpoints` points Teams at another cloud, or at stand-ins in tests.
    Raises SlackStartError when Slack refuses the token or cannot be reached."""
    from bot.api.handoff import build_handoff
    from bot.metrics import Metrics
    from bot.scheduler import RecheckScheduler, build_recheck
    from bot.slack.app import (
        SlackStartError,
        build_bolt_app,
        build_client,
        build_notifier,
        build_staff,
        who_am_i,
    )
    from bot.slack.context import SlackContext
    from bot.slack.endpoint import SLACK_PATH, slack_endpoint
    from bot.slack.people import People
    from bot.slack.socket import socket_lifespan
    from bot.web import build_web_app
    from handlers.alerts import Outbox
    from handlers.conversations import Conversations
    from handlers.intake import Intake
    from handlers.pending_intakes import Answerer, PendingIntakes

    own_desk = desk is None
    metrics = metrics or Metrics()
    desk = desk or await build_desk(settings, metrics=metrics)
    try:
        client = build_client(settings)
        identity = await who_am_i(client)
        people = People(team_id=identity.team_id, default_lang=settings.language)
        tickets = build_tickets(desk)
        slack_notifier = build_notifier(settings, desk.sessions, client, people, tickets)
        teams_connection = teams_connection_for(desk, teams_endpoints, tickets)
        notifiers: list[Notifier] = [slack_notifier]
        if teams_connection is not None:
            notifiers.append(teams_connection.notifier)
        outbox = Outbox(desk.sessions, notifiers, on_sent=metrics.alert_sent)
        intake = Intake(sessions=desk.sessions, cipher=desk.cipher, gateway=desk.gateway, outbox=outbox,
                        offering=desk.offering)
        warn_stop_without_rest(desk)
        conversations = Conversations(sessions=desk.sessions, cipher=desk.cipher)
        from bot.slack.intakes import AckRecorder, SlackAnswerer

        answerers: list[Answerer] = [SlackAnswerer(client=client, people=people, tickets=tickets)]
        if teams_connection is not None:
            from bot.teams.intakes import TeamsAnswerer

            answerers.append(TeamsAnswerer(sender=teams_connection.sender, default_lang=settings.language,
                                           tickets=tickets))
        pending = PendingIntakes(
            sessions=desk.sessions, cipher=desk.cipher, intake=intake, conversations=conversations,
            answerers=answerers,
            claim_for=timedelta(seconds=settings.intake_claim_s), concurrency=settings.recheck_concurrency,
        )
        recheck_scheduler = (
            RecheckScheduler(recheck=build_recheck(desk, outbox), settings=settings) if scheduler else None
        )
        recheck = recheck_scheduler.recheck if recheck_scheduler is not None else None
        invitations = build_invitations(settings, desk.sessions, intake=intake, outbox=outbox)
        connect = build_connect(desk, tickets, outbox, after_consent=(match_migration,))
        revocations = revocations_for(desk, outbox)
        ctx = SlackContext(
            desk=desk, intake=intake, outbox=outbox, notifier=slack_notifier, people=people,
            bot_user_id=identity.user_id, team_id=identity.team_id, bot_id=identity.bot_id,
            staff=build_staff(settings, client, identity), conversations=conversations, recheck=recheck,
            invitations=invitations, connect=connect, revocations=revocations,
            pending=pending,
            recorder=AckRecorder(sessions=desk.sessions, pending=pending, timeout_s=settings.intake_write_timeout_s),
        )
        bolt = build_bolt_app(ctx, client, identity)
        teams = None
        if teams_connection is not None:
            from bot.teams.app import build_teams

            teams = build_teams(desk, teams_connection, intake=intake, outbox=outbox,
                                conversations=conversations, recheck=recheck, invitations=invitations,
                                pending=pending, tickets=tickets, revocations=revocations)
        metrics.watch_database(desk.sessions)
        # The hand-off (/api/v1 and the webhook sender): its lifespan stops the sender before the desk closes.
        handoff = build_handoff(settings=settings, sessions=desk.sessions, cipher=desk.cipher, metrics=metrics,
                                rest_tokens=rest_tokens(desk))
        hooks: list[Lifespan] = [
            slack_lifespan(ctx, close_desk=own_desk), handoff.lifespan,
            pending_lifespan(pending, every_s=settings.intake_claim_s / 2),
        ]
        if socket_mode:
            if settings.slack_app_token is None:
                raise SlackStartError("SLACK_APP_TOKEN is needed for Socket Mode")
            hooks.append(socket_lifespan(bolt, settings.slack_app_token.get_secret_value()))
        if teams is not None:
            hooks.append(teams.lifespan)
        hooks.extend(lifespans)
        checks = dict(health_checks or {})
        if desk.offering.rest:  # SOAP only (REST not configured) answers what it always answered
            checks.setdefault("connecting", lambda: (True, mode_summary(desk.offering.now(), settings.nmbrs_soap_until)))
        if recheck_scheduler is not None:
            hooks.append(recheck_scheduler.lifespan)
            checks.setdefault("scheduler", recheck_scheduler.healthy)
        checks.setdefault("soap", soap_check(desk.sessions))
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        routes: dict[str, Callable[..., Any]] = {}
        if not socket_mode:
            routes[SLACK_PATH] = slack_endpoint(bolt, signing_secret=secret, metrics=metrics)
        if teams is not None:
            routes[teams.path] = teams.endpoint
        pages = invite_pages(settings, ctx.invitations, tickets)
        consent = consent_pages(settings, connect)
        web_app = build_web_app(
            desk.sessions, metrics=metrics, lifespans=hooks, health_checks=checks, api=handoff.api,
            post_routes=routes, routers=[part.router() for part in (pages, consent) if part is not None],
        )
    except BaseException:
        if own_desk:
            await desk.aclose()
        raise
    return Runtime(web_app=web_app, ctx=ctx, bolt=bolt, metrics=metrics, teams=teams, scheduler=recheck_scheduler)


def build_invitations(
    settings: Settings, sessions: "async_sessionmaker[AsyncSession]", *,
    intake: "Intake | None" = None, outbox: "Outbox | None" = None,
) -> "Invitations | None":
    """The invitations use case, or None without TOKENDESK_PUBLIC_URL (no page to send anyone to)."""
    from handlers.invitations import Invitations

    if not settings.public_url:
        return None
    return Invitations(sessions=sessions, public_url=settings.public_url, ttl=settings.invite_lifetime,
                       intake=intake, outbox=outbox)


def invite_pages(settings: Settings, invitations: "Invitations | None",
                 tickets: "Tickets | None" = None) -> "InvitePages | None":
    """The invitation pages (bot.pages), which offer what this desk supports: the token form (SOAP)
    and, with REST on (`tickets`), the "Connect with Nmbrs" consent button."""
    from bot.pages import InvitePages, redact_access_log

    if invitations is None or settings.public_url is None:
        return None
    redact_access_log()
    return InvitePages(invitations, brand=settings.brand_name, default_lang=settings.language,
                       https=settings.public_url.startswith("https://"), tickets=tickets)


#: The name tests and benchmarks have always built the runtime with (same arguments).
build_slack_runtime = build_runtime


@dataclass
class RecheckRuntime:
    """What `tokendesk recheck` runs: the desk, an outbox with every configured platform's notifier,
    and the re-check that fills it."""

    desk: Desk
    outbox: "Outbox"
    recheck: "Recheck"
    slack: bool
    """Whether alerts go to Slack (SLACK_BOT_TOKEN and TOKENDESK_SUPPORT_CHANNEL set)."""
    teams: bool
    """Whether alerts go to Teams (TEAMS_* set)."""


@asynccontextmanager
async def recheck_runtime(
    settings: Settings,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    teams_endpoints: "TeamsEndpoints | None" = None,
) -> AsyncIterator[RecheckRuntime]:
    """The re-check outside `serve`: no auth.test and no listeners, only what sends its alerts (the
    Teams SDK app initialised for the command's life). `sleep` lets tests skip the confirm delay."""
    from bot.scheduler import build_recheck
    from handlers.alerts import Outbox

    desk = await build_desk(settings)
    try:
        async with AsyncExitStack() as stack:
            tickets = build_tickets(desk)
            notifiers: list[Notifier] = []
            slack = settings.slack_bot_token is not None and bool(settings.support_channel)
            if slack:
                from bot.slack.app import build_client, build_notifier
                from bot.slack.people import People

                # Only lang_of is used here, which needs no team; customers' locales decide their language.
                people = People(team_id="", default_lang=settings.language)
                notifiers.append(build_notifier(settings, desk.sessions, build_client(settings), people, tickets))
            teams = teams_connection_for(desk, teams_endpoints, tickets)
            if teams is not None:
                await stack.enter_async_context(teams.started())
                notifiers.append(teams.notifier)
            outbox = Outbox(desk.sessions, notifiers)
            yield RecheckRuntime(desk=desk, outbox=outbox, recheck=build_recheck(desk, outbox, sleep=sleep),
                                 slack=slack, teams=teams is not None)
    finally:
        await desk.aclose()
