"""Progress of `keys rotate` and `copy-db` as an operator sees it: count lines from the real batches
when standard error is a pipe, a rich bar when it is a terminal (a pseudo-terminal here)."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from storage.cipher import TokenCipher, generate_key_line, parse_keys
from storage.db import create_engine, session_factory
from storage.links import store_credentials
from storage.migrate import upgrade
from storage.models import AuditEntry, LinkState

OLD, NEW = generate_key_line("old"), generate_key_line("new")


def seed(url: str, links: int) -> None:
    async def run() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            for i in range(links):
                stored = await store_credentials(session, TokenCipher(parse_keys(OLD)), username=f"u{i}@x.nl",
                                                 token=f"{i:032x}", environment="e", state=LinkState.ACTIVE,
                                                 platform="slack", team_id="T", user_id="U")
                session.add(AuditEntry(platform="cli", actor="op", action="test", link_id=stored.link.id, detail={}))
        await engine.dispose()

    asyncio.run(run())


def environment(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_"))
           and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, TOKENDESK_KEYS=f"{NEW},{OLD}", **extra)
    return env


def piped(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def on_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run with standard output and error on a pseudo-terminal; everything the terminal showed."""
    main, side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], stdin=side, stdout=side, stderr=side,
                               env={**env, "TERM": "xterm-256color", "COLUMNS": "120"}, cwd=cwd)
    os.close(side)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal's other side closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return process.wait(timeout=30), shown.decode("utf-8", "replace")


def plain(shown: str) -> str:
    """The terminal's text without its colour and cursor codes."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)


def count_lines(stderr: str, label: str) -> list[tuple[int, int]]:
    return [(int(done), int(total)) for done, total in re.findall(rf"(?:^|\] ){re.escape(label)}: (\d+)/(\d+) rows", stderr, re.M)]


def test_rotate_without_a_terminal_prints_a_count_line_per_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'td.db'}"
    seed(url, 5)
    done = piped(["keys", "rotate", "--batch-size", "2"], environment(url, TOKENDESK_PROGRESS_EVERY_S="0"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert count_lines(done.stderr, "keys rotate") == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert re.search(r"(?:^|\] )keys rotate: 2/5 rows \(40%\), about \d+ (s|min)", done.stderr, re.M)
    assert "keys rotate: 5/5 rows (100%)\n" in done.stderr
    assert "re-encrypted 5 rows under key new" in done.stdout  # the result stays on standard output
    assert "\x1b[" not in done.stderr and "━" not in done.stderr  # no bar, no escape codes in a log


def test_rotate_lines_are_periodic_not_per_batch_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'td.db'}"
    seed(url, 5)
    done = piped(["keys", "rotate", "--batch-size", "1"], environment(url), tmp_path)
    assert done.returncode == 0, done.stderr
    lines = count_lines(done.stderr, "keys rotate")
    assert lines[0] == (0, 5) and lines[-1] == (5, 5) and len(lines) < 7  # five batches, not a line each


def test_rotate_on_a_terminal_shows_a_bar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'td.db'}"
    seed(url, 5)
    status, shown = on_terminal(["keys", "rotate", "--batch-size", "2"], environment(url), tmp_path)
    assert status == 0, shown
    assert "━" in shown and "\x1b[" in shown  # a drawn bar, with colours
    assert re.search(r"keys rotate ━+ 5/5 rows 100% \d+:\d\d:\d\d eta \d+:\d\d:\d\d", plain(shown))
    assert "keys rotate: " not in shown  # the bar instead of the plain lines
    assert "re-encrypted 5 rows under key new" in shown


def test_copy_db_without_a_terminal_counts_the_rows_it_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, 4)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    done = piped(["copy-db", "--to", target], environment(url, TOKENDESK_PROGRESS_EVERY_S="0"), tmp_path)
    assert done.returncode == 0, done.stderr
    copied = int(re.search(r"copied (\d+) rows", done.stdout).group(1))  # type: ignore[union-attr]
    lines = count_lines(done.stderr, "copy-db")
    assert lines[0] == (0, copied) and lines[-1] == (copied, copied)
    assert len(lines) >= 3 and [d for d, _ in lines] == sorted({d for d, _ in lines})  # per table, rising
    assert copied >= 8  # 4 links and their 4 audit lines


def test_copy_db_on_a_terminal_shows_a_bar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, 3)
    status, shown = on_terminal(["copy-db", "--to", f"sqlite:///{tmp_path / 'target.db'}"], environment(url), tmp_path)
    assert status == 0, shown
    assert "━" in shown and "\x1b[" in shown
    assert re.search(r"copy-db ━+ 6/6 rows 100%", plain(shown))
    assert "copy-db: " not in shown
