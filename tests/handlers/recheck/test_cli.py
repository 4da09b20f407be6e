"""`tokendesk recheck [--json]` as an operator runs it: a real process, stand-ins, a temporary database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.recheck import recheck_now
from bot.config import load_settings
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN
from storage.lease import DatabaseLease
from storage.models import utcnow
from tests.handlers.recheck.conftest import Desk, token_for, user_for

ROOT = Path(__file__).resolve().parents[3]


def environment(desk: Desk, database_url: str, key_line: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    env.update({
        "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TOKENDESK_KEYS": key_line,
        "TOKENDESK_NMBRS_URL": desk.nmbrs.base_url, "TOKENDESK_CONFIRM_DELAY_S": "0",
        "TOKENDESK_NMBRS_RETRIES": "0", "TOKENDESK_LANGUAGE": "en", "TOKENDESK_LOG_LEVEL": "DEBUG",
    })
    env.update(extra)
    return env


def tokendesk(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


async def seed(desk: Desk) -> None:
    for i in (1, 2, 3):
        desk.account(i)
        desk.time.now = utcnow()
        await desk.link(i)
    desk.nmbrs.remove_account(user_for(2))


async def test_recheck_json_without_slack_runs_to_the_end_and_keeps_the_alerts(
        desk: Desk, sqlite_url: str, key_line: str, tmp_path: Path) -> None:
    await seed(desk)
    done = tokendesk(["recheck", "--json"], environment(desk, sqlite_url, key_line), tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["checked"] == 3 and summary["confirmations"] == 1 and summary["failed"] == 0
    assert summary["counts"]["active"] == 2 and summary["counts"]["broken"] == 1
    assert [c["transition"] for c in summary["changes"]] == ["broken"]
    assert summary["broken"][0]["username"] == user_for(2) and summary["trigger"] == "cli"
    assert summary["alerts"] == {"delivered": 0, "waiting": 3, "slack": False, "teams": False}  # broken, customer_broken, digest
    assert desk.nmbrs.calls["DebtorService.Environment_Get"] == 4
    for i in (1, 2, 3):
        assert token_for(i) not in done.stdout + done.stderr

    settings = load_settings(database_url=sqlite_url, keys=key_line, nmbrs_url=desk.nmbrs.base_url,
                             confirm_delay_s=0, nmbrs_retries=0)
    text = io.StringIO()
    assert await recheck_now(settings, as_json=False, out=text) == 0
    assert "3 links checked, 0 could not be checked" in text.getvalue()
    assert "broken (1):\n    L2      env2" in text.getvalue()
    assert "queued but not delivered: neither Slack" in text.getvalue()


async def test_recheck_sends_the_alerts_serve_would(desk: Desk, sqlite_url: str, key_line: str, tmp_path: Path) -> None:
    await seed(desk)
    with SlackStandIn() as slack:
        slack.add_user("U1", locale="en-US")
        env = environment(desk, sqlite_url, key_line, SLACK_BOT_TOKEN=BOT_TOKEN,
                          TOKENDESK_SLACK_API_URL=slack.base_url, TOKENDESK_SUPPORT_CHANNEL="C0SUPPORT")
        done = tokendesk(["recheck", "--json"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["alerts"] == {"delivered": 3, "waiting": 0, "slack": True, "teams": False}
        posts = [c for c in slack.calls("chat.postMessage") if c.ok]
        support = [c for c in posts if c.params["channel"] == "C0SUPPORT"]
        threaded = [c for c in support if c.params.get("thread_ts")]
        assert len(threaded) == 1 and threaded[0].params.get("reply_broadcast") in (True, "true", "1")
        assert len(slack.calls("conversations.open")) == 1  # the customer's direct message
        [dm] = [c.params for c in posts if c.params["channel"] != "C0SUPPORT"]
        shown = json.dumps(dm, ensure_ascii=False)
        assert "env2" in shown and token_for(2)[-4:] in shown and "API Token" in shown  # which link, what to do
        assert '"type": "button"' in shown  # the Connect button
        assert len(posts) == 4  # thread parent, the break in it, the DM, the digest
        for call in slack.calls():
            assert all(token_for(i) not in json.dumps(call.params) for i in (1, 2, 3))


async def test_recheck_refuses_while_another_process_runs_it(desk: Desk, sqlite_url: str, key_line: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(database_url=sqlite_url, keys=key_line, nmbrs_url=desk.nmbrs.base_url)
    await DatabaseLease(desk.sessions, name="recheck", holder="other-host:42:abc").acquire()
    out = io.StringIO()
    assert await recheck_now(settings, as_json=True, out=out) == 1
    assert out.getvalue() == ""
    assert "a check is running already in other-host:42:abc" in capsys.readouterr().err
