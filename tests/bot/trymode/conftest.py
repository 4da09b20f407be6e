"""`tokendesk try` as a person starts it: a child process on a free loopback port, in a directory
that holds a hostile `.env` and under an environment with production settings, both to be ignored."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

#: Settings try mode must not read: a `.env` and an environment pointing at production.
HOSTILE = {
    "SLACK_BOT_TOKEN": "xoxb-production-token",
    "SLACK_SIGNING_SECRET": "production-secret",
    "TOKENDESK_SLACK_API_URL": "http://127.0.0.1:9/api/",
    "DATABASE_URL": "postgresql://prod:prod@127.0.0.1:9/prod",
    "TOKENDESK_SUPPORT_CHANNEL": "C0PRODUCTION",
    "TOKENDESK_WEBHOOK_URL": "http://127.0.0.1:9/hook",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TryProcess:
    process: subprocess.Popen[str]
    port: int
    directory: Path
    lines: list[str]
    ready_s: float
    """From starting the command to /try answering 200."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, username: str) -> str:
        """A practice SOAP login's API token, as the start printed it."""
        return self._printed(username, "Practice Nmbrs logins")

    def consent_password(self, email: str) -> str:
        """A practice consent login's password (the REST consent page), as the start printed it."""
        return self._printed(email, "Practice Nmbrs consent logins")

    def _printed(self, who: str, section: str) -> str:
        start = next(i for i, line in enumerate(self.lines) if line.startswith(section))
        line = next(line for line in self.lines[start + 1:] if line.strip().startswith(who))
        return line.split()[1]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_try(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0) -> TryProcess:
    """Start `tokendesk try` in `cwd`; return once /try answers (or fail with its output)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TOKENDESK_", "DATABASE_"))}
    environment.update(env or {})
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "try", "--port", str(port), *args],
        cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    # A thread keeps reading the output (log lines go on after the start), so the pipe never fills.
    threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in process.stdout or ()),
                     daemon=True).start()
    ready = None
    while time.monotonic() - began < timeout and process.poll() is None:
        if any("open http://" in line for line in lines):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/try", timeout=2).status_code == 200:
                    ready = time.monotonic() - began
                    break
            except httpx.HTTPError:
                pass
        time.sleep(0.02)
    if ready is None:
        process.kill()
        process.wait(5)
        raise AssertionError("tokendesk try did not come up:\n" + "\n".join(lines))
    return TryProcess(process=process, port=port, directory=cwd / "tokendesk-try", lines=lines, ready_s=ready)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds: the desk answers Slack first and works after the acknowledgement."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def hostile_cwd(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in HOSTILE.items()))
    return tmp_path


@pytest.fixture
def try_process(hostile_cwd: Path) -> Iterator[TryProcess]:
    run = start_try(hostile_cwd, env=HOSTILE)
    yield run
    run.stop()


OPEN_LINE = re.compile(r"^tokendesk try: open http://127\.0\.0\.1:(\d+)/try$")
