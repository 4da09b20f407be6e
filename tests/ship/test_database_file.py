"""Issue 12 finding 4: the SQLite file deleted under a serving process, and a read-only start."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import Link
from bot.standins.nmbrs.server import NmbrsStandIn
from tests.ship.test_serve_process import ROOT, environment
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, TOKEN, USERNAME, Served, free_socket
from bot.standins.slack.payloads import event_callback, message_im
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import dm_channel

GONE = "database file deleted or replaced; restore it and restart"


def texts(app: Served, user: str) -> str:
    return "\n".join(str(p.get("text", "")) + str(p.get("blocks", "")) for p in app.posts(dm_channel(user)))


async def test_a_deleted_database_stops_work_and_never_says_done(
    app: Served, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    assert "Gelukt" in texts(app, CUSTOMER)
    assert (await app.http.get("/healthz")).status_code == 200

    for path in (tmp_path / "tokendesk.db", tmp_path / "tokendesk.db-wal", tmp_path / "tokendesk.db-shm"):
        path.unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR, logger="storage.db"):
        for _ in range(3):
            health = await app.http.get("/healthz")
            assert health.status_code == 503 and health.json()["database"] == GONE
        # Another customer sends working credentials: they must not be told "Done". Nothing can be
        # put on record before the acknowledgement (issue 12 finding 3), so Slack gets a 503 and
        # sends the event again later, instead of the customer being told anything now.
        response = await app.send(event_callback(message_im(ENGLISH, f"{USERNAME} {TOKEN}")))
        assert response.status_code == 503
        await app.settle()
    said = texts(app, ENGLISH)
    assert "Done" not in said
    gone = [r for r in caplog.records if r.name == "storage.db" and "was deleted while serving" in r.getMessage()]
    assert len(gone) == 1  # one clear line, not one per request
    # Every statement is refused now, reads included: nothing goes to the unlinked file.
    async with app.ctx.desk.sessions() as session:
        with pytest.raises(Exception):
            await session.scalar(select(func.count()).select_from(Link))


def _serve_once(database: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`tokendesk serve` as an unprivileged user (root writes read-only files anyway); it must end
    by itself, so one still serving after 30 s is a failure."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    try:
        return subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-m", "bot.cli",
             "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(ROOT), "HOME": "/tmp"},
            cwd="/tmp", capture_output=True, text=True, timeout=30,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"serve started on a read-only database instead of stopping:\n{exc.stderr!r}")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop to nobody")
@pytest.mark.parametrize("case", ["file", "directory"])
def test_a_read_only_database_ends_with_one_clear_line(
    case: str, tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path
) -> None:
    base = Path(tempfile.mkdtemp(prefix="tokendesk-ro-"))
    try:
        base.chmod(0o755)
        folder = base / "data"
        folder.mkdir()
        database = folder / "tokendesk.db"
        shutil.copy(template_db, database)
        os.chown(database, 65534, 65534)
        if case == "file":
            os.chown(folder, 65534, 65534)
            database.chmod(0o400)
        else:  # the file is writable, its directory is not: no WAL or SHM can be made
            database.chmod(0o600)
            folder.chmod(0o755)
        done = _serve_once(database, environment(tmp_path, slack, nmbrs))
    finally:
        shutil.rmtree(base)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and str(database) in lines[0]
    assert ("not writable" if case == "file" else "directory") in lines[0]


def test_a_new_database_and_its_wal_are_private(tmp_path: Path) -> None:
    import asyncio

    from storage.db import create_engine
    from storage.migrate import upgrade

    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        async def make() -> None:
            engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
            try:
                await upgrade(engine)
                names = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
                assert names == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}
            finally:
                await engine.dispose()

        asyncio.run(make())
    finally:
        os.umask(old)
