"""Teams with REST on: the chat's answer and the `connect` form also offer "Connect with Nmbrs"
(an Action.OpenUrl with a fresh ticket for that person); without REST the cards are as before."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_desk, build_slack_runtime
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
)
from bot.standins.slack.server import SlackStandIn
from bot.standins.teams.server import TeamsStandIn
from bot.teams.app import TeamsEndpoints
from tests.bot.pages.rest_app import rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.slack.conftest import free_socket, serving
from tests.bot.teams.conftest import CUSTOMER, ENGLISH, Served, teams_settings



def open_urls(card: dict[str, Any]) -> list[str]:
    return [a["url"] for a in card.get("actions") or [] if a["type"] == "Action.OpenUrl"]


@pytest.fixture
async def rest_teams(request: pytest.FixtureRequest, tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn,
                     teams: TeamsStandIn, template_db: Path, rest_nmbrs: NmbrsRestStandIn) -> AsyncIterator[Served]:
    """Parametrize indirectly with more settings, and `clock` for the desk's today (Desk.clock)."""
    options = dict(getattr(request, "param", None) or {})
    clock = options.pop("clock", None)
    sock = free_socket()
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    settings = teams_settings(
        tmp_path, slack, nmbrs, public_url=public_url, nmbrs_client_id=PRACTICE_CLIENT_ID,
        nmbrs_client_secret=PRACTICE_CLIENT_SECRET, nmbrs_subscription_key=PRACTICE_SUBSCRIPTION_KEY,
        nmbrs_identity_url=rest_nmbrs.identity_url, nmbrs_rest_url=rest_nmbrs.api_url, **options)
    desk = await build_desk(settings, clock=clock) if clock is not None else None
    runtime = await build_slack_runtime(settings, desk=desk, teams_endpoints=TeamsEndpoints(cloud=teams.cloud(),
                                                                                             token=teams.bot_token))
    try:
        async with serving(runtime.web_app, sock=sock) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            served = Served(url=url, runtime=runtime, http=http, teams=teams, slack=slack, nmbrs=nmbrs)
            await served.settle()
            teams.reset()
            yield served
            await served.settle()
    finally:
        await runtime.aclose()
        if desk is not None:
            await desk.aclose()


async def test_the_chat_answer_and_the_form_offer_the_consent_page(rest_teams: Served) -> None:
    [english] = await rest_teams.chat(ENGLISH, "hi there")
    card = english.card()
    assert [a["type"] for a in card["actions"]] == ["Action.ShowCard", "Action.OpenUrl"]
    [welcome_url] = open_urls(card)
    assert card["actions"][1]["title"] == "Connect with Nmbrs" and "no token needed" in english.text()
    [form] = await rest_teams.chat(CUSTOMER, "connect")
    [form_url] = open_urls(form.card())
    assert form.card()["actions"][1]["title"] == "Koppelen met Nmbrs"
    assert welcome_url != form_url and all(u.startswith(rest_teams.url + "/connect/nmbrs/start?t=")
                                           for u in (welcome_url, form_url))


async def test_without_rest_the_cards_are_as_before(app: Served) -> None:  # type: ignore[no-untyped-def]
    [english] = await app.chat(ENGLISH, "hi there")
    assert open_urls(english.card()) == []
