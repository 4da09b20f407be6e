"""`tokendesk serve` and `tokendesk recheck` as real processes: no secret in any output at DEBUG,
whatever the log format, and a SIGTERM that finishes the work in flight and releases the lease."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from bot.slack.blocks import CONNECT_ACTION, CONNECT_VIEW, INPUT_ACTION, TOKEN_BLOCK, USERNAME_BLOCK
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import (
    SlackRequest,
    block_actions,
    event_callback,
    message_im,
    slash_command,
    view_submission,
)
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, dm_channel
from storage.apikeys import create_key
from storage.cipher import generate_key_line
from storage.db import create_engine, session_factory
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, SUPPORT_CHANNEL, TOKEN, USERNAME, free_socket

ROOT = Path(__file__).resolve().parents[2]
# The modal's account has a token of no shape the log filter knows: only the code itself keeps it out.
MODAL_USERNAME = "salaris@bakkerij.nl"
MODAL_TOKEN = "Zq7-Lm2_Vx9.Np4~Ht6/Rk8+Wd3="
WRONG_TOKEN = "Wr0ng-Tk_8c1d.4e7f~A2b9"
NEW_TOKEN = "fedcba98765432100123456789abcdef"
WEBHOOK_KEY = b"tokendesk-test-webhook-key-32-by"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
SETTINGS_VARIABLES = re.compile(r"^(SLACK_|TOKENDESK_|TEAMS_|DATABASE_URL$)")
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) +\S+ \[[^\]\s]+\] ")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    out: Path
    err: Path

    def send(self, request: SlackRequest) -> httpx.Response:
        return httpx.post(f"{self.url}/slack/events", content=request.body, headers=request.headers(), timeout=10)

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def environment(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, **extra: str) -> dict[str, str]:
    """The process environment: the test's, without any tokendesk setting, plus these."""
    env = {name: value for name, value in os.environ.items() if not SETTINGS_VARIABLES.match(name)}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, TOKENDESK_SUPPORT_CHANNEL=SUPPORT_CHANNEL,
        TOKENDESK_SLACK_API_URL=slack.base_url, TOKENDESK_NMBRS_URL=nmbrs.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'tokendesk.db'}", TOKENDESK_KEYS=generate_key_line("k1"),
        TOKENDESK_NMBRS_RETRIES="0", TOKENDESK_NMBRS_READ_TIMEOUT_S="3", TOKENDESK_NMBRS_RATE="150",
        TOKENDESK_CONFIRM_DELAY_S="0", PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], name: str = "serve") -> Iterator[Served]:
    """`tokendesk serve` on a free port, output to files; killed if the test did not stop it."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, stdout=stdout, stderr=stderr,
        )
    served = Served(process=process, url=f"http://127.0.0.1:{port}", out=out, err=err)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, served.output()
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become healthy:\n" + served.output()
            time.sleep(0.05)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def stop(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    return served.process.wait(30)


def add_accounts(nmbrs: NmbrsStandIn) -> None:
    nmbrs.add_account(
        USERNAME, TOKEN, "acme", debtors=[StandinDebtor(12345, 101, "Acme Holding")],
        companies=[StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345)],
    )
    nmbrs.add_account(
        MODAL_USERNAME, MODAL_TOKEN, "bakkerij", debtors=[StandinDebtor(777, 1, "Bakkerij")],
        companies=[StandinCompany(888, 1, "Bakkerij B.V.", debtor_id=777)],
    )


def to_customer(user: str) -> object:
    return lambda call: call.params.get("channel") == dm_channel(user)


def new_api_key(database: Path) -> str:
    async def create() -> str:
        engine = create_engine(f"sqlite:///{database}")
        try:
            async with session_factory(engine)() as session, session.begin():
                return (await create_key(session, name="payroll sync")).key
        finally:
            await engine.dispose()

    return asyncio.run(create())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_full_intake_and_nightly_run_at_debug_leak_no_secret(
    fmt: str, tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    add_accounts(nmbrs)
    closed = free_socket()  # the integration's webhook endpoint is down: failure paths log too
    env = environment(
        tmp_path, slack, nmbrs, TOKENDESK_LOG_LEVEL="DEBUG", TOKENDESK_LOG_FORMAT=fmt,
        TOKENDESK_WEBHOOK_URL=f"http://127.0.0.1:{closed.getsockname()[1]}/hooks",
        TOKENDESK_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    try:
        with serving(tmp_path, env) as served:
            # A DM with the credentials pasted.
            assert served.send(event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}"))).status_code == 200
            slack.wait_for("chat.postMessage", to_customer(CUSTOMER), timeout=10)
            # The form: the button, then the submission.
            assert served.send(block_actions(CONNECT_ACTION, ENGLISH, value="connect")).status_code == 200
            [opened] = slack.wait_for("views.open", timeout=10)
            view = opened.response["view"]
            submitted = served.send(view_submission(
                CONNECT_VIEW, {USERNAME_BLOCK: {INPUT_ACTION: MODAL_USERNAME}, TOKEN_BLOCK: {INPUT_ACTION: MODAL_TOKEN}},
                ENGLISH, private_metadata=view["private_metadata"], view_id=view["id"], view_hash=view["hash"],
            ))
            assert submitted.status_code == 200
            slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == SUPPORT_CHANNEL, count=2, timeout=10)
            # A wrong token in a DM: rejected by Nmbrs.
            assert served.send(event_callback(message_im(ENGLISH, f"{USERNAME} {WRONG_TOKEN}"))).status_code == 200
            slack.wait_for("chat.postMessage", to_customer(ENGLISH), timeout=10)
            # /nmbrs status from the customer.
            status = slash_command("status", CUSTOMER, TEAM_ID, dm_channel(CUSTOMER), slack.response_url("status"))
            answer = served.send(status)
            assert answer.status_code == 200 and "L1" in answer.text  # answered in the acknowledgement
            # The integration reads the credentials over the hand-off API.
            api_key = new_api_key(tmp_path / "tokendesk.db")
            read = httpx.get(f"{served.url}/api/v1/links/L1/credentials",
                             headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
            assert read.status_code == 200 and read.json()["token"] == TOKEN
            assert httpx.get(f"{served.url}/api/v1/links", headers={"Authorization": "Bearer td_1_" + "x" * 43},
                             timeout=10).status_code == 401
            scrape = httpx.get(f"{served.url}/metrics", timeout=10).text + httpx.get(f"{served.url}/healthz").text

            # The customer resets the token in Nmbrs; tonight's run finds it broken (confirmed at once).
            nmbrs.set_token(USERNAME, NEW_TOKEN)
            recheck_out, recheck_err = tmp_path / "recheck.out", tmp_path / "recheck.err"
            with recheck_out.open("wb") as stdout, recheck_err.open("wb") as stderr:
                recheck = subprocess.run(
                    [sys.executable, "-m", "bot.cli", "recheck"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                    stdout=stdout, stderr=stderr, timeout=60,
                )
            assert recheck.returncode == 0, recheck_err.read_text()
            slack.wait_for("chat.postMessage", to_customer(CUSTOMER), count=2, timeout=10)  # "your link broke"
            assert stop(served) == 0
    finally:
        closed.close()

    outputs = {path.name: path.read_text(errors="replace")
               for path in (served.out, served.err, recheck_out, recheck_err)}
    assert "broken" in outputs["recheck.out"]  # the run did see the failure
    secrets = {
        "Nmbrs token (DM)": TOKEN, "Nmbrs token (form)": MODAL_TOKEN, "rejected token": WRONG_TOKEN,
        "bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET, "API key": api_key,
        "webhook secret": WEBHOOK_SECRET, "webhook key": WEBHOOK_KEY.decode(),
        "encryption key": env["TOKENDESK_KEYS"].split(":", 1)[1],
    }
    for name, text in {**outputs, "metrics and health": scrape}.items():
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in {name}"
    for username in (USERNAME, MODAL_USERNAME):
        assert username not in scrape

    serve_lines = outputs["serve.err"].splitlines()
    assert any("nmbrs call finished" in line for line in serve_lines), "DEBUG lines are missing"
    assert any("nmbrs validation finished: rejected" in line for line in serve_lines)
    assert any("validation finished: rejected" in line for line in outputs["recheck.err"].splitlines())
    assert outputs["serve.out"] == ""
    for name in ("serve.err", "recheck.err"):
        for line in outputs[name].splitlines():
            if fmt == "json":
                record = json.loads(line)
                assert isinstance(record["correlation_id"], str) and record["correlation_id"], line
                assert {"time", "level", "logger", "message"} <= set(record)
            else:
                assert TEXT_LINE.match(line), f"{name}: not one log line per event: {line!r}"
    if fmt == "json":
        records = [json.loads(line) for line in serve_lines]
        # Everything an intake logs, in bolt's listener task too, carries its request's id.
        checks = [r for r in records if r["logger"] == "bot.nmbrs.gateway"]
        assert checks and all(r["correlation_id"] not in ("", "-") for r in checks)
        assert len({r["correlation_id"] for r in checks}) == 3  # three intakes, three requests


def test_sigterm_finishes_in_flight_work_and_releases_the_lease(
    tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn
) -> None:
    add_accounts(nmbrs)
    env = environment(tmp_path, slack, nmbrs)
    with serving(tmp_path, env, "first") as first:  # a link to check tonight
        assert first.send(event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}"))).status_code == 200
        slack.wait_for("chat.postMessage", to_customer(CUSTOMER), timeout=10)
        assert stop(first) == 0

    # Started again after the night's slot passed: it catches the run up at once, with slow Nmbrs.
    nmbrs.latency_s = 1.0
    nmbrs.reset_counters()
    env["TOKENDESK_RECHECK_ON_START"] = "true"
    with serving(tmp_path, env) as served:
        deadline = time.monotonic() + 10
        while nmbrs.calls["DebtorService.Environment_Get"] < 1:  # the run is checking L1 now
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.02)
        database = sqlite3.connect(tmp_path / "tokendesk.db")
        [(holder,)] = database.execute("SELECT holder FROM leases WHERE name = 'recheck'").fetchall()
        assert holder.split(":")[1] == str(served.process.pid)
        # A customer's credentials arrive; Nmbrs takes seconds to answer them.
        answered = served.send(event_callback(message_im(ENGLISH, f"{MODAL_USERNAME} {MODAL_TOKEN}")))
        assert answered.status_code == 200
        started = time.monotonic()
        status = stop(served)
        took = time.monotonic() - started

    assert status == 0, served.output()  # a graceful SIGTERM is a clean exit for Docker and systemd
    output = served.output()
    assert "Application shutdown complete" in output and "Traceback" not in output
    # The customer's check finished during the shutdown, and its answer went out before the exit.
    [answer] = [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == dm_channel(ENGLISH)]
    assert answer.ok and took >= 1.0
    # The scheduler stopped: its run is left to be resumed, its lease is given back.
    leases = database.execute("SELECT holder, expires_at FROM leases WHERE name = 'recheck'").fetchall()
    now = datetime.now(timezone.utc).isoformat()
    assert leases == [] or all(expires < now for _, expires in leases), leases
    [(run_status,)] = database.execute("SELECT status FROM recheck_runs").fetchall()
    assert run_status == "running"  # stopped where it was: the next holder of the lease resumes it
    database.close()
