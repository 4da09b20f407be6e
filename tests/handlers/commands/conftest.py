"""End-to-end harness for /nmbrs: the whole Slack app (bot.app.build_slack_runtime) served over
real HTTP by uvicorn on 127.0.0.1, the Slack stand-in behind its Web API and response_urls, the
Nmbrs stand-in behind the gateway and the re-check, and links seeded in a temporary SQLite database."""

from __future__ import annotations

import asyncio
import itertools
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
from sqlalchemy import select

from bot.app import Desk, SlackRuntime, build_slack_runtime
from bot.config import load_settings
from bot.slack.context import SlackContext
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import SlackRequest, block_actions, slash_command
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from handlers.recheck import Recheck, RecheckPolicy
from storage.links import store_credentials
from storage.models import AuditEntry, LinkState

SUPPORT_CHANNEL = "C0SUPPORT"
GROUP = "S0SUPPORT"
STAFF = "U0STAFF"  # in the support user group
LISTED = "U0LISTED"  # in TOKENDESK_SUPPORT_USERS
CUSTOMER = "U0CUST"
OTHER_CUSTOMER = "U0OTHER"
GUEST = "U0GUEST"  # Slack Connect user from another organisation
GUEST_TEAM = "T0GUESTORG"
CHANNEL = "C0GENERAL"

#: Test tokens: none of them may ever show up in a message, a log line or a response.
TOKENS = {
    "hr@acme.nl": "3f2a9c7e5b1d4f60a8e2c4b6d8f01a2b",
    "payroll@globex.nl": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "admin@initech.nl": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
}


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    slack_server.reset()
    for user, locale in ((STAFF, "en-GB"), (LISTED, "nl-NL"), (CUSTOMER, "en-US"), (OTHER_CUSTOMER, "nl-NL")):
        slack_server.add_user(user, locale=locale)
    slack_server.add_user(GUEST, locale="en-US", team_id=GUEST_TEAM)
    slack_server.add_usergroup(GROUP, [STAFF])
    return slack_server


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    nmbrs_server.reset()
    nmbrs_server.add_account("hr@acme.nl", TOKENS["hr@acme.nl"], "acme",
                             debtors=[StandinDebtor(1, 101, "Acme Holding")],
                             companies=[StandinCompany(11, 1, "Acme B.V.", debtor_id=1),
                                        StandinCompany(12, 2, "<!channel> B.V.", debtor_id=1)])
    nmbrs_server.add_account("payroll@globex.nl", TOKENS["payroll@globex.nl"], "globex",
                             debtors=[StandinDebtor(2, 201, "Globex")],
                             companies=[StandinCompany(21, 1, "Globex B.V.", debtor_id=2)])
    nmbrs_server.add_account("admin@initech.nl", TOKENS["admin@initech.nl"], "initech",
                             debtors=[StandinDebtor(3, 301, "Initech")], companies=[])
    return nmbrs_server


