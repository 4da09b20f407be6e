"""`tokendesk try` from the outside: starts in under ten seconds with no settings, ignores `.env` and
the environment, listens on loopback only, keeps its directory between runs and starts over with --fresh."""

from __future__ import annotations

import json
import secrets
import socket
import sqlite3
from pathlib import Path

import httpx

from bot.standins.nmbrs.accounts import StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import event_callback, message_im
from tests.bot.trymode.conftest import OPEN_LINE, TryProcess, eventually, start_try

START_LIMIT_S = 10.0


def _count(database: Path, query: str) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute(query).fetchone()[0])


def test_try_answers_within_ten_seconds_and_prints_one_open_line(try_process: TryProcess) -> None:
    print(f"tokendesk try: /try answered {try_process.ready_s:.2f} s after the command started")
    assert try_process.ready_s < START_LIMIT_S
    opens = [line for line in try_process.lines if "open http" in line]
    assert len(opens) == 1 and OPEN_LINE.match(opens[0])
    assert int(OPEN_LINE.match(opens[0]).group(1)) == try_process.port
    # Practice logins printed: a client login, an accountant login, one with its API calls disabled.
    soap = try_process.lines.index("Practice Nmbrs logins (e-mail and API token, to send to the bot):")
    rest = next(i for i, line in enumerate(try_process.lines) if line.startswith("Practice Nmbrs consent logins"))
    logins = try_process.lines[soap + 1:rest]
    assert len(logins) == 3 and all(line.startswith("  ") and "@" in line for line in logins)
    assert any("one debtor" in line for line in logins) and any("several debtors" in line for line in logins)
    assert any("disabled" in line for line in logins)
    # The REST consent page's logins: one per debtor, the accountant's clients included.
    consents = [line for line in try_process.lines[rest + 1:] if line.startswith("  ") and "@" in line]
    assert len(consents) == 5 and sum("payroll administrator" in line for line in consents) == 2
    assert any("TRY MODE" in line for line in try_process.lines)


def test_healthz_says_try_and_the_page_is_marked(try_process: TryProcess) -> None:
    health = httpx.get(f"{try_process.url}/healthz").json()
    assert health["mode"] == "try" and health["status"] == "ok"
    page = httpx.get(f"{try_process.url}/try")
    assert page.status_code == 200 and "TRY MODE" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_env_file_and_environment_are_ignored(try_process: TryProcess) -> None:
    # The hostile .env and environment name a PostgreSQL database, production Slack and a webhook:
    # try mode runs on SQLite in its directory instead, and answers a DM through its local Slack.
    database = try_process.directory / "tokendesk.db"
    assert database.exists() and (try_process.directory / "tokendesk.db.keys").exists()
    assert oct((try_process.directory / "tokendesk.db.keys").stat().st_mode & 0o777) == "0o600"
    token = try_process.token("anne@bakkerij-devries.nl")
    answer = httpx.post(f"{try_process.url}/try/dm",
                        json={"customer": "U0TRYANNE", "text": f"anne@bakkerij-devries.nl {token}"})
    assert answer.status_code == 200
    eventually(lambda: _count(database, "select count(*) from links where state = 'active'") == 1)


