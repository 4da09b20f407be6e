"""Starts try mode: the local Slack and the practice Nmbrs, the real desk (bot.app.build_runtime)
with Settings pointing at them, and the /try page, all on 127.0.0.1 with SQLite in one directory."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from bot.app import Runtime, build_runtime
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import NmbrsRestStandIn
from bot.standins.slack.server import SlackStandIn
from bot.trymode.console import Console
from bot.trymode.guard import LOOPBACK
from bot.trymode.pages import serve_app
from bot.trymode.practice import (
    CONSENTS_FILE,
    ConsentLogin,
    PracticeLogin,
    keep_consents,
    keep_consents_while_running,
    load_logins,
    restore_consents,
    seed_nmbrs,
    seed_rest,
    seed_slack,
)
from bot.trymode.practice_controls import Practice
from bot.trymode.settings import practice_rest_settings, real_nmbrs_url, try_settings

log = logging.getLogger(__name__)

#: What try mode keeps in its directory; --fresh removes these and nothing else.
OWN_FILES = ("tokendesk.db", "tokendesk.db.keys", "tokendesk.db-wal", "tokendesk.db-shm", "tokendesk.db-journal",
             "practice-tokens.json", CONSENTS_FILE)


def prepare(directory: Path, *, fresh: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    if fresh:
        for name in OWN_FILES:
            (directory / name).unlink(missing_ok=True)


@dataclass
class TryDesk:
    """A running try mode."""

    url: str
    port: int
    runtime: Runtime
    slack: SlackStandIn
    nmbrs: NmbrsStandIn | None
    rest: NmbrsRestStandIn | None
    """The practice REST identity server and API (None with a real Nmbrs)."""
    logins: list[PracticeLogin]
    consent_logins: list[ConsentLogin]
    console: Console
    practice: Practice
    server: uvicorn.Server
    serving: asyncio.Task[None]
    """uvicorn's serve(); it ends on Ctrl-C."""

    @property
    def page_url(self) -> str:
        return f"{self.url}/try"


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))  # loopback only, whatever the caller asks
    return sock


@asynccontextmanager
async def running(directory: Path, *, port: int = 3000, fresh: bool = False) -> AsyncIterator[TryDesk]:
    """Try mode, serving until the block ends. Port 0 picks a free one (tests)."""
    prepare(directory, fresh=fresh)
    async with AsyncExitStack() as stack:
        sock = _bind(port)
        stack.callback(sock.close)
        port = sock.getsockname()[1]
        url = f"http://{LOOPBACK}:{port}"
        bot_token, signing_secret = f"xoxb-try-{secrets.token_hex(12)}", secrets.token_hex(24)
        slack = SlackStandIn(token=bot_token).start()
        stack.callback(slack.stop)
        seed_slack(slack)
        nmbrs_url, nmbrs, rest, logins, consent_logins = real_nmbrs_url(), None, None, [], []
        rest_settings: dict[str, object] = {}
        if nmbrs_url is None:
            logins, consent_logins = load_logins(directory)
            nmbrs = NmbrsStandIn().start()
            stack.callback(nmbrs.stop)
            seed_nmbrs(nmbrs, logins)
            nmbrs_url = nmbrs.base_url
            # The practice REST identity server and API: "Connect with Nmbrs" opens its consent page.
            rest = NmbrsRestStandIn(redirect_uris=[f"{url}/connect/nmbrs/callback"]).start()
            stack.callback(rest.stop)
            seed_rest(rest, consent_logins)
            restore_consents(rest, directory)
            stack.callback(keep_consents, rest, directory)  # runs before rest.stop: callbacks unwind in reverse
            keeping = asyncio.get_running_loop().create_task(keep_consents_while_running(rest, directory))
            stack.callback(keeping.cancel)
            rest_settings = practice_rest_settings(rest, public_url=url)
        settings = try_settings(directory=directory.resolve(), slack_api_url=slack.base_url, nmbrs_url=nmbrs_url,
                                bot_token=bot_token, signing_secret=signing_secret, **rest_settings)
        runtime = await build_runtime(settings, health_checks={"mode": lambda: (True, "try")})
        stack.push_async_callback(runtime.aclose)
        console = Console(slack=slack, desk_url=url, signing_secret=signing_secret)
        practice = Practice(nmbrs=nmbrs, logins=logins, rest=rest, consent_logins=consent_logins,
                            recheck=runtime.scheduler.recheck if runtime.scheduler else None)
        app = serve_app(runtime.web_app, console, practice, port=port)
        server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, access_log=False,
                                               timeout_graceful_shutdown=5))
        log.warning("TRY MODE: practice Nmbrs and local Slack on loopback, data in %s; not for production",
                    directory)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
            raise RuntimeError("try mode did not start")
        try:
            yield TryDesk(url=url, port=port, runtime=runtime, slack=slack, nmbrs=nmbrs, rest=rest, logins=logins,
                          consent_logins=consent_logins, console=console, practice=practice, server=server, serving=task)
        finally:
            server.should_exit = True
            if not task.done():
                await asyncio.wait_for(task, 30)
