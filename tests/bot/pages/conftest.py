"""The whole app (Slack and Nmbrs stand-ins behind it) with invitations on: TOKENDESK_PUBLIC_URL set."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_slack_runtime
from bot.config import Settings
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.server import SlackStandIn
from handlers.invitations import Invitations, Invited
from handlers.model import Person
from tests.bot.slack.conftest import (  # noqa: F401 - fixtures
    Served,
    make_settings,
    nmbrs,
    serving,
    slack,
    slack_server,
)

STAFF = Person(platform="slack", team_id="T0TEAM", user_id="U0STAFF", lang="en")


@pytest.fixture
def public_url() -> str:
    return "http://127.0.0.1:9"


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path, public_url: str) -> Settings:
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return make_settings(tmp_path, slack, nmbrs, public_url=public_url, brand_name="Loonkoppeling & Co",
                         support_users=["U0STAFF"])


@pytest.fixture
async def app(settings: Settings, slack: SlackStandIn, nmbrs: NmbrsStandIn) -> AsyncIterator[Served]:
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


@pytest.fixture
def invitations(app: Served) -> Invitations:
    assert app.ctx.invitations is not None
    return app.ctx.invitations


async def invite(invitations: Invitations, name: str = "Acme BV", email: str | None = "hr@acme.nl") -> str:
    """A new invitation's path, /i/<secret>."""
    invited = await invitations.create(person=STAFF, name=name, email=email)
    assert isinstance(invited, Invited)
    return "/i/" + invited.url.rsplit("/", 1)[1]
