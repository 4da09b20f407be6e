"""Support commands on Teams: every /nmbrs subcommand from the support channel (and the 1:1 chat),
the revoke confirmation card, and the refusals (audited) for anyone who is not support staff."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.standins.teams.payloads import SUPPORT_CHANNEL, TeamsUser, card_submit
from bot.standins.teams.server import Call
from storage.models import AuditEntry, Link
from tests.bot.teams.conftest import (
    COLLEAGUE,
    CUSTOMER,
    ENGLISH,
    STAFF,
    STAFF_ELSEWHERE,
    SUBDOMAIN,
    TOKEN,
    USERNAME,
    Served,
)
from tests.words import names


def _said(calls: list[Call]) -> str:
    return "\n".join(call.text() for call in calls)


@pytest.fixture
async def linked(app: Served) -> Served:
    """The app is installed in the support team and the customer has connected (link L1)."""
    await app.install()
    await app.chat(CUSTOMER, f"{USERNAME} {TOKEN}")
    app.teams.reset()
    return app


async def _audits(app: Served) -> list[AuditEntry]:
    async with app.runtime.ctx.desk.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_help_status_and_list(linked: Served) -> None:
    said = _said(await linked.command(STAFF, "help"))
    assert "Support commands" in said and "revoke" in said
    said = _said(await linked.command(STAFF, "status acme"))
    assert "L1" in said and USERNAME in said and f"…{TOKEN[-4:]}" in said and "Klant de Vries" in said
    said = _said(await linked.command(STAFF, "list"))
    assert "1 link(s)" in said and "L1" in said
    said = _said(await linked.command(STAFF, "list broken"))
    assert "No broken links" in said
    said = _said(await linked.command(STAFF, "list nonsense"))
    assert "is not a state" in said


async def test_answers_go_into_the_thread_of_the_command(linked: Served) -> None:
    [answer] = await linked.command(STAFF, "list")
    assert answer.kind == "send"
    assert answer.conversation_id.startswith(f"{SUPPORT_CHANNEL};messageid=")


async def test_check_one_link_updates_its_card(linked: Served) -> None:
    sent = await linked.command(STAFF, "check L1")
    first, update = sent
    assert "Checking L1" in first.text()
    assert update.kind == "update" and update.activity_id == first.response["id"]
    assert "Nmbrs accepts the token" in update.text()


async def test_check_all(linked: Served) -> None:
    sent = await linked.command(STAFF, "check all")
    assert "Checking all links" in sent[0].text()
    assert sent[-1].kind == "update" and "Checked 1 link(s)" in sent[-1].text()


async def test_history_and_label(linked: Served) -> None:
    said = _said(await linked.command(STAFF, "label L1 Acme *payroll* [x](http://evil)"))
    assert r"Acme \*payroll\* \[x\](http://evil)" in said
    said = _said(await linked.command(STAFF, "history L1"))
    assert "History of L1" in said and "command.label" in said and "Sam Support" in said
    # The support thread of the link is told about the label.
    await linked.settle()
    [note] = [c for c in linked.teams.sent("send") if "Label gewijzigd" in c.text()]
    assert note.conversation_id.startswith(f"{SUPPORT_CHANNEL};messageid=")


async def test_revoke_asks_and_the_confirm_button_revokes(linked: Served) -> None:
    [question] = await linked.command(STAFF, "revoke L1")
    buttons = question.card()["actions"]
    assert [b["data"]["tokendesk"] for b in buttons] == ["revoke.confirm", "revoke.cancel"]
    await linked.send(card_submit(STAFF, buttons[0]["data"], linked.teams.service_url, reply_to=question.response["id"],
                                  channel=SUPPORT_CHANNEL, thread=question.conversation_id.split("=")[-1]))
    [answer] = linked.teams.sent("update")
    assert answer.activity_id == question.response["id"] and "L1 revoked" in answer.text()
    async with linked.runtime.ctx.desk.sessions() as session:
        link = await session.scalar(select(Link))
    assert link is not None and link.state == "revoked" and link.token_ciphertext is None
    assert any("Ingetrokken" in c.text() for c in linked.teams.sent("send"))


async def test_cancel_leaves_the_link(linked: Served) -> None:
    [question] = await linked.command(STAFF, "revoke 1")
    cancel = question.card()["actions"][1]["data"]
    await linked.send(card_submit(STAFF, cancel, linked.teams.service_url, reply_to=question.response["id"],
                                  channel=SUPPORT_CHANNEL))
    [answer] = linked.teams.sent("update")
    assert "Cancelled: L1" in answer.text()


async def test_staff_can_use_the_commands_in_their_own_chat(linked: Served) -> None:
    said = _said(await linked.chat(STAFF, "list"))
    assert "L1" in said


@pytest.mark.parametrize("who", [COLLEAGUE, STAFF_ELSEWHERE, CUSTOMER], ids=["colleague", "other-tenant", "customer"])
@pytest.mark.parametrize("line", ["list", "check L1", "history L1", "label L1 x", "revoke L1", "check all"])
async def test_everyone_else_is_refused_and_audited(linked: Served, who: TeamsUser, line: str) -> None:
    said = _said(await linked.command(who, line))
    assert "That command is for the support team" in said or "Die opdracht is voor het supportteam" in said
    assert USERNAME not in said and "L1 " not in said
    [entry] = [a for a in await _audits(linked) if a.result == "refused"]
    assert (entry.platform, entry.actor, entry.team_id) == ("teams", who.aad, who.tenant)
    async with linked.runtime.ctx.desk.sessions() as session:
        link = await session.scalar(select(Link))
    assert link is not None and link.state == "active" and link.label is None


async def test_a_forged_confirm_button_is_refused(linked: Served) -> None:
    await linked.send(card_submit(COLLEAGUE, {"tokendesk": "revoke.confirm", "link": 1}, linked.teams.service_url,
                                  reply_to="1700000000001", channel=SUPPORT_CHANNEL))
    [answer] = linked.teams.sent("update")
    assert "Die opdracht is voor het supportteam" in answer.text()
    [entry] = [a for a in await _audits(linked) if a.result == "refused"]
    assert entry.action == "command.revoke.confirm"
    async with linked.runtime.ctx.desk.sessions() as session:
        assert (await session.scalar(select(Link))).state == "active"  # type: ignore[union-attr]


async def test_customers_see_only_their_own_links(linked: Served) -> None:
    mine = _said(await linked.chat(CUSTOMER, "status"))
    assert "L1" in mine and SUBDOMAIN in mine
    theirs = _said(await linked.chat(ENGLISH, "status"))
    assert not names(theirs, "L1") and "no links yet" in theirs
    connect = await linked.chat(ENGLISH, "connect")
    assert any(i.get("style", "").lower() == "password" for i in connect[0].card()["body"] if i["type"] == "Input.Text")


async def test_no_token_in_any_answer(linked: Served) -> None:
    for line in ("status", "list", "history L1", f"status {TOKEN}", f"label L1 {TOKEN}"):
        await linked.command(STAFF, line)
    assert TOKEN not in json.dumps([c.body for c in linked.teams.calls])


OPAQUE = "Zq8vR2mXk4Lp9Tn7Wc3Yb6Hd1Gf5Js0A"


async def test_a_token_in_a_channel_command_is_answered_in_the_private_chat(linked: Served) -> None:
    """Issue 12 finding 8: refused, the reset advice goes to the sender's 1:1 chat, nothing is kept."""
    await linked.chat(STAFF, "help")  # the 1:1 chat is known from here on
    in_channel = await linked.command(STAFF, f"label L1 {OPAQUE}")
    assert in_channel == []
    said = _said(linked.teams.sent(conversation=STAFF.chat)[-1:])
    assert "looks like an Nmbrs API token" in said and "reset it in Nmbrs" in said and OPAQUE not in said
    async with linked.runtime.ctx.desk.sessions() as session:
        assert (await session.scalar(select(Link))).label is None
    audits = await _audits(linked)
    assert audits[-1].result == "refused" and OPAQUE not in json.dumps([a.detail for a in audits])
    assert OPAQUE not in json.dumps([c.body for c in linked.teams.sent()])


async def test_a_token_in_a_command_without_a_known_private_chat_is_answered_without_repeating_it(
    linked: Served,
) -> None:
    said = _said(await linked.command(COLLEAGUE, f"status {OPAQUE}"))
    assert "lijkt op een Nmbrs API-token" in said and OPAQUE not in said
