"""`/nmbrs migration invite` for a link made on Teams: support types the command in the Teams support
channel, the customer gets a proactive card in their 1:1 chat (their language) with one Action.OpenUrl
"Connect with Nmbrs" per debtor still to move (a ticket bound to them and to that SOAP debtor) and the
invitation link to forward; pressing one through the REST stand-in covers the debtor."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import select

from bot.standins.teams.payloads import SUPPORT_CHANNEL, card_submit
from bot.standins.nmbrs_rest import PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, NmbrsRestStandIn
from handlers.migration import BY_BUTTON
from storage import connect as connect_store
from storage.models import ConnectTicket, MoveState
from tests.bot.pages.migration_scene import follow, moves, payroll_user, soap_link
from tests.bot.pages.rest_app import rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.teams.conftest import COLLEAGUE, ENGLISH, STAFF, Served, nmbrs, slack, teams  # noqa: F401 - fixtures
from tests.bot.teams.test_consent_buttons import rest_teams  # noqa: F401 - fixtures
from tests.words import names


async def test_the_customer_gets_a_card_with_one_open_url_per_debtor(rest_teams: Served,
                                                                     rest_nmbrs: NmbrsRestStandIn) -> None:
    await rest_teams.install()
    await rest_teams.chat(ENGLISH, "hi there")  # the 1:1 chat the proactive card goes to
    desk = rest_teams.runtime.ctx.desk
    link = await soap_link(desk, platform="teams", team_id=ENGLISH.tenant, user_id=ENGLISH.aad)

    [answer] = await rest_teams.command(STAFF, f"migration invite L{link}")
    assert f"Invited the customer of L{link} on Teams: 2 debtor(s)" in answer.text()
    await rest_teams.settle()
    [card_call] = [c for c in rest_teams.teams.sent(conversation=ENGLISH.chat) if "Drukkerij Smit" in c.text()]
    card = card_call.card()
    opens = [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
    assert [a["title"] for a in opens] == ["Connect with Nmbrs: Drukkerij Smit", "Connect with Nmbrs: Bloemen Bos"]
    assert "Nmbrs will soon stop the old connection" in card_call.text()
    assert card_call.text().count(rest_teams.url + "/i/") == 2
    async with desk.sessions() as session:
        for action, debtor_id in zip(opens, (2004, 2005)):
            ticket = parse_qs(urlparse(action["url"]).query)["t"][0]
            row = await session.scalar(select(ConnectTicket).where(
                ConnectTicket.ticket_hash == connect_store.hash_value(ticket)))
            assert row is not None and (row.platform, row.team_id, row.user_id) == ("teams", ENGLISH.tenant, ENGLISH.aad)
            assert (row.migration_link_id, row.migration_debtor_id, row.language) == (link, debtor_id, "en")

    rest_nmbrs.add_client(PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, [rest_teams.url + "/connect/nmbrs/callback"])
    async with httpx.AsyncClient(base_url=rest_teams.url, timeout=30) as browser:
        await follow(browser, rest_teams.url, opens[1]["url"].removeprefix(rest_teams.url),
                     payroll_user(rest_nmbrs, 5, 5, "Bloemen Bos"))
    row = (await moves(desk, link))[2005]
    assert row.state == MoveState.COVERED and row.matched_by == BY_BUTTON


async def test_all_asks_on_a_card_and_only_support_can_confirm(rest_teams: Served) -> None:
    await rest_teams.install()
    await rest_teams.chat(ENGLISH, "hi there")
    link = await soap_link(rest_teams.runtime.ctx.desk, platform="teams", team_id=ENGLISH.tenant, user_id=ENGLISH.aad)

    [question] = await rest_teams.command(STAFF, "migration invite all")
    assert "Invite the customers of 1 SOAP link(s) to move 2 debtor(s)" in question.text()
    [confirm] = question.card()["actions"]
    assert confirm["data"] == {"tokendesk": "migration.invite", "value": "all"}

    rest_teams.teams.reset()
    await rest_teams.send(card_submit(COLLEAGUE, confirm["data"], rest_teams.teams.service_url,
                                      reply_to=question.response["id"], channel=SUPPORT_CHANNEL))
    assert rest_teams.teams.sent("update") == [] and rest_teams.teams.sent(conversation=ENGLISH.chat) == []

    await rest_teams.send(card_submit(STAFF, confirm["data"], rest_teams.teams.service_url,
                                      reply_to=question.response["id"], channel=SUPPORT_CHANNEL))
    [answer] = rest_teams.teams.sent("update")
    assert answer.activity_id == question.response["id"] and "Invited 1 customer(s) · 0 skipped" in answer.text()
    await rest_teams.settle()
    [invite] = [c for c in rest_teams.teams.sent(conversation=ENGLISH.chat) if "Bloemen Bos" in c.text()]
    assert not names(invite.text(), f"L{link}")  # the customer reads their administrations, not our ids