def _listening(port: int) -> set[str]:
    """The local addresses listening on `port`, from the kernel's socket tables (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_listens_on_loopback_only(try_process: TryProcess) -> None:
    # 0100007F is 127.0.0.1 as the kernel writes it; 0.0.0.0 would be 00000000.
    assert _listening(try_process.port) == {"0100007F"}
    addresses = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in addresses - {"127.0.0.1", "127.0.1.1"}:
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex((address, try_process.port)) != 0, address


def test_host_and_origin_are_checked(try_process: TryProcess) -> None:
    url = try_process.url
    assert httpx.get(f"{url}/try", headers={"Host": "attacker.example:%d" % try_process.port}).status_code == 403
    assert httpx.get(f"{url}/healthz", headers={"Host": "127.0.0.1"}).status_code == 403
    assert httpx.get(f"{url}/try", headers={"Host": f"localhost:{try_process.port}"}).status_code == 200
    foreign = httpx.post(f"{url}/try/command", json={"text": "status"},
                         headers={"Origin": "http://attacker.example"})
    assert foreign.status_code == 403
    same = httpx.post(f"{url}/try/command", json={"text": "help"}, headers={"Origin": url})
    assert same.status_code == 200
    # Even Slack's own endpoint is behind the guard, and a request signed with anything but the
    # try-mode secret is refused by the desk.
    forged = event_callback(message_im("U0TRYANNE", "hello"))
    response = httpx.post(f"{url}/slack/events", content=forged.body, headers=forged.headers("not-the-secret"))
    assert response.status_code == 401


def test_the_directory_is_kept_between_runs_and_fresh_starts_over(hostile_cwd: Path) -> None:
    first = start_try(hostile_cwd)
    try:
        token = first.token("anne@bakkerij-devries.nl")
        httpx.post(f"{first.url}/try/dm", json={"customer": "U0TRYANNE", "text": f"anne@bakkerij-devries.nl {token}"})
        eventually(lambda: _count(hostile_cwd / "tokendesk-try" / "tokendesk.db", "select count(*) from links") == 1)
    finally:
        assert first.stop() == 0
    database = hostile_cwd / "tokendesk-try" / "tokendesk.db"
    key = (hostile_cwd / "tokendesk-try" / "tokendesk.db.keys").read_bytes()

    second = start_try(hostile_cwd)
    try:
        assert second.token("anne@bakkerij-devries.nl") == token  # the practice tokens are kept
        with sqlite3.connect(database) as db:
            assert db.execute("select count(*) from links").fetchone() == (1,)
    finally:
        second.stop()
    assert (hostile_cwd / "tokendesk-try" / "tokendesk.db.keys").read_bytes() == key

    fresh = start_try(hostile_cwd, "--fresh")
    try:
        assert fresh.token("anne@bakkerij-devries.nl") != token
        with sqlite3.connect(database) as db:
            assert db.execute("select count(*) from links").fetchone() == (0,)
    finally:
        fresh.stop()
    assert (hostile_cwd / "tokendesk-try" / "tokendesk.db.keys").read_bytes() != key


def test_a_real_nmbrs_url_means_no_practice_logins(tmp_path: Path) -> None:
    with NmbrsStandIn() as sandbox:
        token = secrets.token_hex(16)
        sandbox.add_account("me@example.nl", token, "mine", debtors=[StandinDebtor(1, 1, "Mine")])
        run = start_try(tmp_path, env={"TOKENDESK_NMBRS_URL": sandbox.base_url})
        try:
            assert not any("Practice Nmbrs logins" in line for line in run.lines)
            assert any("TOKENDESK_NMBRS_URL" in line for line in run.lines)
            assert not (run.directory / "practice-tokens.json").exists()
            state = httpx.get(f"{run.url}/try/state", params={"customer": "U0TRYANNE"}).json()
            assert "no practice logins" in state["practice"]
            httpx.post(f"{run.url}/try/dm", json={"customer": "U0TRYANNE", "text": f"me@example.nl {token}"})
            eventually(lambda: sandbox.calls["DebtorService.Environment_Get"] >= 1)
        finally:
            run.stop()


def test_state_json_escapes_everything(try_process: TryProcess) -> None:
    httpx.post(f"{try_process.url}/try/dm",
               json={"customer": "U0TRYANNE", "text": "<script>alert(1)</script> <img src=x onerror=alert(2)>"})
    state = httpx.get(f"{try_process.url}/try/state", params={"customer": "U0TRYANNE"}).json()
    assert "<script>" not in json.dumps(state) and "<img" not in state["dm"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in state["dm"]


def test_help_names_the_options_and_loads_nothing_heavy() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bot.cli", "try", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "usage: tokendesk try" in result.stdout
    assert all(option in result.stdout for option in ("--port", "--dir", "--fresh"))
    listed = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert "try" in listed.stdout.split("commands:", 1)[1]
