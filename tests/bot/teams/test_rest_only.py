"""Teams on a REST-only desk (TOKENDESK_NMBRS_SOAP_UNTIL reached, REST configured): the chat answer,
`connect` and the form's outcome offer only "Connect with Nmbrs" (Action.OpenUrl); a token sent in
the chat or through a form opened the day before is turned away, nothing checked or stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.teams.payloads import card_submit
from storage.models import IntakeAttempt, Link
from tests.bot.pages.rest_app import DAY_BEFORE, ON_THE_DAY, SOAP_UNTIL, Clock, rest_nmbrs, rest_server  # noqa: F401
from tests.bot.teams.conftest import CUSTOMER, ENGLISH, TOKEN, USERNAME, Served
from tests.bot.teams.test_consent_buttons import rest_teams  # noqa: F401 - fixture

CLOSED = "Since 2027-03-01 this kind of connection is no longer taken"


def at(now: Any) -> Any:
    return pytest.mark.parametrize("rest_teams", [{"nmbrs_soap_until": SOAP_UNTIL, "clock": Clock(now)}],
                                   indirect=True)


def action_types(card: dict[str, Any]) -> list[str]:
    return [a["type"] for a in card.get("actions") or []]


async def nothing_kept(served: Served, nmbrs: NmbrsStandIn) -> None:
    assert sum(nmbrs.calls.values()) == 0
    async with served.runtime.ctx.desk.sessions() as session:
        for model in (Link, IntakeAttempt):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


@at(ON_THE_DAY)
async def test_the_chat_and_connect_offer_only_the_consent_button(rest_teams: Served, nmbrs: NmbrsStandIn) -> None:
    [welcome] = await rest_teams.chat(ENGLISH, "hi there")
    assert action_types(welcome.card()) == ["Action.OpenUrl"]
    assert "Nmbrs now connects through its own consent page" in welcome.text()
    [form] = await rest_teams.chat(CUSTOMER, "connect")
    assert action_types(form.card()) == ["Action.OpenUrl"] and "Input.Text" not in json.dumps(form.card())
    assert "Nmbrs koppel je nu via de toestemmingspagina van Nmbrs zelf" in form.text()

    [answer] = await rest_teams.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    assert CLOSED in answer.text() and action_types(answer.card()) == ["Action.OpenUrl"]
    assert "delete" in answer.text().lower() and TOKEN not in answer.text()
    await nothing_kept(rest_teams, nmbrs)


@at(DAY_BEFORE)
async def test_a_form_card_from_the_day_before_sent_on_the_day_is_turned_away(
    rest_teams: Served, nmbrs: NmbrsStandIn,
) -> None:
    [welcome] = await rest_teams.chat(ENGLISH, "hi")
    assert action_types(welcome.card()) == ["Action.ShowCard", "Action.OpenUrl"]
    rest_teams.runtime.ctx.desk.clock.now = ON_THE_DAY  # type: ignore[attr-defined]
    submit = card_submit(ENGLISH, {"tokendesk": "connect", "lang": "en", "username": USERNAME, "token": "x y"},
                         rest_teams.teams.service_url, reply_to=welcome.response["id"])
    await rest_teams.send(submit)
    outcome = rest_teams.teams.sent("update", conversation=ENGLISH.chat)[-1]
    assert CLOSED in outcome.text() and action_types(outcome.card()) == ["Action.OpenUrl"]
    assert "Input.Text" not in json.dumps(outcome.card())
    await nothing_kept(rest_teams, nmbrs)
