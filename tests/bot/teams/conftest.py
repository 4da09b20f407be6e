"""The whole app with Teams on, served by uvicorn on 127.0.0.1: activities signed by a token issuer the
tests control are posted over HTTP to /api/messages, and the bot's connector calls land in a stand-in.

Slack is configured too (serve needs it) and points at the Slack stand-in; Nmbrs at its stand-in.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import SlackRuntime, build_slack_runtime
from bot.config import Settings
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.server import SlackStandIn
from bot.standins.teams.payloads import (
    APP_ID,
    APP_SECRET,
    OTHER_TENANT,
    SUPPORT_CHANNEL,
    TENANT_ID,
    TeamsUser,
    channel_message,
    personal_message,
    team_install,
)
from bot.standins.teams.server import Call, TeamsStandIn
from bot.teams.app import TeamsEndpoints, TeamsRuntime
from tests.bot.slack.conftest import make_settings, serving

USERNAME = "hr@acme.nl"
TOKEN = "0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
SUBDOMAIN = "acme"

CUSTOMER = TeamsUser("c0c0c0c0-0000-4000-8000-00000000c0c0", "Klant de Vries", tenant=OTHER_TENANT, locale="nl-NL")
ENGLISH = TeamsUser("e0e0e0e0-0000-4000-8000-00000000e0e0", "Emma English", tenant=OTHER_TENANT, locale="en-GB")
STAFF = TeamsUser("5a5a5a5a-0000-4000-8000-000000005a5a", "Sam Support", locale="en-US")
COLLEAGUE = TeamsUser("0b0b0b0b-0000-4000-8000-000000000b0b", "Olaf Other", locale="nl-NL")
"""In the vendor's tenant but not in TOKENDESK_TEAMS_SUPPORT_USERS."""
STAFF_ELSEWHERE = TeamsUser(STAFF.aad, "Sam Lookalike", tenant=OTHER_TENANT, locale="en-US")
"""The staff member's object id, but signed in to another tenant."""


@pytest.fixture(scope="session")
def teams_server() -> Iterator[TeamsStandIn]:
    with TeamsStandIn() as teams:
        yield teams


@pytest.fixture
def teams(teams_server: TeamsStandIn) -> TeamsStandIn:
    teams_server.reset()
    return teams_server


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    slack_server.reset()
    return slack_server


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    nmbrs_server.reset()
    nmbrs_server.add_account(
        USERNAME, TOKEN, SUBDOMAIN,
        debtors=[StandinDebtor(12345, 101, "Acme Holding")],
        companies=[
            StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345),
            StandinCompany(54614, 2, "**Bold** [click](http://evil) & Zonen", debtor_id=12345),
        ],
    )
    return nmbrs_server


def teams_settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        teams_client_id=APP_ID, teams_client_secret=APP_SECRET, teams_tenant_id=TENANT_ID,
        teams_support_channel=SUPPORT_CHANNEL, teams_support_users=[STAFF.aad],
    )
    values.update(overrides)
    return make_settings(tmp_path, slack, nmbrs, **values)


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path) -> Settings:
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return teams_settings(tmp_path, slack, nmbrs)


@dataclass
class Served:
    """A running app with Teams on, and the stand-ins behind it."""

    url: str
    runtime: SlackRuntime
    http: httpx.AsyncClient
    teams: TeamsStandIn
    slack: SlackStandIn
    nmbrs: NmbrsStandIn

    @property
    def team(self) -> TeamsRuntime:
        assert self.runtime.teams is not None
        return self.runtime.teams

    async def post(self, activity: dict[str, Any], *, token: str | None = None, **sign: Any) -> httpx.Response:
        """POST an activity to /api/messages with a Bearer JWT from the test issuer (or `token`)."""
        bearer = token if token is not None else self.teams.sign(activity, **sign)
        return await self.http.post("/api/messages", json=activity, headers={"Authorization": f"Bearer {bearer}"})

    async def settle(self) -> None:
        """Wait until work after the answer and the outbox are done."""
        for _ in range(3):
            await self.team.ctx.settle(10)
            await self.runtime.ctx.settle(10)
            task = self.runtime.ctx.outbox._task
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)

    async def send(self, activity: dict[str, Any], **sign: Any) -> httpx.Response:
        response = await self.post(activity, **sign)
        assert response.status_code == 200, response.text
        await self.settle()
        return response

    async def chat(self, user: TeamsUser, text: str) -> list[Call]:
        """`user` writes in their 1:1 chat; returns what the bot sent there."""
        before = len(self.teams.sent(conversation=user.chat))
        await self.send(personal_message(user, text, self.teams.service_url))
        return self.teams.sent(conversation=user.chat)[before:]

    async def command(self, user: TeamsUser, text: str, *, channel: str = SUPPORT_CHANNEL) -> list[Call]:
        """`user` writes `@tokendesk <text>` in a channel; returns what the bot sent to that channel."""
        before = len(self.teams.sent(conversation=channel))
        await self.send(channel_message(user, text, self.teams.service_url, channel=channel))
        return self.teams.sent(conversation=channel)[before:]

    async def install(self) -> None:
        """The app is added to the support team (captures the channel's conversation reference)."""
        await self.send(team_install(STAFF, self.teams.service_url))


@pytest.fixture
async def app(settings: Settings, slack: SlackStandIn, nmbrs: NmbrsStandIn, teams: TeamsStandIn) -> AsyncIterator[Served]:
    endpoints = TeamsEndpoints(cloud=teams.cloud(), token=teams.bot_token)
    runtime = await build_slack_runtime(settings, teams_endpoints=endpoints)
    try:
        async with serving(runtime.web_app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            served = Served(url=url, runtime=runtime, http=http, teams=teams, slack=slack, nmbrs=nmbrs)
            await served.settle()
            teams.reset()
            slack.reset()
            nmbrs.reset_counters()
            yield served
            await served.settle()
    finally:
        await runtime.aclose()
