"""`/nmbrs migration invite` on Slack, end to end: signed commands into the running app, the customer's
DM on the Slack stand-in with one "Connect with Nmbrs" button (a ticket bound to the customer and the
SOAP debtor) and one invitation link per debtor still to move, and a press that goes through the REST
stand-in's consent and covers that debtor by itself; the re-send limit, `all` with its confirmation,
a web link's URLs for support, non-staff refused and REST off."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.server import SlackStandIn

from bot.slack.blocks import CONSENT_ACTION
from bot.standins.slack.payloads import block_actions, slash_command
from bot.standins.slack.workspace import TEAM_ID, dm_channel
from handlers.migration import BY_BUTTON
from storage import connect as connect_store
from storage.models import ConnectTicket, Invitation, MoveState
from tests.bot.pages.migration_scene import audits, consent_path_on, follow, moves, payroll_user, soap_link
from tests.bot.pages.rest_app import RestServed, rest_app, rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.slack.conftest import ENGLISH, Served, app, make_settings, nmbrs, slack  # noqa: F401 - fixtures

STAFF = "U0STAFF"


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path) -> Settings:
    """The `app` fixture's settings (REST off) with the same support staff as `rest_app`."""
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return make_settings(tmp_path, slack, nmbrs, support_users=[STAFF])


async def command(served: Served, text: str, *, user: str = STAFF) -> dict[str, Any]:
    """The answer to `/nmbrs <text>` (within the acknowledgement, or through response_url); support
    reads English."""
    served.slack.add_user(STAFF, name="staff", locale="en-GB")
    name = f"cmd{len(served.slack.calls())}"
    response = await served.send(slash_command(text, user, TEAM_ID, "C0SUPPORT", served.slack.response_url(name)))
    assert response.status_code == 200
    answer = response.json() if response.content else {}
    if "one moment" in json.dumps(answer, ensure_ascii=False).lower() or not answer.get("blocks"):
        [call] = await served.slack.wait_for_async("response_url", lambda c: c.name == name, timeout=15)
        answer = call.params
    await served.settle()
    return answer


