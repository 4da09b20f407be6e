"""Card builders and activity parsing as pure functions: escaping for Teams markdown, the masked token
input, every command outcome rendered, and what a Teams message text means."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.standins.teams.payloads import TeamsUser, channel_message
from bot.standins.teams.server import _strings
from bot.teams import cards, command_cards, support_cards
from bot.teams.inbound import command_text, inbound, plain_text
from handlers import commands as c
from handlers.model import Alert, AlertKind, LinkCard
from handlers.text import conversation, replies

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
CARD = LinkCard(id=7, username="hr@acme.nl", environment="acme", state="active", token_last4="cdef",
                label="**VIP** [x](http://evil)", platform="teams", team_id="t", user_id="u1", debtor_count=1,
                company_count=1, debtor_names=("<at>Everyone</at>",), company_names=("_Zonen_ & Co",))


def _json(card: object) -> str:
    """Every string in the card, as a person would read them (not JSON-escaped)."""
    return "\n".join(_strings(cards.card_json(card)))  # type: ignore[arg-type]


@pytest.mark.parametrize("raw, shown", [
    ("**bold**", r"\*\*bold\*\*"),
    ("[click](http://evil)", r"\[click\](http://evil)"),
    ("<at>Everyone</at>", r"\<at\>Everyone\</at\>"),
    ("- list\n1. one\n# heading", "\\- list\n1\\. one\n\\# heading"),
    ("a-b.c (d) 12.5", "a-b.c (d) 12.5"),
    ("back\\slash `code` ~strike~ _u_", r"back\\slash \`code\` \~strike\~ \_u\_"),
])
def test_escape(raw: str, shown: str) -> None:
    assert cards.escape(raw) == shown


def test_the_form_masks_the_token_and_says_where_to_find_it() -> None:
    form = cards.card_json(cards.form("en", conversation.form_intro("en"), username="a@b.nl"))
    inputs = {i["id"]: i for i in form["body"] if i["type"] == "Input.Text"}
    assert inputs["token"]["style"].lower() == "password" and "value" not in inputs["token"]
    assert inputs["username"]["value"] == "a@b.nl"
    assert form["actions"][0]["data"] == {"tokendesk": "connect", "lang": "en"}
    assert "API Token" in json.dumps(form)
    assert form["version"] == "1.5"


def test_submitted_values_only_strings() -> None:
    assert cards.submitted({"username": "a@b.nl", "token": 12}) == ("a@b.nl", "")


def _outcomes() -> list[c.Outcome]:
    status = c.LinkStatus(card=CARD, created_at=NOW, state_changed_at=NOW, last_checked_at=NOW, last_outcome="valid",
                          last_reason=None, last_fault_code=None)
    run = c.RunInfo(started_at=NOW, finished_at=NOW, status="finished", trigger="schedule", counts={})
    spec = c.COMMANDS["label"]

    class Report:
        link, outcome, transition, reason, fault_code = CARD, "rejected", "confirming", "credentials", 1001

    class Summary:
        run_id, started_at, finished_at, checked, failed = 1, NOW, NOW, 3, 1
        counts = {"active": 2, "broken": 1}
        changes = [{"link": "L7", "username": "hr@acme.nl", "environment": "acme", "transition": "broken",
                    "reason": "[x](y)"}]

    person = None
    return [
        c.Help(commands=c.allowed_commands(staff=True), staff=True), c.Help(commands=c.allowed_commands(staff=False), staff=False),
        c.Unknown(word="**x**", commands=c.allowed_commands(staff=False)),
        c.Usage(spec=spec, problem="bad_link", given="[x]"), c.Usage(spec=spec, problem="label_secret"),
        c.Refused(commands=c.allowed_commands(staff=False)), c.NoLink(9), c.Unavailable("recheck"),
        c.StatusResult(query="acme", links=(status,), more=2, staff=True),
        c.StatusResult(query=None, links=(), more=0, staff=False),
        c.LinkList(state=None, links=(CARD,), more=40, counts={"active": 1}, last_run=run),
        c.NotCheckable(CARD), c.CheckQueued(card=CARD, person=person), c.CheckAllQueued(total=3, person=person),  # type: ignore[arg-type]
        c.Checked(Report()), c.CheckedAll(Summary()), c.Busy(),  # type: ignore[arg-type]
        c.History(card=CARD, checks=(c.CheckRow(NOW, "manual", "valid", None, None, 120),), more_checks=3,
                  audits=(c.AuditRow(NOW, "teams", "u1", "command.label", "ok"),), more_audits=0),
        c.Labelled(card=CARD, previous="old"), c.RevokeAsk(CARD), c.Revoked(CARD), c.AlreadyRevoked(CARD),
        c.RevokeCancelled(7), c.OpenConnect(),
    ]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_outcome_renders_with_outside_text_escaped(lang: str) -> None:
    for outcome in _outcomes():
        shown = _json(command_cards.render(outcome, lang, names={"u1": "Sam *Support*"}))
        assert "**VIP** [x]" not in shown and "<at>Everyone" not in shown, type(outcome).__name__
        assert len(shown) < 28_000


def test_the_revoke_question_has_confirm_and_cancel() -> None:
    card = cards.card_json(command_cards.render(c.RevokeAsk(CARD), "en"))
    assert [(a["title"], a["data"]) for a in card["actions"]] == [
        ("Revoke L7", {"tokendesk": "revoke.confirm", "link": 7}), ("Cancel", {"tokendesk": "revoke.cancel", "link": 7})]


def test_times_are_shown_in_the_readers_time_zone() -> None:
    shown = _json(command_cards.render(c.History(card=CARD, checks=(c.CheckRow(NOW, "manual", "valid", None, None, 1),),
                                                 more_checks=0, audits=(), more_audits=0), "en"))
    assert "{{DATE(2026-11-24T09:30:00Z, SHORT)}} {{TIME(2026-11-24T09:30:00Z)}}" in shown


def test_support_cards_escape_and_name_people() -> None:
    parent = _json(support_cards.parent(CARD, "en", by="u1", names={"u1": "Klant [de] Vries"}))
    assert r"Klant \[de\] Vries" in parent and r"\*\*VIP\*\*" in parent
    update = _json(support_cards.update(Alert(AlertKind.BROKEN, CARD, {"category": "credentials", "code": 1001}), "nl"))
    assert "Werkt niet meer" in update and "1001" in update
    scope = _json(support_cards.update(Alert(AlertKind.SCOPE_CHANGED, CARD, {"companies_added": ["*New* B.V."]}), "en"))
    assert r"\*New\* B.V." in scope
    stuck = _json(support_cards.stuck({"platform": "teams", "user_id": "u9", "attempts": 3, "username": "_x_@y.nl"}, "en"))
    assert "teams u9" in stuck and r"\_x\_@y.nl" in stuck
    digest = _json(support_cards.digest({"run_id": 4, "checked": 3, "changes": [
        {"link": "L7", "username": "hr@acme.nl", "environment": "acme", "transition": "broken"}], "changes_total": 5}, "en"))
    assert "Nightly check" in digest and "+4" in digest


def test_soap_switched_off_card_says_it_once_for_the_desk() -> None:
    off = Alert(AlertKind.SOAP_SWITCHED_OFF, None, {"run_id": 3, "checks": 40, "signs": 38, "migration": None})
    shown = _json(support_cards.soap(off, "en"))
    assert "SOAP looks switched off" in shown and "38 of 40 SOAP checks" in shown and "Attention" in shown
    assert "the migration tracker is not set up" in shown and support_cards.summary(off, "nl") == "SOAP lijkt uitgezet"
    back = _json(support_cards.soap(Alert(AlertKind.SOAP_ANSWERING, None, {"checks": 40, "signs": 1}), "nl"))
    assert "SOAP antwoordt weer" in back and "Attention" not in back


@pytest.mark.parametrize("text, plain", [
    ("<at>tokendesk</at> list broken", "list broken"),
    ("<p>login a@b.nl</p><p>token <code>abc123def456</code></p>", "login a@b.nl\ntoken `abc123def456`"),
    ("5 &lt; 6 <b>bold</b>", "5 < 6 bold"),
    ("plain 5 < 6", "plain 5 < 6"),
])
def test_plain_text(text: str, plain: str) -> None:
    assert plain_text(text) == plain


@pytest.mark.parametrize("text, line", [
    ("list broken", "list broken"), ("/nmbrs check L1", "check L1"), ("nmbrs", ""), ("Status", "Status"),
    ("hr@acme.nl", None), ("hello there", None), ("nmbrsx", None),
])
def test_command_text(text: str, line: str | None) -> None:
    assert command_text(text) == line


def test_a_channel_message_answers_in_its_thread() -> None:
    user = TeamsUser("u", "U")
    item = inbound(channel_message(user, "list", "http://x/teams/"))
    assert item.scope == "channel" and item.text == "list"
    assert item.thread_id == item.conversation_id and ";messageid=" in item.thread_id
