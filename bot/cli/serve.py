"""`tokendesk serve`: builds the whole Slack runtime and runs it under uvicorn until SIGTERM.

`build_slack_runtime` is the factory tests and benchmarks use too: give it Settings (pointing at
stand-ins and a temporary database) and serve `runtime.web_app` with uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI
from slack_bolt.async_app import AsyncApp

from bot.api.handoff import build_handoff
from bot.app import Desk, build_desk
from bot.config import Settings, load_settings
from bot.logs import configure_logging
from bot.metrics import Metrics
from bot.scheduler import RecheckScheduler
from bot.slack.app import SlackStartError, build_bolt_app, build_client, build_context, who_am_i
from bot.slack.context import SlackContext
from bot.slack.socket import socket_lifespan
from bot.teams.settings import teams_problems
from bot.web import HealthCheck, Lifespan, build_web_app
from bot.webhooks import webhook_problems

if TYPE_CHECKING:
    from bot.teams.app import TeamsEndpoints, TeamsRuntime

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
#: At shutdown: how long listener work may still run, and how long the outbox may deliver.
SETTLE_S = 10.0
DRAIN_S = 5.0


@dataclass
class SlackRuntime:
    """Everything `serve` runs: the ASGI app, the Slack context and the bolt app."""

    web_app: FastAPI
    ctx: SlackContext
    bolt: AsyncApp
    metrics: Metrics
    teams: "TeamsRuntime | None" = None
    """The Teams side (POST /api/messages), when TEAMS_* are set."""
    scheduler: RecheckScheduler | None = None
    """The nightly re-check's scheduler, when built with `scheduler=True`."""

    async def aclose(self) -> None:
        """Close the desk (database, Nmbrs client). The lifespan's shutdown does this too when the
        runtime built the desk; call it anyway for a runtime that was never served."""
        await self.ctx.desk.aclose()


def slack_lifespan(
    ctx: SlackContext, *, close_desk: bool, settle_s: float = SETTLE_S, drain_s: float = DRAIN_S
) -> Lifespan:
    """Deliver what the outbox still holds at start; at shutdown let listeners finish, drain the
    outbox, and close the desk (here, because uvicorn re-raises SIGTERM once the lifespan ends)."""

    @asynccontextmanager
    async def run(_app: FastAPI) -> AsyncIterator[None]:
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


async def build_slack_runtime(
    settings: Settings,
    *,
    socket_mode: bool = False,
    desk: Desk | None = None,
    metrics: Metrics | None = None,
    lifespans: Sequence[Lifespan] = (),
    health_checks: Mapping[str, HealthCheck] | None = None,
    scheduler: bool = True,
    teams_endpoints: "TeamsEndpoints | None" = None,
) -> SlackRuntime:
    """Build desk (unless given), Slack client, identity (auth.test), context, bolt and web app.

    `lifespans` run inside the Slack one: started after it, stopped before it. With `scheduler`,
    the nightly re-check (bot.scheduler) is started last and stopped first, and `ctx.recheck` is set.
    When Teams is configured, POST /api/messages is served too and its notifier joins the outbox
    (`teams_endpoints` points it at another cloud, or at stand-ins in tests).
    Raises SlackStartError when Slack refuses the token or cannot be reached."""
    own_desk = desk is None
    metrics = metrics or Metrics()
    desk = desk or await build_desk(settings, metrics=metrics)
    try:
        client = build_client(settings)
        identity = await who_am_i(client)
        ctx = build_context(desk, client, identity)
        ctx.outbox.on_sent = metrics.alert_sent
        recheck_scheduler = RecheckScheduler.for_desk(desk, ctx.outbox) if scheduler else None
        if recheck_scheduler is not None:
            ctx.recheck = recheck_scheduler.recheck
        bolt = build_bolt_app(ctx, client, identity)
        teams = None
        if settings.teams_enabled:
            from bot.teams.app import build_teams  # the Teams SDK is imported only when Teams is on

            teams = build_teams(desk, ctx.outbox, recheck=ctx.recheck, endpoints=teams_endpoints)  # type: ignore[arg-type]
            ctx.outbox.notifiers.append(teams.notifier)
        metrics.watch_database(desk.sessions)
        # The hand-off (/api/v1 and the webhook sender): its lifespan stops the sender before the desk closes.
        handoff = build_handoff(settings=settings, sessions=desk.sessions, cipher=desk.cipher, metrics=metrics)
        hooks: list[Lifespan] = [slack_lifespan(ctx, close_desk=own_desk), handoff.lifespan]
        if socket_mode:
            if settings.slack_app_token is None:
                raise SlackStartError("SLACK_APP_TOKEN is needed for Socket Mode")
            hooks.append(socket_lifespan(bolt, settings.slack_app_token.get_secret_value()))
        if teams is not None:
            hooks.append(teams.lifespan)
        hooks.extend(lifespans)
        checks = dict(health_checks or {})
        if recheck_scheduler is not None:
            hooks.append(recheck_scheduler.lifespan)
            checks.setdefault("scheduler", recheck_scheduler.healthy)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        web_app = build_web_app(
            desk.sessions, metrics=metrics, bolt=None if socket_mode else bolt, signing_secret=secret,
            lifespans=hooks, health_checks=checks, api=handoff.api,
        )
        if teams is not None:
            web_app.add_api_route(teams.path, teams.endpoint, methods=["POST"], include_in_schema=False)
    except BaseException:
        if own_desk:
            await desk.aclose()
        raise
    return SlackRuntime(web_app=web_app, ctx=ctx, bolt=bolt, metrics=metrics, teams=teams,
                        scheduler=recheck_scheduler)


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings()  # SettingsError: the CLI prints every problem
    problems = (settings.slack_problems(socket_mode=bool(args.socket)) + webhook_problems(settings)
                + teams_problems(settings))
    if problems:
        print("tokendesk: cannot serve yet; set these and start again:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    try:
        return asyncio.run(_serve(settings, host=args.host, port=args.port, socket_mode=bool(args.socket)))
    except SlackStartError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return EXIT_CONFIG


async def _serve(settings: Settings, *, host: str, port: int, socket_mode: bool) -> int:
    runtime = await build_slack_runtime(settings, socket_mode=socket_mode)
    config = uvicorn.Config(
        runtime.web_app, host=host, port=port, lifespan="on", log_config=None,
        timeout_graceful_shutdown=int(SETTLE_S + DRAIN_S) + 5,
    )
    server = uvicorn.Server(config)
    log.info("serving on %s:%d (%s)", host, port, "Socket Mode" if socket_mode else "HTTP")
    # SIGTERM/SIGINT: uvicorn stops accepting, finishes in-flight requests and runs the lifespan
    # shutdown, then restores the handlers it found and raises the signal again. SIGTERM is how
    # Docker, systemd and Kubernetes ask a service to stop: this handler notes it instead of dying
    # of it, so a graceful stop exits 0 (SIGINT still ends the process as a KeyboardInterrupt).
    stopped: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: stopped.append(signum))
    try:
        await server.serve()
    finally:
        signal.signal(signal.SIGTERM, previous)
        await runtime.aclose()
    if stopped:
        log.info("stopped by SIGTERM after a graceful shutdown")
    return 0 if server.started else 1
