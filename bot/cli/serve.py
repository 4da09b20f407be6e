"""`tokendesk serve`: builds the runtime (bot.app) and runs it under uvicorn until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import uvicorn

from bot.app import DRAIN_S, SETTLE_S, build_runtime
from bot.config import Settings, load_settings
from bot.logs import configure_logging
from bot.slack.app import SlackStartError
from bot.teams.settings import teams_problems
from bot.webhooks import webhook_problems

log = logging.getLogger(__name__)

EXIT_CONFIG = 2


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings()  # SettingsError: the CLI prints every problem
    problems = (settings.slack_problems(socket_mode=bool(args.socket)) + webhook_problems(settings)
                + teams_problems(settings) + settings.rest_problems())
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
    runtime = await build_runtime(settings, socket_mode=socket_mode)
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
