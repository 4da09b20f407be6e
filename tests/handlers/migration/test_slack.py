"""The tracker on Slack, end to end: signed requests into the running app, the Slack stand-in receiving
the question with one button per candidate, a staff member's press recording the match (the SOAP link's
thread told, the revoke question asked, nothing revoked), a customer's press refused, and the commands."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.slack.command_blocks import REVOKE_CONFIRM
from handlers.migration import AskedSupport, on_rest_consent
from storage.models import Link, utcnow
from storage.rest_links import store_rest_link
from tests.handlers.commands.conftest import (  # noqa: F401 - fixtures
    CUSTOMER,
    STAFF,
    SUPPORT_CHANNEL,
    Harness,
    harness,
    nmbrs,
    slack,
)


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def _buttons(params: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in _blocks(params) if b["type"] == "actions" for e in b["elements"]]


async def _rest_consent(harness: Harness) -> int:
    """A REST consent for debtor 101 "Acme Holding", stored and matched in one transaction, as the
    consent callback does it; its ticket carried no migration target."""
    desk = harness.desk
    async with desk.sessions() as session, session.begin():
        stored = await store_rest_link(
            session, desk.cipher, debtor_id="00000000-0000-4000-8000-000000000101", debtor_number="101",
            debtor_name="Acme Holding", user_email="hr@acme.nl", rest_user_id="u1", scopes=("offline_access",),
            refresh_token="r" * 40, access_token="a" * 40, access_expires_at=utcnow() + timedelta(hours=1),
            companies=[], scope_digest=None, platform="slack", team_id="T1", user_id=CUSTOMER)
        found = await on_rest_consent(session, rest_link=stored.link, migration_link_id=None,
                                      migration_debtor_id=None, by=f"slack {CUSTOMER}")
    assert isinstance(found, AskedSupport)
    harness.ctx.outbox.kick()
    return stored.link.id


async def test_support_picks_the_candidate_and_is_asked_about_the_soap_token(harness: Harness) -> None:
    acme = harness.links["acme"]
    rest_id = await _rest_consent(harness)
    [question] = await harness.slack.wait_for_async("chat.postMessage", lambda c: bool(_buttons(c.params)))
    assert question.params["channel"] == SUPPORT_CHANNEL and not question.params.get("thread_ts")
    buttons = _buttons(question.params)
    # Every seeded SOAP link reaches a debtor numbered 101: the one whose name matches too comes first.
    assert [b["value"] for b in buttons] == [f"{acme}:1:{rest_id}", f"{harness.links['globex']}:1:{rest_id}",
                                             f"{harness.links['initech']}:1:{rest_id}", str(rest_id)]
    assert [b["action_id"] for b in buttons][-1] == "nmbrs_migration_none_3"

    refused = await harness.click(buttons[0]["action_id"], buttons[0]["value"], user=CUSTOMER)
    [answer] = await harness.responses(refused)
    assert answer["replace_original"] is False and "for the support team" in answer["text"]  # the question stays

    pressed = await harness.click(buttons[0]["action_id"], buttons[0]["value"], user=STAFF)
    [answer] = await harness.responses(pressed)
    assert answer["replace_original"] is True and f"L{rest_id} covers" in answer["text"]
    moved = await harness.slack.wait_for_async("chat.postMessage",
                                               lambda c: "now goes through REST link" in json.dumps(c.params))
    assert moved[-1].params.get("thread_ts")  # in the SOAP link's thread
    [done] = await harness.slack.wait_for_async("chat.postMessage", lambda c: "Nothing left to move" in json.dumps(c.params))
    assert done.params.get("thread_ts") and done.params.get("reply_broadcast") in (True, "true", "True")
    [revoke] = _buttons(done.params)
    assert revoke["value"] == str(acme) and revoke["style"] == "danger"

    asked = await harness.click(revoke["action_id"], revoke["value"], user=STAFF)
    [confirm] = await harness.responses(asked)
    assert [b["action_id"] for b in _buttons(confirm)][0] == REVOKE_CONFIRM
    async with harness.desk.sessions() as session:
        link = await session.get(Link, acme)
        assert link is not None and link.holds_token and link.state == "active"  # asked, not revoked

    again = await harness.click(buttons[1]["action_id"], buttons[1]["value"], user=STAFF)
    assert "covers" in (await harness.responses(again))[0]["text"]  # globex's 101 is another debtor: allowed
    actions = [(a.action, a.result) for a in await harness.audits()]
    assert ("migration.match", "refused") in actions and actions.count(("migration.match", "ok")) == 2


async def test_the_commands_show_the_move(harness: Harness) -> None:
    overview = await harness.ack("migration", user=STAFF)
    text = json.dumps(overview, ensure_ascii=False)
    assert "3* debtor(s) to move" in text and "No switch-off date set" in text
    checklist = await harness.ack(f"migration L{harness.links['acme']}", user=STAFF)
    assert "`101` acme holding · `to move`" in json.dumps(checklist, ensure_ascii=False)
    marked = await harness.ack(f"migration not-needed L{harness.links['acme']} 101", user=STAFF)
    assert "marked not needed" in marked["text"]
    assert "That command is for the support team." in (await harness.ack("migration", user=CUSTOMER))["text"]
    later = await harness.ack("migration invite all", user=STAFF)
    assert "needs REST consent to be configured" in later["text"]  # REST is off here: nothing sent
