"""The whole Slack app, served by uvicorn on 127.0.0.1, with Slack and Nmbrs stand-ins behind it.

Each test gets a fresh runtime on a temporary SQLite database (copied from a migrated template, so
no test pays for the migrations) and sends signed HTTP requests to it like Slack would.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.app import SlackRuntime, build_slack_runtime
from bot.config import Settings, load_settings
from bot.slack.context import SlackContext
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import SlackRequest, event_callback, message_im
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET
from storage.cipher import generate_key_line

USERNAME = "hr@acme.nl"
TOKEN = "0123456789abcdef0123456789abcdef"
SUBDOMAIN = "acme"
SUPPORT_CHANNEL = "C0SUPPORT"
CUSTOMER = "U0CUST"  # Dutch locale
ENGLISH = "U0ENGLISH"  # en-GB
UNKNOWN_LOCALE = "U0NOLOCALE"  # users.info without a locale
GUEST = "U0GUEST"  # Slack Connect: another organisation
GUEST_TEAM = "T0OTHERORG"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"


@pytest.fixture(scope="session")
def slack_server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        slack.add_user(CUSTOMER, name="customer", locale="nl-NL")
        slack.add_user(ENGLISH, name="english", locale="en-GB")
        slack.add_user(UNKNOWN_LOCALE, name="nolocale", locale="")
        slack.add_user(GUEST, name="guest", locale="en-US", team_id=GUEST_TEAM)
        yield slack


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    slack_server.reset()
    return slack_server


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    nmbrs_server.reset()
    nmbrs_server.hang_s = 0.3
    nmbrs_server.add_account(
        USERNAME, TOKEN, SUBDOMAIN,
        debtors=[StandinDebtor(12345, 101, "Acme Holding")],
        companies=[
            StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345),
            StandinCompany(54614, 2, "<!channel> & Zonen", debtor_id=12345),
        ],
    )
    return nmbrs_server


def make_settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        support_channel=SUPPORT_CHANNEL,
        nmbrs_url=nmbrs.base_url,
        nmbrs_retries=0,
        nmbrs_connect_timeout_s=3.0,
        nmbrs_read_timeout_s=3.0,  # well above the 0.2–0.6 s latencies tests inject: a loaded CI machine must not time them out
        database_url=f"sqlite:///{tmp_path / 'tokendesk.db'}",
        keys=generate_key_line("k1"),
        language="nl",
        nmbrs_rate=150,
        # The acknowledgement's database budget (2 s in production): a loaded CI machine must not
        # answer Slack 503 where a test does not mean it to; the tests of that path set 2 s.
        intake_write_timeout_s=8.0,
    )
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Served:
    """A running app: its URL, its runtime, and the stand-ins behind it."""

    url: str
    runtime: SlackRuntime
    http: httpx.AsyncClient
    slack: SlackStandIn
    nmbrs: NmbrsStandIn

    @property
    def ctx(self) -> SlackContext:
        return self.runtime.ctx

    async def send(self, request: SlackRequest, **header_options: Any) -> httpx.Response:
        """POST a signed request to /slack/events, like Slack does."""
        return await self.http.post(
            "/slack/events", content=request.body, headers=request.headers(**header_options)
        )

    async def settle(self) -> None:
        """Wait until listener work after the acknowledgement and the outbox are done."""
        for _ in range(3):
            await self.ctx.settle(10)
            task = self.ctx.outbox._task
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)

    async def dm(self, user: str, text: str, **options: Any) -> httpx.Response:
        """The user writes `text` in their DM with the bot; waits until the bot is done with it."""
        response = await self.send(event_callback(message_im(user, text, **options)))
        assert response.status_code == 200, response.text
        await self.settle()
        return response

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted (successfully), in order."""
        return [c.params for c in self.slack.calls("chat.postMessage")
                if c.ok and (channel is None or c.params.get("channel") == channel)]


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serving(web_app: Any, *, lifespan: str = "on", sock: socket.socket | None = None,
                  access_log: bool = False) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this event loop (on `sock` when its URL had to be known
    first); yield its URL. `access_log`: uvicorn writes its access lines (tests that read them)."""
    sock = sock or free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(web_app, lifespan=lifespan, log_config=None, access_log=access_log)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn,
             template_db: Path) -> Settings:
    """Parametrize indirectly with a dict of settings to change."""
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return make_settings(tmp_path, slack, nmbrs, **(getattr(request, "param", None) or {}))


@pytest.fixture
async def app(settings: Settings, slack: SlackStandIn, nmbrs: NmbrsStandIn) -> AsyncIterator[Served]:
    """The running app; calls made while starting (auth.test) are forgotten."""
    runtime = await build_slack_runtime(settings)
    try:
        async with serving(runtime.web_app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            served = Served(url=url, runtime=runtime, http=http, slack=slack, nmbrs=nmbrs)
            await served.settle()
            slack.reset()
            nmbrs.reset_counters()
            yield served
            await served.settle()
    finally:
        await runtime.aclose()
