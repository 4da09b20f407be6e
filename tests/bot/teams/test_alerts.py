"""Alerts on Teams: the link's thread in the support channel (from the conversation reference captured
at installation), and a nightly run that breaks a Teams customer's link: the thread, the customer's
1:1 chat (in their own language) and, with Slack configured too, Slack's support channel."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.recheck import recheck_now
from bot.config import Settings
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.server import SlackStandIn
from bot.standins.teams.payloads import SUPPORT_CHANNEL, TEAM_ID
from bot.teams.app import TeamsEndpoints
from storage.models import AlertRecord, TeamsReference
from tests.bot.teams.conftest import ENGLISH, TOKEN, USERNAME, Served, teams_settings


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path) -> Settings:
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    # A definitive failure is confirmed within the run (no five-minute wait in a test).
    return teams_settings(tmp_path, slack, nmbrs, confirm_delay_s=0, nmbrs_retries=0)


async def test_installation_captures_the_team_reference(app: Served) -> None:
    await app.install()
    async with app.runtime.ctx.desk.sessions() as session:
        rows = {row.key: row for row in (await session.scalars(select(TeamsReference))).all()}
    assert rows[f"team:{TEAM_ID}"].service_url == app.teams.service_url


async def test_a_nightly_run_alerts_the_thread_the_customer_and_slack(app: Served) -> None:
    await app.install()
    await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    [opened] = app.teams.sent("create_conversation")
    thread = opened.response["id"]
    app.teams.reset()
    app.slack.reset()

    app.nmbrs.account_fault(USERNAME, 1001)
    recheck = app.runtime.ctx.recheck
    assert recheck is not None
    summary = await recheck.run(trigger="schedule")  # type: ignore[attr-defined]
    assert summary.counts.get("broken") == 1
    await app.settle()

    # Support: the link's thread (not a new one), and the digest as a post of its own.
    [broken] = [c for c in app.teams.sent("send") if c.conversation_id == thread]
    assert "Werkt niet meer" in broken.text() and "L1" in broken.text()
    assert "Wat de klant moet doen" in broken.text()  # support relays it, as on Slack
    [digest] = app.teams.sent("create_conversation")
    assert digest.body["channelData"]["channel"]["id"] == SUPPORT_CHANNEL and "Nachtelijke controle" in digest.text()
    # The customer, in their 1:1 chat and their own language (en-GB), with the form at hand.
    [told] = app.teams.sent(conversation=ENGLISH.chat)
    assert "stopped working" in told.text() and f"…{TOKEN[-4:]}" in told.text()
    assert told.card()["actions"][0]["type"] == "Action.ShowCard"
    # Slack's support channel hears the same (an operator configured both); the customer is not told there.
    posts = [c.params for c in app.slack.calls("chat.postMessage") if c.ok]
    assert posts and all(p["channel"] == "C0SUPPORT" for p in posts)
    assert not app.slack.calls("conversations.open")
    assert TOKEN not in str([c.body for c in app.teams.calls])


async def test_alerts_wait_until_the_app_is_installed(app: Served) -> None:
    await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    assert app.teams.sent("create_conversation") == []
    async with app.runtime.ctx.desk.sessions() as session:
        waiting = (await session.scalars(select(AlertRecord).where(AlertRecord.sent_at.is_(None)))).all()
    assert [a.kind for a in waiting] == ["activated"]
    assert "not installed" in (waiting[0].last_error or "")
    await app.install()
    await app.runtime.ctx.outbox.drain()
    [opened] = app.teams.sent("create_conversation")
    assert "L1" in opened.text()


async def test_a_failing_connector_keeps_the_alert(app: Served) -> None:
    await app.install()
    app.teams.fail_next("create_conversation", 503)
    await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    assert app.teams.sent("create_conversation") == []
    await app.runtime.ctx.outbox.drain()
    assert len(app.teams.sent("create_conversation")) == 1



async def test_a_platform_that_failed_does_not_make_the_other_post_again(app: Served) -> None:
    """Slack delivered the activation at once; Teams only after its installation: Slack posts it once."""
    await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    await app.runtime.ctx.outbox.drain()
    await app.install()
    await app.runtime.ctx.outbox.drain()
    assert len(app.teams.sent("create_conversation")) == 1
    posts = [c.params for c in app.slack.calls("chat.postMessage") if c.ok]
    assert len(posts) == 1  # the thread's parent message, not once per attempt


async def test_tokendesk_recheck_delivers_on_teams_too(app: Served, settings: Settings) -> None:
    """`tokendesk recheck` run beside (or instead of) serve sends the same Teams alerts."""
    await app.install()
    await app.chat(ENGLISH, f"{USERNAME} {TOKEN}")
    [opened] = app.teams.sent("create_conversation")
    thread = opened.response["id"]
    app.teams.reset()
    app.nmbrs.account_fault(USERNAME, 1001)

    out = io.StringIO()
    endpoints = TeamsEndpoints(cloud=app.teams.cloud(), token=app.teams.bot_token)
    assert await recheck_now(settings, as_json=True, out=out, teams_endpoints=endpoints) == 0
    summary = json.loads(out.getvalue())
    assert summary["counts"]["broken"] == 1
    assert summary["alerts"]["teams"] is True and summary["alerts"]["waiting"] == 0
    [broken] = [c for c in app.teams.sent("send") if c.conversation_id == thread]
    assert "Werkt niet meer" in broken.text()
    [told] = app.teams.sent(conversation=ENGLISH.chat)
    assert "stopped working" in told.text()
    [digest] = app.teams.sent("create_conversation")
    assert digest.body["channelData"]["channel"]["id"] == SUPPORT_CHANNEL
    assert TOKEN not in out.getvalue()