def _rows(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [b for b in blocks if b.get("accessory", {}).get("action_id") == CONSENT_ACTION]


def _ticket(url: str) -> str:
    return parse_qs(urlparse(url).query)["t"][0]


async def _ticket_row(served: Served, url: str) -> ConnectTicket:
    async with served.ctx.desk.sessions() as session:
        found = await session.scalar(select(ConnectTicket).where(
            ConnectTicket.ticket_hash == connect_store.hash_value(_ticket(url))))
    assert found is not None
    return found


async def test_the_customer_gets_one_button_per_debtor_to_move_and_a_press_covers_it(rest_app: RestServed) -> None:
    served = rest_app.served
    desk = served.ctx.desk
    link = await soap_link(desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)

    answer = await command(served, f"migration invite L{link}")
    assert f"Invited the customer of L{link} on Slack: 2 debtor(s)" in json.dumps(answer, ensure_ascii=False)
    [dm] = served.posts(dm_channel(ENGLISH))
    rows = _rows(dm)
    assert len(rows) == 2 and "Nmbrs will soon stop the old connection (SOAP)." in json.dumps(dm)
    assert ["`4` Drukkerij Smit" in rows[0]["text"]["text"], "`5` Bloemen Bos" in rows[1]["text"]["text"]] == [True] * 2
    buttons = [row["accessory"]["url"] for row in rows]
    invitations = [row["text"]["text"].split("<", 1)[1].split("|", 1)[0] for row in rows]
    assert all(url.startswith(rest_app.url + "/i/") for url in invitations) and len(set(invitations)) == 2
    for url, debtor_id in zip(buttons, (2004, 2005)):
        ticket = await _ticket_row(served, url)
        assert (ticket.platform, ticket.team_id, ticket.user_id) == ("slack", TEAM_ID, ENGLISH)
        assert (ticket.migration_link_id, ticket.migration_debtor_id, ticket.invitation_id) == (link, debtor_id, None)
    secrets = " ".join([json.dumps(dm), *(str(a.detail) for a in await audits(desk, "migration.invite"))])
    assert all(_ticket(url) not in secrets.replace(url, "") for url in buttons)

    # The customer presses Drukkerij Smit's button and consents as its payroll administrator.
    async with httpx.AsyncClient(base_url=rest_app.url, timeout=30) as browser:
        page = await follow(browser, rest_app.url, buttons[0].removeprefix(rest_app.url),
                            payroll_user(rest_app.rest, 4, 4, "Drukkerij Smit"))
    assert page.status_code == 200
    covered = (await moves(desk, link))[2004]
    assert covered.state == MoveState.COVERED and covered.matched_by == BY_BUTTON and covered.rest_link_id

    # Bloemen Bos's invitation link, forwarded to its payroll administrator: the page's consent covers it too.
    async with httpx.AsyncClient(base_url=rest_app.url, timeout=30) as browser:
        invitation_page = await browser.get(invitations[1].removeprefix(rest_app.url))
        assert invitation_page.status_code == 200
        await follow(browser, rest_app.url, consent_path_on(invitation_page.text),
                     payroll_user(rest_app.rest, 5, 5, "Bloemen Bos"))
    done = await moves(desk, link)
    assert done[2005].state == MoveState.COVERED and done[2005].matched_by == BY_BUTTON
    async with desk.sessions() as session:
        used = (await session.scalars(select(Invitation).where(Invitation.migration_debtor_id == 2005))).one()
    assert used.used_at is not None and used.migration_link_id == link

    # Nothing left to move now; and a second invite within the remind period is refused anyway.
    assert f"L{link} has no debtors left to move" in json.dumps(await command(served, f"migration invite L{link}"), ensure_ascii=False)
    assert [(a.result, a.detail.get("debtors")) for a in await audits(desk, "migration.invite")] == [
        ("ok", 2), ("failed", None)]


async def test_re_sending_waits_for_the_remind_period(rest_app: RestServed) -> None:
    served = rest_app.served
    link = await soap_link(served.ctx.desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)
    await command(served, f"migration invite L{link}")
    again = json.dumps(await command(served, f"migration invite L{link}"), ensure_ascii=False)
    assert "was invited recently; you can send it again from" in again
    assert len(served.posts(dm_channel(ENGLISH))) == 1
    [sent, refused] = await audits(served.ctx.desk, "migration.invite")
    assert sent.result == "ok" and refused.result == "failed" and refused.detail["problem"] == "too_soon"


async def test_all_asks_first_then_invites_chat_customers_and_lists_web_links(rest_app: RestServed) -> None:
    served = rest_app.served
    desk = served.ctx.desk
    chat = await soap_link(desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH, n=7)
    web = await soap_link(desk, platform="web", team_id="invitation", user_id="I1", n=8)

    asked = await command(served, "migration invite all")
    assert "Invite the customers of 2 SOAP link(s) to move 4 debtor(s)" in json.dumps(asked, ensure_ascii=False)
    assert served.posts(dm_channel(ENGLISH)) == []  # nothing sent before the confirmation
    [button] = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["value"] == "all"

    refused = await served.send(block_actions(button["action_id"], ENGLISH, value="all",
                                              response_url=served.slack.response_url("nonstaff")))
    assert refused.status_code == 200
    [no] = await served.slack.wait_for_async("response_url", lambda c: c.name == "nonstaff")
    assert "for the support team" in json.dumps(no.params) and served.posts(dm_channel(ENGLISH)) == []

    await served.send(block_actions(button["action_id"], STAFF, value="all",
                                    response_url=served.slack.response_url("yes")))
    [done] = await served.slack.wait_for_async("response_url", lambda c: c.name == "yes", timeout=15)
    await served.settle()
    text = json.dumps(done.params, ensure_ascii=False)
    assert "Invited 1 customer(s) · 0 skipped (invited recently) · 1 web link(s)" in text
    assert f"No chat reaches the customer of L{web}" in text and text.count(rest_app.url + "/i/") == 2
    assert len(_rows(served.posts(dm_channel(ENGLISH))[0])) == 2
    async with desk.sessions() as session:
        made = (await session.scalars(select(Invitation).where(Invitation.migration_link_id == web))).all()
    assert sorted(i.migration_debtor_id for i in made) == [2004, 2005]
    entries = await audits(desk, "migration.invite")
    assert entries[0].detail == {"stage": "asked", "links": 2}
    assert sorted((a.result, a.link_id or 0) for a in entries[1:]) == [("ok", chat), ("ok", web), ("refused", 0)]

    again = json.dumps(await command(served, "migration invite all"), ensure_ascii=False)
    assert "2 SOAP link(s)" in again  # still to move: asked again, and skipped when confirmed
    await served.send(block_actions(button["action_id"], STAFF, value="all",
                                    response_url=served.slack.response_url("again")))
    [skipped] = await served.slack.wait_for_async("response_url", lambda c: c.name == "again", timeout=15)
    assert "Invited 0 customer(s) · 2 skipped" in json.dumps(skipped.params, ensure_ascii=False)


async def test_non_staff_are_refused_and_nothing_is_sent(rest_app: RestServed) -> None:
    served = rest_app.served
    link = await soap_link(served.ctx.desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)
    answer = await command(served, f"migration invite L{link}", user=ENGLISH)
    assert "for the support team" in json.dumps(answer, ensure_ascii=False) and served.posts(dm_channel(ENGLISH)) == []


async def test_without_rest_no_invite_is_possible(app: Served) -> None:
    link = await soap_link(app.ctx.desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)
    answer = await command(app, f"migration invite L{link}", user=STAFF)
    assert "needs REST consent to be configured" in json.dumps(answer, ensure_ascii=False) and app.posts(dm_channel(ENGLISH)) == []
    [entry] = await audits(app.ctx.desk, "migration.invite")
    assert entry.result == "failed" and entry.detail == {"problem": "no_rest"}
