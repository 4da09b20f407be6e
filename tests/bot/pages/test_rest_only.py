"""A desk with REST configured is REST only from TOKENDESK_NMBRS_SOAP_UNTIL on (UTC): every place that
offers to connect offers only "Connect with Nmbrs", and e-mail + token still sent (a DM, a form opened
the day before, the invitation page) get one answer: not taken since that day; nothing checked,
stored or counted. Time is the desk's clock, moved by the test. Without REST the date changes nothing
for intake, and the start-up log says so once."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_desk, build_slack_runtime
from bot.slack.blocks import CONNECT_ACTION, CONSENT_ACTION, CONNECT_VIEW
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import app_home_opened, block_actions, event_callback, slash_command
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import TEAM_ID, dm_channel
from handlers.invitations import Invited
from handlers.model import Person
from storage.models import IntakeAttempt, Link, PendingIntake
from tests.bot.pages.rest_app import (  # noqa: F401 - fixtures
    DAY_BEFORE,
    ON_THE_DAY,
    SOAP_UNTIL,
    Clock,
    RestServed,
    rest_app,
    rest_nmbrs,
    rest_server,
)
from tests.bot.pages.test_invite_page import csrf_of, post_with, result_of
from tests.bot.slack.conftest import (  # noqa: F401 - fixtures
    CUSTOMER,
    ENGLISH,
    TOKEN,
    USERNAME,
    Served,
    free_socket,
    make_settings,
    nmbrs,
    serving,
    slack,
)
from tests.bot.slack.test_dm import texts
from tests.bot.slack.test_modal import submit

ONLY_LINE = "Nmbrs now connects through its own consent page"
CLOSED = "Since 2027-03-01 this kind of connection is no longer taken"


def rest_only(now: Any = ON_THE_DAY) -> Any:
    return pytest.mark.parametrize("rest_app", [{"nmbrs_soap_until": SOAP_UNTIL, "clock": Clock(now)}],
                                   indirect=True)


def action_ids(view: dict[str, Any]) -> list[str]:
    return [e["action_id"] for block in view.get("blocks") or [] for e in block.get("elements") or []
            if "action_id" in e]


async def count(served: Served, model: type) -> int:
    async with served.ctx.desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def nothing_kept(served: Served, nmbrs: NmbrsStandIn) -> None:
    assert sum(nmbrs.calls.values()) == 0  # nothing sent to Nmbrs
    assert await count(served, Link) == 0 and await count(served, IntakeAttempt) == 0
    assert await count(served, PendingIntake) == 0


@rest_only()
async def test_every_place_that_offers_to_connect_offers_only_the_consent_button(rest_app: RestServed) -> None:
    served = rest_app.served
    await served.dm(ENGLISH, "hello")
    [welcome] = served.posts(dm_channel(ENGLISH))
    assert action_ids(welcome) == [CONSENT_ACTION] and ONLY_LINE in texts(welcome)
    assert "API token" not in texts(welcome)

    await served.send(event_callback(app_home_opened(ENGLISH)))
    await served.settle()
    [home] = served.slack.calls("views.publish")
    assert action_ids(home.params["view"]) == [CONSENT_ACTION]
    assert "only through Nmbrs' consent page (REST); e-mail + API token no longer since 2027-03-01" in str(home.params)

    response = await served.send(slash_command("connect", CUSTOMER, TEAM_ID, "D0CUST", served.slack.response_url("c")))
    assert response.status_code == 200
    [modal] = await served.slack.wait_for_async("views.open")
    view = modal.params["view"]
    assert action_ids(view) == [CONSENT_ACTION] and "submit" not in view
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    assert "Nmbrs koppel je nu via de toestemmingspagina van Nmbrs zelf" in str(view)

    helped = await served.send(slash_command("help", ENGLISH, TEAM_ID, "D0ENG", served.slack.response_url("h")))
    assert "e-mail + API token no longer since 2027-03-01" in helped.text
    assert "send your login and token" not in helped.text

    health = (await served.http.get("/healthz")).json()
    assert health["connecting"] == "REST only (SOAP stop date 2027-03-01)"


@rest_only()
async def test_a_token_in_a_dm_is_turned_away_with_the_button(rest_app: RestServed, nmbrs: NmbrsStandIn,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    served = rest_app.served
    await served.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    await served.dm(ENGLISH, f"my login is {USERNAME}")  # half of it: not kept either
    [dutch] = served.posts(dm_channel(CUSTOMER))
    [english] = served.posts(dm_channel(ENGLISH))
    assert "Sinds 2027-03-01 nemen we deze manier van koppelen niet meer aan" in texts(dutch)
    assert action_ids(dutch) == [CONSENT_ACTION]
    assert "verwijder" in texts(dutch).lower()  # the DM-deletion hint: the token is still in the chat
    assert CLOSED in texts(english) and action_ids(english) == [CONSENT_ACTION]
    assert TOKEN not in str(served.slack.calls()) and TOKEN not in caplog.text
    await nothing_kept(served, nmbrs)
    assert await served.ctx.conversations.waiting(person=Person("slack", TEAM_ID, ENGLISH, "en")) is None


@rest_only(DAY_BEFORE)
async def test_a_form_opened_the_day_before_and_sent_on_the_day_is_turned_away(
    rest_app: RestServed, nmbrs: NmbrsStandIn,
) -> None:
    served = rest_app.served
    await served.send(block_actions(CONNECT_ACTION, ENGLISH, value="connect"))
    [opened] = await served.slack.wait_for_async("views.open")
    form = opened.response["view"]
    assert action_ids(form)[0] == CONSENT_ACTION and [b for b in form["blocks"] if b["type"] == "input"]
    served.ctx.desk.clock.now = ON_THE_DAY  # type: ignore[attr-defined]

    acked = await submit(served, form, USERNAME, "not even a token's shape")
    assert acked.get("response_action") == "update"  # no inline shape errors: the way itself is closed
    await served.settle()
    [updated] = [c for c in served.slack.calls("views.update") if c.params["view"]["callback_id"] == CONNECT_VIEW][-1:]
    outcome = updated.params["view"]
    assert CLOSED in str(outcome) and action_ids(outcome) == [CONSENT_ACTION]
    assert "submit" not in outcome and not [b for b in outcome["blocks"] if b["type"] == "input"]
    await nothing_kept(served, nmbrs)


@rest_only(DAY_BEFORE)
async def test_before_the_date_both_ways_are_offered(rest_app: RestServed) -> None:
    served = rest_app.served
    await served.dm(ENGLISH, "hello")
    [welcome] = served.posts(dm_channel(ENGLISH))
    assert action_ids(welcome) == [CONNECT_ACTION, CONSENT_ACTION] and "no token needed" in texts(welcome)
    health = (await served.http.get("/healthz")).json()
    assert health["connecting"] == "SOAP and REST (SOAP stop date 2027-03-01)"


async def _invitation_path(served: Served) -> str:
    assert served.ctx.invitations is not None
    staff = Person("slack", TEAM_ID, "U0STAFF", "en")
    invited = await served.ctx.invitations.create(person=staff, name="Acme BV", email="hr@acme.nl")
    assert isinstance(invited, Invited)
    return "/i/" + invited.url.rsplit("/", 1)[1]


@rest_only(DAY_BEFORE)
async def test_the_invitation_page_offers_only_the_button_and_turns_a_late_form_away(
    rest_app: RestServed, nmbrs: NmbrsStandIn,
) -> None:
    served = rest_app.served
    path = await _invitation_path(served)
    before = await served.http.get(path, headers={"accept-language": "en"})
    assert 'name="token"' in before.text and "/connect/nmbrs/start?t=" in before.text
    served.ctx.desk.clock.now = ON_THE_DAY  # type: ignore[attr-defined]

    page = await served.http.get(path, headers={"accept-language": "en"})
    assert page.status_code == 200 and 'name="token"' not in page.text
    assert ONLY_LINE in page.text and page.text.count("/connect/nmbrs/start?t=") == 1

    posted = await post_with(served, path, {"csrf": csrf_of(before.text), "lang": "en", "username": USERNAME,
                                            "token": TOKEN}, before.cookies)
    result = await result_of(served, posted)
    assert CLOSED in result.text and "/connect/nmbrs/start?t=" in result.text
    assert 'name="token"' not in result.text and TOKEN not in result.text
    await nothing_kept(served, nmbrs)


async def test_without_rest_a_past_date_changes_nothing_but_is_logged_once(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    settings = make_settings(tmp_path, slack, nmbrs, nmbrs_soap_until=SOAP_UNTIL)
    caplog.set_level(logging.WARNING)
    desk = await build_desk(settings, clock=Clock(ON_THE_DAY))
    runtime = await build_slack_runtime(settings, desk=desk)
    try:
        warned = [r for r in caplog.records if "SOAP stop date passed and REST not configured" in r.getMessage()]
        assert len(warned) == 1
        async with serving(runtime.web_app, sock=free_socket()) as url:
            import httpx

            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                served = Served(url=url, runtime=runtime, http=http, slack=slack, nmbrs=nmbrs)
                await served.settle()
                slack.reset()
                await served.dm(ENGLISH, "hello")
                [welcome] = served.posts(dm_channel(ENGLISH))
                assert action_ids(welcome) == [CONNECT_ACTION]
                await served.dm(ENGLISH, f"{USERNAME} {TOKEN}")
                await served.settle()
                assert sum(nmbrs.calls.values()) > 0 and await count(served, Link) == 1
                assert "connecting" not in (await http.get("/healthz")).json()  # as before REST
    finally:
        await runtime.aclose()
        await desk.aclose()
