"""Every /nmbrs text reaches the command, whatever words it holds (issue 12, finding 7).

Bolt decided a form body was an interactive payload when the word `payload` appeared anywhere in
it, so `/nmbrs status payload` was answered 404 "unhandled request"."""

from __future__ import annotations

import json

import pytest

from tests.handlers.commands.conftest import STAFF, Harness

# Words Slack or bolt give a meaning to somewhere in a request body.
WORDS = ["payload", "type", "view", "event", "challenge", "token", "ssl_check", "command",
         "url_verification", "event_callback", "view_submission", "block_actions", "trigger_id",
         "response_url", "payload=", "payload%3D%7B%7D", '{"type":"view_submission"}', "&payload=x"]


@pytest.mark.parametrize("word", WORDS)
async def test_status_with_any_word_is_answered_by_the_command(harness: Harness, word: str) -> None:
    answer = await harness.ack(f"status {word}", user=STAFF)  # asserts 200
    assert "unhandled" not in json.dumps(answer)
    assert answer.get("response_type") == "ephemeral" or answer.get("blocks") or answer.get("text")
    [audit] = [a for a in await harness.audits() if a.action == "command.status"]
    assert audit.actor == STAFF


async def test_label_with_the_word_payload_is_stored(harness: Harness) -> None:
    link = harness.links["acme"]
    answer = await harness.ack(f"label L{link} payload team", user=STAFF)
    assert "unhandled" not in json.dumps(answer)
    [audit] = [a for a in await harness.audits() if a.action == "command.label"]
    assert audit.result == "ok", audit
