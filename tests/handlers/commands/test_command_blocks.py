"""The /nmbrs Block Kit builders: Slack's limits hold and outside text stays inert, whatever the data."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from bot.slack.command_blocks import home_blocks, render
from handlers.commands import (
    COMMANDS,
    AlertRow,
    AuditRow,
    CheckRow,
    History,
    LinkList,
    LinkStatus,
    StatusResult,
    SupportSummary,
    Unknown,
    Usage,
)
from handlers.model import LinkCard

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
NASTY = "<!channel> & <@U0BOSS> <https://evil.example|click>"


def card(i: int) -> LinkCard:
    return LinkCard(
        id=i, username=(NASTY + "x" * 254)[:254], environment=NASTY[:100], state="broken", token_last4="a2b>",
        label=(NASTY * 5)[:200], platform="slack", team_id="T0OTHER", user_id="U0CUST", debtor_count=3,
        company_count=40, debtor_names=(NASTY, "Acme", "B&B"), company_names=(NASTY,) * 10,
    )


def texts(message: dict[str, Any]) -> list[str]:
    """Every mrkdwn string Slack will parse."""
    found = [message["text"]]
    for block in message["blocks"]:
        if "text" in block and block["text"]["type"] == "mrkdwn":
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def check_limits(message: dict[str, Any], *, max_blocks: int = 50) -> None:
    assert len(message["blocks"]) <= max_blocks
    for block in message["blocks"]:
        assert len(block.get("fields", [])) <= 10
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    for text in texts(message):
        assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https://evil" not in text


def test_a_long_list_stays_within_slack_limits() -> None:
    message = render(LinkList(state=None, links=tuple(card(i) for i in range(30)), more=70,
                              counts={"broken": 100}, last_run=None), "en")
    check_limits(message)
    assert "and 70 more" in json.dumps(message)


def test_status_details_escape_every_field() -> None:
    status = LinkStatus(card=card(7), created_at=NOW, state_changed_at=NOW, last_checked_at=NOW,
                        last_outcome="rejected", last_reason="credentials", last_fault_code=1001)
    message = render(StatusResult(query=NASTY, links=(status,) * 5, more=3, staff=True), "nl", home_team="T0TOKDESK")
    check_limits(message)
    shown = json.dumps(message, ensure_ascii=False)
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in shown
    assert "…a2b&gt;" in shown and "<@U0CUST> (T0OTHER)" in shown  # sender from another organisation
    assert "Bedrijven*\\n40" in shown  # many companies: only the count
    assert "3: &lt;!channel&gt;" in shown  # few debtors: named
    assert "<!date^" in shown and "foutcode 1001" in shown


def test_history_and_home_stay_within_limits() -> None:
    rows = tuple(CheckRow(checked_at=NOW, trigger="recheck", outcome="rejected", reason=NASTY, fault_code=1001,
                          latency_ms=120) for _ in range(15))
    audits = tuple(AuditRow(at=NOW, platform="slack", actor="U0STAFF", action="command.label", result="ok")
                   for _ in range(10))
    check_limits(render(History(card=card(3), checks=rows, more_checks=40, audits=audits, more_audits=2), "en"))
    summary = SupportSummary(counts={"active": 4, "broken": 1}, last_run=None, audits=audits[:5],
                             alerts=tuple(AlertRow(kind="broken", link_id=3, created_at=NOW, sent_at=None)
                                          for _ in range(5)))
    blocks = home_blocks(summary, "en")
    check_limits({"text": "", "blocks": blocks}, max_blocks=100)
    assert "not delivered yet" in json.dumps(blocks)


def test_what_people_typed_is_escaped_in_errors() -> None:
    unknown = render(Unknown(word="<!here>", commands=tuple(COMMANDS.values())), "en")
    usage = render(Usage(spec=COMMANDS["list"], problem="bad_state", given="<!here>"), "nl")
    for message in (unknown, usage):
        assert all("<!here>" not in text for text in texts(message))
    assert "is geen toestand" in usage["text"]
