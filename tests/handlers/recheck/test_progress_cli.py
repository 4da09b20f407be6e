"""`tokendesk recheck` shows the run's own progress: count lines on a pipe, a rich bar on a terminal."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot.cli.test_progress import on_terminal, plain
from tests.handlers.recheck.conftest import Desk
from tests.handlers.recheck.test_cli import environment, seed, tokendesk


async def test_recheck_without_a_terminal_prints_count_lines(desk: Desk, sqlite_url: str, key_line: str,
                                                              tmp_path: Path) -> None:
    await seed(desk)
    done = tokendesk(["recheck", "--json"], environment(desk, sqlite_url, key_line), tmp_path)
    assert done.returncode == 0, done.stderr
    lines = re.findall(r"(?:^|\] )recheck: (\d+)/(\d+) links", done.stderr, re.M)
    assert lines[0] == ("0", "3") and lines[-1] == ("3", "3"), done.stderr
    assert "recheck: 3/3 links (100%)\n" in done.stderr
    assert done.stdout.startswith("{")  # the JSON summary alone on standard output


async def test_recheck_on_a_terminal_shows_a_bar(desk: Desk, sqlite_url: str, key_line: str, tmp_path: Path) -> None:
    await seed(desk)
    status, shown = on_terminal(["recheck"], environment(desk, sqlite_url, key_line, TOKENDESK_LOG_LEVEL="WARNING"),
                                tmp_path)
    assert status == 0, shown
    assert "━" in shown and re.search(r"recheck ━+ 3/3 links 100%", plain(shown)), shown
    assert not re.search(r"recheck: \d+/\d+ links", plain(shown))
    assert "3 links checked, 0 could not be checked" in shown
