"""Customers in their 1:1 chat with the bot: explanations, pasted credentials, two parts, the form card
(masked token input, replaced by "checking…" and the outcome), languages from the Teams locale, the
rate limit, and credentials posted in a channel."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import select, text

from bot.standins.teams.payloads import OTHER_TENANT, SUPPORT_CHANNEL, card_submit, personal_message
from bot.standins.teams.server import Call
from storage.models import Link, PendingIntake, SupportThread
from tests.bot.teams.conftest import CUSTOMER, ENGLISH, OTHER_TOKEN, STAFF, SUBDOMAIN, TOKEN, USERNAME, Served


def _said(calls: list[Call]) -> str:
    return "\n".join(call.text() for call in calls)


async def _links(app: Served) -> list[Link]:
    async with app.runtime.ctx.desk.sessions() as session:
        return list((await session.scalars(select(Link))).all())


async def test_a_message_without_credentials_explains_in_the_customers_language(app: Served) -> None:
    [dutch] = await app.chat(CUSTOMER, "hallo")
    assert "Koppel je Nmbrs-omgeving" in dutch.text()
    [english] = await app.chat(ENGLISH, "hi there")
    assert "Connect your Nmbrs environment" in english.text()
    # The form is one click away, and its token input is masked.
    [show] = english.card()["actions"]
    assert show["type"] == "Action.ShowCard"
    inputs = {item["id"]: item for item in show["card"]["body"] if item["type"] == "Input.Text"}
    assert inputs["token"]["style"].lower() == "password"
    assert inputs["username"]["style"].lower() == "email"


async def test_pasted_credentials_connect_and_open_a_support_thread(app: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await app.install()
    [answer] = await app.chat(CUSTOMER, f"Hoi, mijn login is {USERNAME} en token: {TOKEN}")
    said = answer.text()
    assert SUBDOMAIN in said and f"…{TOKEN[-4:]}" in said
    assert "Bericht verwijderen" in said  # the hint to delete the pasted token
    [link] = await _links(app)
    assert (link.platform, link.team_id, link.user_id, link.state) == ("teams", OTHER_TENANT, CUSTOMER.aad, "active")
    # Support hears in a new thread of the Teams support channel, with outside text escaped.
    [opened] = app.teams.sent("create_conversation")
    assert opened.body["channelData"]["channel"]["id"] == SUPPORT_CHANNEL
    assert opened.body["isGroup"] is True
    assert r"\*\*Bold\*\* \[click\](http://evil) & Zonen" in opened.text()
    assert "Klant de Vries" in opened.text()  # who sent it, by name
    async with app.runtime.ctx.desk.sessions() as session:
        thread = await session.scalar(select(SupportThread).where(SupportThread.platform == "teams"))
    assert thread is not None and thread.platform == "teams"
    assert thread.thread_id == f"{SUPPORT_CHANNEL};messageid={opened.response['activityId']}"
    # The token never went anywhere but Nmbrs: not to Teams, not to the log.
    assert TOKEN not in json.dumps([c.body for c in app.teams.calls])
    assert TOKEN not in caplog.text


async def test_credentials_in_two_messages(app: Served) -> None:
    [ask] = await app.chat(CUSTOMER, USERNAME)
    assert "Nu nog je API-token" in ask.text()
    assert await _links(app) == []
    [done] = await app.chat(CUSTOMER, TOKEN)
    assert SUBDOMAIN in done.text()
    [link] = await _links(app)
    assert link.username == USERNAME


async def test_rich_text_with_a_code_span(app: Served) -> None:
    [answer] = await app.chat(ENGLISH, f"<p>login {USERNAME}</p><p>token <code>{TOKEN}</code></p>")
    assert SUBDOMAIN in answer.text()
    assert len(await _links(app)) == 1


async def test_the_form_card_is_replaced_by_checking_and_the_outcome(app: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    [welcome] = await app.chat(ENGLISH, "hi")
    card_id = welcome.response["id"]
    submit = card_submit(ENGLISH, {"tokendesk": "connect", "lang": "en", "username": f" {USERNAME} ", "token": TOKEN},
                         app.teams.service_url, reply_to=card_id)
    await app.send(submit)
    updates = app.teams.sent("update", conversation=ENGLISH.chat)
    assert [u.activity_id for u in updates] == [card_id, card_id]
    checking, outcome = updates
    assert "Checking your details with Nmbrs" in checking.text()
    assert not [i for i in checking.card()["body"] if i["type"] == "Input.Text"]  # the typed token is gone
    assert SUBDOMAIN in outcome.text() and "Input.Text" not in json.dumps(outcome.card())
    [link] = await _links(app)
    assert link.user_id == ENGLISH.aad
    assert TOKEN not in json.dumps([c.body for c in app.teams.calls])
    assert TOKEN not in caplog.text


async def _drop_links(app: Served) -> None:
    """Storing checked credentials will fail for real: the table is gone."""
    async with app.runtime.ctx.desk.sessions() as session, session.begin():
        await session.execute(text("DROP TABLE links"))


def _failure_line(caplog: pytest.LogCaptureFixture) -> str:
    [line] = [r for r in caplog.records if r.name == "bot.teams.listeners" and r.levelno == logging.ERROR]
    return line.getMessage()


async def test_a_failure_on_our_side_answers_the_chat_once_with_the_reference_in_the_log(
    app: Served, caplog: pytest.LogCaptureFixture
) -> None:
    await _drop_links(app)
    with caplog.at_level(logging.ERROR):
        [answer] = await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    said = answer.text()
    assert "Something went wrong on our side" in said and "try again" in said
    assert "Delete message" in said  # the token is still in their message
    [reference] = re.findall(r"Reference: ([0-9a-f]{12})\.", said)
    # Pasted credentials run as a pending intake (issue 12 finding 3): its worker answers with the reference.
    [line] = [r for r in caplog.records if r.name == "handlers.pending_intakes" and r.levelno == logging.ERROR]
    assert re.fullmatch(rf"pending intake \d+ failed \(reference {reference}\)", line.getMessage())
    assert "no such table: links" in caplog.text and TOKEN not in caplog.text


async def test_pasted_credentials_are_on_record_before_teams_hears_back(app: Served) -> None:
    """Issue 12 finding 3 for Teams: with Nmbrs slow, the activity's answer has gone out and the
    intake is a pending row (token sealed) that any worker can finish; answered, the row is gone."""
    app.nmbrs.latency_s = 0.5
    response = await app.post(personal_message(ENGLISH, f"{USERNAME} {TOKEN}", app.teams.service_url))
    assert response.status_code == 200
    async with app.runtime.ctx.desk.sessions() as session:
        [row] = (await session.scalars(select(PendingIntake))).all()
    assert (row.platform, row.user_id, row.channel_id) == ("teams", ENGLISH.aad, ENGLISH.chat)
    assert row.response_target == app.teams.service_url and TOKEN.encode() not in row.token_ciphertext
    await app.settle()
    [answer] = app.teams.sent(conversation=ENGLISH.chat)
    assert "Done" in answer.text()
    async with app.runtime.ctx.desk.sessions() as session:
        assert (await session.scalars(select(PendingIntake))).all() == []
        assert len((await session.scalars(select(Link))).all()) == 1


async def test_a_failure_on_our_side_replaces_the_forms_checking_card(
    app: Served, caplog: pytest.LogCaptureFixture
) -> None:
    [welcome] = await app.chat(ENGLISH, "hi")
    card_id = welcome.response["id"]
    await _drop_links(app)
    submit = card_submit(ENGLISH, {"tokendesk": "connect", "lang": "en", "username": USERNAME, "token": TOKEN},
                         app.teams.service_url, reply_to=card_id)
    with caplog.at_level(logging.ERROR):
        await app.send(submit)
    checking, failed = app.teams.sent("update", conversation=ENGLISH.chat)
    assert failed.activity_id == card_id
    assert "Something went wrong on our side" in failed.text()
    [reference] = re.findall(r"Reference: ([0-9a-f]{12})\.", failed.text())
    assert _failure_line(caplog) == f"teams message failed (reference {reference})"
    assert TOKEN not in caplog.text and TOKEN not in json.dumps([c.body for c in app.teams.calls])


async def test_the_form_answers_shape_errors_under_the_fields(app: Served) -> None:
    submit = card_submit(CUSTOMER, {"tokendesk": "connect", "lang": "nl", "username": "not-an-email", "token": "abc def"},
                         app.teams.service_url, reply_to="1700000000000")
    await app.send(submit)
    [update] = app.teams.sent("update", conversation=CUSTOMER.chat)
    body = update.card()["body"]
    errors = [item["text"] for item in body if item.get("color") == "Attention"]
    assert len(errors) == 2
    assert app.nmbrs.calls["DebtorService.Environment_Get"] == 0
    assert await _links(app) == []


async def test_a_rejected_token_and_the_rate_limit(app: Served) -> None:
    for attempt in range(5):
        [answer] = await app.chat(CUSTOMER, f"{USERNAME} {OTHER_TOKEN[:-2]}{attempt:02d}")
        assert answer.card()["actions"], "a refusal offers the form again"
    [limited] = await app.chat(CUSTOMER, f"{USERNAME} {OTHER_TOKEN}")
    assert "Te veel pogingen" in limited.text()
    assert app.nmbrs.calls["DebtorService.Environment_Get"] == 5
    assert await _links(app) == []


async def test_credentials_in_a_channel_are_never_used(app: Served) -> None:
    sent = await app.command(CUSTOMER, f"{USERNAME} {TOKEN}", channel="19:general@thread.tacv2")
    assert "zichtbaar voor iedereen" in _said(sent)
    assert all("Input.Text" not in json.dumps(c.card()) for c in sent)  # no form in a shared channel
    assert await _links(app) == []
    assert app.nmbrs.calls["DebtorService.Environment_Get"] == 0


async def test_installing_the_app_for_oneself_says_hello(app: Served) -> None:
    from bot.standins.teams.payloads import personal_install

    await app.send(personal_install(STAFF, app.teams.service_url))
    [hello] = app.teams.sent(conversation=STAFF.chat)
    assert "Connect your Nmbrs environment" in hello.text()
