"""`tokendesk serve`: clear refusals at start, Socket Mode's web side, and a graceful SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_slack_runtime
from bot.cli import main
from bot.slack.app import SlackStartError, who_am_i
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import event_callback, message_im
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET, dm_channel
from storage.cipher import generate_key_line
from tests.bot.slack.conftest import (
    CUSTOMER,
    SUPPORT_CHANNEL,
    TOKEN,
    USERNAME,
    free_socket,
    make_settings,
    serving,
)

SETTINGS_VARIABLES = (
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TOKENDESK_SUPPORT_CHANNEL",
    "TOKENDESK_SLACK_API_URL", "DATABASE_URL", "TOKENDESK_KEYS", "TOKENDESK_NMBRS_URL",
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`serve` configures the root logger (handler on the captured stderr, level): undo it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment in an empty directory (no .env is read from the repository)."""
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    values = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tokendesk.db'}", "TOKENDESK_KEYS": generate_key_line("k1")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_serve_lists_every_missing_setting(environment: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err and "TOKENDESK_SUPPORT_CHANNEL" in err
    assert "Traceback" not in err


def test_serve_socket_mode_needs_the_app_token(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TOKENDESK_SUPPORT_CHANNEL", SUPPORT_CHANNEL)
    assert main(["serve", "--socket"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_APP_TOKEN" in err and "SLACK_SIGNING_SECRET" not in err


def test_serve_refused_token_is_a_clear_message(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    slack: SlackStandIn,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-right-one")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("TOKENDESK_SUPPORT_CHANNEL", SUPPORT_CHANNEL)
    monkeypatch.setenv("TOKENDESK_SLACK_API_URL", slack.base_url)
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in err
    assert "xoxb-not-the-right-one" not in err and "Traceback" not in err


async def test_unreachable_slack_is_a_clear_message() -> None:
    sock = free_socket()  # bound, never listening: connections are refused
    client = AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}/api/")
    try:
        with pytest.raises(SlackStartError, match="could not reach Slack"):
            await who_am_i(client)
    finally:
        sock.close()


async def test_socket_mode_serves_health_and_metrics_but_no_events_endpoint(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    settings = make_settings(tmp_path, slack, nmbrs, slack_signing_secret=None, slack_app_token="xapp-1-test")
    # The scheduler is not started here (no lifespan): report it fine, to see the rest of /healthz.
    runtime = await build_slack_runtime(
        settings, socket_mode=True, health_checks={"scheduler": lambda: (True, "not started in this test")}
    )
    try:
        # Only the web side: the Socket Mode lifespan would dial Slack's WebSocket, which the
        # stand-in does not play.
        async with serving(runtime.web_app, lifespan="off") as url, httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/metrics")).status_code == 200
            assert (await http.post("/slack/events", content=b"{}")).status_code == 404
    finally:
        await runtime.aclose()


def test_serve_runs_and_stops_gracefully_on_sigterm(
    environment: dict[str, str], slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {
        **os.environ, **environment, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKENDESK_SUPPORT_CHANNEL": SUPPORT_CHANNEL, "TOKENDESK_SLACK_API_URL": slack.base_url,
        "TOKENDESK_NMBRS_URL": nmbrs.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[3], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become healthy"
            time.sleep(0.1)
        assert [c.method for c in slack.calls("auth.test")] == ["auth.test"]
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn re-raises the signal after its graceful shutdown; serve takes it as the normal way to
    # stop and exits 0 (an orchestrator's SIGTERM is not a failure).
    assert process.returncode == 0, output.decode()
    assert b"Application shutdown complete" in output
    assert b"Traceback" not in output


async def test_shutdown_waits_for_work_after_the_acknowledgement(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    nmbrs.latency_s = 0.3  # the Nmbrs check is still running when the server is told to stop
    runtime = await build_slack_runtime(make_settings(tmp_path, slack, nmbrs))
    request = event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}"))
    async with serving(runtime.web_app) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/slack/events", content=request.body, headers=request.headers())
        assert response.status_code == 200
    # The lifespan shutdown let the listener finish and delivered the support alert.
    [answer] = [c for c in slack.calls("chat.postMessage") if c.params["channel"] == dm_channel(CUSTOMER)]
    assert answer.ok
    assert [c for c in slack.calls("chat.postMessage") if c.params["channel"] == SUPPORT_CHANNEL]
    await runtime.aclose()