@dataclass
class Harness:
    """The running app and how to talk to it like Slack does."""

    url: str
    http: httpx.AsyncClient
    slack: SlackStandIn
    nmbrs: NmbrsStandIn
    runtime: SlackRuntime
    links: dict[str, int]
    _names: Iterator[int]

    @property
    def ctx(self) -> SlackContext:
        return self.runtime.ctx

    @property
    def desk(self) -> Desk:
        return self.runtime.ctx.desk

    async def post(self, request: SlackRequest) -> httpx.Response:
        return await self.http.post(self.url, content=request.body, headers=request.headers())

    async def command(self, text: str, *, user: str = STAFF, team: str = TEAM_ID) -> tuple[httpx.Response, str]:
        """`/nmbrs <text>`; returns the HTTP answer (the acknowledgement) and the response_url name."""
        name = f"cmd{next(self._names)}"
        response = await self.post(slash_command(text, user, team, CHANNEL, self.slack.response_url(name)))
        assert response.status_code == 200, response.text
        return response, name

    async def ack(self, text: str, *, user: str = STAFF, team: str = TEAM_ID) -> dict[str, Any]:
        response, _ = await self.command(text, user=user, team=team)
        return response.json()

    async def click(self, action_id: str, value: str, *, user: str = STAFF, team: str = TEAM_ID) -> str:
        name = f"act{next(self._names)}"
        request = block_actions(action_id, user, team, value=value, channel=CHANNEL,
                                response_url=self.slack.response_url(name))
        response = await self.post(request)
        assert response.status_code == 200, response.text
        return name

    async def responses(self, name: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        calls = await self.slack.wait_for_async("response_url", lambda c: c.name == name, count=count,
                                                timeout=timeout)
        return [c.params for c in calls]

    async def audits(self) -> list[AuditEntry]:
        async with self.desk.sessions() as session:
            return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def seed(desk: Desk) -> dict[str, int]:
    """Three links: two of the customer's, one of another customer's (broken)."""
    rows = [
        ("hr@acme.nl", "acme", LinkState.ACTIVE, CUSTOMER,
         [{"id": 11, "number": 1, "name": "Acme B.V.", "debtor_id": 1},
          {"id": 12, "number": 2, "name": "<!channel> B.V.", "debtor_id": 1}]),
        ("payroll@globex.nl", "globex", LinkState.BROKEN, OTHER_CUSTOMER,
         [{"id": 21, "number": 1, "name": "Globex B.V.", "debtor_id": 2}]),
        ("admin@initech.nl", "initech", LinkState.ACTIVE, CUSTOMER, []),
    ]
    ids = {}
    async with desk.sessions() as session, session.begin():
        for username, env, state, user, companies in rows:
            stored = await store_credentials(
                session, desk.cipher, username=username, token=TOKENS[username], environment=env, state=state,
                platform="slack", team_id=TEAM_ID, user_id=user, companies=companies,
                debtors=[{"id": 1, "number": 101, "name": f"{env} holding"}],
            )
            ids[env] = stored.link.id
    return ids


async def serve(asgi: Any) -> tuple[uvicorn.Server, asyncio.Task[None], socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(asgi, lifespan="on", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task, sock


@asynccontextmanager
async def running(slack: SlackStandIn, nmbrs: NmbrsStandIn, tmp_path: Path, template_db: Path, key_line: str,
                  **extra: Any) -> AsyncIterator[Harness]:
    """The app on a copy of the migrated database, the three links seeded; `extra` settings on top."""
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    settings = load_settings(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        support_channel=SUPPORT_CHANNEL, support_usergroup=GROUP, support_users=[LISTED],
        nmbrs_url=nmbrs.base_url, database_url=f"sqlite:///{tmp_path / 'tokendesk.db'}", keys=key_line,
        language="en", confirm_delay_s=0, nmbrs_retries=0, nmbrs_rate=150, **extra,
    )
    runtime = await build_slack_runtime(settings)
    ctx = runtime.ctx
    # serve wires the re-check in production; here it is built the same way, on the same outbox.
    ctx.recheck = Recheck(sessions=ctx.desk.sessions, cipher=ctx.desk.cipher, gateway=ctx.desk.gateway,
                          outbox=ctx.outbox, policy=RecheckPolicy.from_settings(settings), holder="test",
                          concurrency=2)
    links = await seed(ctx.desk)
    server, task, sock = await serve(runtime.web_app)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            port = sock.getsockname()[1]
            yield Harness(url=f"http://127.0.0.1:{port}/slack/events", http=http, slack=slack, nmbrs=nmbrs,
                          runtime=runtime, links=links, _names=itertools.count(1))
            await ctx.settle(5)
            await ctx.outbox.drain()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()
        await runtime.aclose()


@pytest.fixture
async def harness(slack: SlackStandIn, nmbrs: NmbrsStandIn, tmp_path: Path, template_db: Path,
                  key_line: str) -> AsyncIterator[Harness]:
    async with running(slack, nmbrs, tmp_path, template_db, key_line) as harness:
        yield harness
