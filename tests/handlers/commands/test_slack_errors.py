"""The Slack app's one error path for buttons: an unexpected failure is answered in place of the
message the button was on, with the reference its log line carries."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from bot.slack.command_blocks import REVOKE_CONFIRM
from tests.handlers.commands.conftest import STAFF, TOKENS, Harness


async def test_a_button_that_fails_is_answered_with_the_reference_in_the_log(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    link_id = harness.links["acme"]
    async with harness.desk.sessions() as session, session.begin():
        await session.execute(text("DROP TABLE audit_log"))  # the revoke cannot be recorded
    with caplog.at_level(logging.ERROR):
        name = await harness.click(REVOKE_CONFIRM, str(link_id), user=STAFF)
        [answer] = await harness.responses(name)
    assert answer["replace_original"] is True and "Something went wrong on our side" in answer["text"]
    [reference] = re.findall(r"Reference: `([0-9a-f]{12})`", answer["text"])
    [line] = [r for r in caplog.records if r.name == "bot.slack.listeners.errors" and r.levelno == logging.ERROR]
    assert line.getMessage() == f"slack block_actions failed (reference {reference})"
    assert all(token not in caplog.text for token in TOKENS.values())
