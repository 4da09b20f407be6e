"""Logging: one line per event in both formats, redaction on the configured handler, and correlation
ids that follow a request into bolt's listeners and the outbox (X-Request-Id says which)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import configure_logging
from bot.standins.slack.payloads import event_callback, message_im
from bot.standins.slack.workspace import BOT_TOKEN
from handlers.redact import redact
from handlers.trace import correlation_id
from tests.bot.slack.conftest import CUSTOMER, TOKEN, USERNAME, Served


def lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "text, kept",
    [
        (f"<ns0:Token xmlns:ns0='urn:x' a=\"1\">{TOKEN}</ns0:Token>", "<ns0:Token xmlns:ns0='urn:x' a=\"1\">"),
        ("<Token>Nm-not-hex/secret=</Token>", "<Token>"),  # any token shape inside the element
        ("{'Token': 'has spaces, commas'}", "{'Token': '"),
        (f"auth {BOT_TOKEN} done", "auth "),
        ("Authorization: Bearer tdk_1_abcdefghijkl", "Authorization: Bearer "),
        (f"value {TOKEN.upper()} end", "value "),
        ("token=Zx8-longer-than-six", "token="),
    ],
)
def test_redact_masks_token_shapes(text: str, kept: str) -> None:
    masked = redact(text)
    assert "[redacted]" in masked and masked.startswith(kept)
    for secret in (TOKEN, TOKEN.upper(), BOT_TOKEN, "Nm-not-hex", "has spaces", "abcdefghijkl", "Zx8-longer"):
        assert secret not in masked


def test_redact_leaves_ordinary_text() -> None:
    text = "link L12 of hr@acme.nl (…cdef) checked: valid in 0.120 s"
    assert redact(text) == text


def test_json_lines_are_one_event_each_and_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("tokendesk.test")
    reset = correlation_id.set("req-1")
    try:
        log.info("two\nlines %s", f"<Token>{TOKEN}</Token>")
        try:
            raise ValueError(f"boom with {TOKEN}")
        except ValueError:
            log.exception("failed for %s", USERNAME)
        log.warning("bad format %s %s", "one")  # a broken call still gives a line
    finally:
        correlation_id.reset(reset)
    log.info("outside any request")
    text = captured.getvalue()
    assert TOKEN not in text
    records = lines(captured)
    assert len(text.splitlines()) == len(records) == 4
    assert [r["correlation_id"] for r in records] == ["req-1", "req-1", "req-1", "-"]
    assert records[0]["message"] == "two\nlines <Token>[redacted]</Token>"
    assert "ValueError: boom with [redacted]" in records[1]["exception"]
    assert records[2]["message"].startswith("bad format %s %s")
    assert set(records[0]) == {"time", "level", "logger", "message", "correlation_id"}


def test_text_lines_are_one_event_each_and_redacted() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="text", stream=stream)
    try:
        try:
            raise RuntimeError(f"token={TOKEN}")
        except RuntimeError:
            logging.getLogger("tokendesk.test").exception("first\nsecond")
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    [line] = stream.getvalue().splitlines()
    assert " ERROR   tokendesk.test [-] first\\nsecond\\nTraceback (most recent call last):" in line
    assert "RuntimeError: token=[redacted]" in line and TOKEN not in line


def test_configure_logging_replaces_its_own_handler(captured: io.StringIO) -> None:
    again = io.StringIO()
    handler = configure_logging(level="INFO", fmt="json", stream=again)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_tokendesk", False)]
    assert ours == [handler]
    assert any(type(f).__name__ == "RedactingFilter" for f in handler.filters)
    for name in ("zeep.transports", "sqlalchemy", "aiosqlite", "httpx", "httpcore"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


async def test_a_request_and_the_work_it_starts_share_its_id(app: Served, captured: io.StringIO) -> None:
    response = await app.send(event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}")))
    await app.settle()
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 12
    records = lines(captured)
    # The Nmbrs check ran in bolt's listener task after the acknowledgement, the support alert in
    # the outbox's task: both still carry the request's id.
    nmbrs = [r for r in records if r["logger"].startswith("bot.nmbrs") and "validation finished" in r["message"]]
    assert nmbrs and all(r["correlation_id"] == request_id for r in nmbrs)
    slack_calls = [r for r in records if r["message"].startswith("Sending a request") and "chat.postMessage" in r["message"]]
    assert slack_calls and {r["correlation_id"] for r in slack_calls} == {request_id}
    other = await app.http.get("/healthz")
    assert other.headers["x-request-id"] != request_id
    assert TOKEN not in captured.getvalue()


async def test_a_nightly_run_logs_under_its_own_id(app: Served, captured: io.StringIO) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    assert app.ctx.recheck is not None
    summary = await app.ctx.recheck.run(trigger="schedule")
    run_lines = [r for r in lines(captured) if r["message"].startswith("recheck: run")]
    assert run_lines
    assert {r["correlation_id"] for r in run_lines} == {f"run-{summary.run_id}"}
