"""Issue 12 finding 3 against a real `tokendesk serve`: an intake acknowledged to Slack and then
SIGKILLed mid-check is finished after a restart — answered once, the link stored, Slack's retry
still deduplicated, and the token nowhere in clear (logs, database file)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.slack.blocks import CONNECT_ACTION, CONNECT_VIEW, INPUT_ACTION, TOKEN_BLOCK, USERNAME_BLOCK
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import block_actions, event_callback, message_im, view_submission
from bot.standins.slack.server import SlackStandIn
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, TOKEN, USERNAME
from tests.ship.test_serve_process import (
    MODAL_TOKEN,
    MODAL_USERNAME,
    Served,
    add_accounts,
    environment,
    serving,
    stop,
    to_customer,
)

SLOW_S = 60.0


def killed_mid_check(served: Served, nmbrs: NmbrsStandIn) -> None:
    """Wait until the check is at Nmbrs (slow), then SIGKILL the process."""
    deadline = time.monotonic() + 10
    while nmbrs.in_flight == 0:
        assert time.monotonic() < deadline, "the check never reached Nmbrs:\n" + served.output()
        time.sleep(0.02)
    served.process.kill()
    served.process.wait(10)


def database_bytes(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(tmp_path.glob("tokendesk.db*")))


def rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "tokendesk.db") as db:
        return db.execute(sql).fetchall()


def slow_env(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn) -> dict[str, str]:
    add_accounts(nmbrs)
    nmbrs.latency_s = SLOW_S
    return environment(tmp_path, slack, nmbrs, TOKENDESK_NMBRS_READ_TIMEOUT_S=str(SLOW_S * 2),
                       TOKENDESK_INTAKE_CLAIM_S="2", TOKENDESK_LOG_LEVEL="DEBUG")


def test_a_dm_acknowledged_then_killed_is_answered_once_after_a_restart(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    env = slow_env(tmp_path, slack, nmbrs)
    request = event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}"))
    with serving(tmp_path, env, "first") as first:
        assert first.send(request).status_code == 200
        killed_mid_check(first, nmbrs)
    assert slack.calls("chat.postMessage") == [] and rows(tmp_path, "SELECT id FROM links") == []
    [(pending,)] = rows(tmp_path, "SELECT count(*) FROM pending_intakes")
    assert pending == 1
    assert TOKEN.encode() not in database_bytes(tmp_path)  # sealed, bound to its row

    nmbrs.latency_s = 0.0
    with serving(tmp_path, env, "second") as second:
        slack.wait_for("chat.postMessage", to_customer(CUSTOMER), timeout=20)
        assert second.send(request).status_code == 200  # Slack's retry after the restart
        time.sleep(1.5)
        assert stop(second) == 0
    [answer] = [c for c in slack.calls("chat.postMessage") if to_customer(CUSTOMER)(c)]
    assert "Gelukt" in str(answer.params)  # CUSTOMER speaks Dutch
    assert rows(tmp_path, "SELECT state, username FROM links") == [("active", USERNAME)]
    assert rows(tmp_path, "SELECT count(*) FROM pending_intakes") == [(0,)]
    assert TOKEN.encode() not in database_bytes(tmp_path)
    assert TOKEN not in first.output() + second.output()


def test_a_form_acknowledged_then_killed_is_updated_after_a_restart(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    env = slow_env(tmp_path, slack, nmbrs)
    with serving(tmp_path, env, "first") as first:
        assert first.send(block_actions(CONNECT_ACTION, ENGLISH, value="connect")).status_code == 200
        [opened] = slack.wait_for("views.open", timeout=10)
        view = opened.response["view"]
        submitted = first.send(view_submission(
            CONNECT_VIEW, {USERNAME_BLOCK: {INPUT_ACTION: MODAL_USERNAME}, TOKEN_BLOCK: {INPUT_ACTION: MODAL_TOKEN}},
            ENGLISH, private_metadata=view["private_metadata"], view_id=view["id"], view_hash=view["hash"],
        ))
        assert submitted.status_code == 200 and "Checking" in submitted.text
        killed_mid_check(first, nmbrs)
    assert slack.calls("views.update") == []
    assert MODAL_TOKEN.encode() not in database_bytes(tmp_path)

    nmbrs.latency_s = 0.0
    with serving(tmp_path, env, "second") as second:
        [update] = slack.wait_for("views.update", timeout=20)
        time.sleep(1.5)
        assert stop(second) == 0
    assert update.ok and update.params["view_id"] == view["id"]
    assert "Done" in str(update.params["view"])
    assert len(slack.calls("views.update")) == 1 and not [c for c in slack.calls("chat.postMessage")
                                                           if to_customer(ENGLISH)(c)]
    assert rows(tmp_path, "SELECT state, username FROM links") == [("active", MODAL_USERNAME)]
    assert rows(tmp_path, "SELECT count(*) FROM pending_intakes") == [(0,)]
    assert MODAL_TOKEN.encode() not in database_bytes(tmp_path)
    assert MODAL_TOKEN not in first.output() + second.output()
