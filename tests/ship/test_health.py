"""GET /healthz over real HTTP: 200 when the database answers and the scheduler runs, 503 with the reason otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.bot.slack.conftest import CUSTOMER, TOKEN, USERNAME, Served


async def test_healthy_names_each_check(app: Served) -> None:
    response = await app.http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    # serve registered the scheduler's own check (started by the lifespan), not the placeholder.
    assert body["scheduler"].startswith("next check ")
    assert set(body) == {"status", "database", "scheduler", "soap"}
    assert body["soap"] == "no nightly run yet"  # told, never failing /healthz
    assert len(response.headers["x-request-id"]) == 12


async def test_database_gone_is_503(app: Served, tmp_path: Path) -> None:
    database = tmp_path / "tokendesk.db"
    # The file (and its WAL) disappear and the path cannot be opened any more; pooled connections
    # still hold the old file, so they are closed as a restart of the pool would.
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    database.mkdir()
    await app.ctx.desk.engine.dispose()
    response = await app.http.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["database"] == "unavailable (OperationalError)"
    assert str(tmp_path) not in response.text  # the reason names the failure, never the DSN
    shutil.rmtree(database)


async def test_empty_database_in_its_place_is_503(app: Served, tmp_path: Path) -> None:
    """A new empty file where the database was (deleted, volume not mounted) answers `SELECT 1`, not us."""
    database = tmp_path / "tokendesk.db"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    await app.ctx.desk.engine.dispose()
    response = await app.http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "database file deleted or replaced; restore it and restart"


async def test_scheduler_stopped_is_503(app: Served) -> None:
    assert app.runtime.scheduler is not None
    await app.runtime.scheduler.shutdown()
    response = await app.http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "scheduler": "scheduler not running",
                               "soap": "no nightly run yet"}


async def test_health_shows_no_username_or_token(app: Served) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    text = (await app.http.get("/healthz")).text
    assert USERNAME not in text and TOKEN not in text and TOKEN[-4:] not in text

