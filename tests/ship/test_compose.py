"""compose.yaml is valid against the Compose specification's schema and wires tokendesk to PostgreSQL
as the README promises: secrets from .env, a named volume, health checks, a long enough stop."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.app import DRAIN_S, SETTLE_S
from tests.ship.recipe import instructions

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
BIN = Path(sys.executable).parent


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    # The schema ships inside check-jsonschema: no network.
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, timeout=60,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _seconds(duration: str) -> float:
    """A Compose duration ("1m30s", "45s", "500ms") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's "${VAR}", "${VAR:?message}", "${VAR:-default}" with these variables."""
    return re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", lambda m: env[m.group(1)], value)


def test_compose_file_passes_the_compose_specification_schema() -> None:
    result = _check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_wrong_file(tmp_path: Path) -> None:
    wrong = tmp_path / "compose.yaml"
    wrong.write_text(COMPOSE.read_text().replace("condition: service_healthy", "condition: healthy"))
    result = _check(wrong)
    assert result.returncode != 0 and "healthy" in result.stdout + result.stderr


def test_tokendesk_takes_secrets_from_env_file_and_waits_for_a_healthy_database(compose: dict) -> None:
    tokendesk, db = compose["services"]["tokendesk"], compose["services"]["db"]
    assert tokendesk["env_file"] in (".env", [".env"])
    assert tokendesk["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert tokendesk["build"] == "."
    # The password comes from .env, and Compose stops without it ("${VAR:?message}").
    for raw in (tokendesk["environment"]["DATABASE_URL"], db["environment"]["POSTGRES_PASSWORD"]):
        assert "${POSTGRES_PASSWORD:?" in raw
    # The database URL names the db service and the user, database and password it was created with.
    env = {"POSTGRES_PASSWORD": "0f3a9c"}
    url = urlsplit(_interpolate(tokendesk["environment"]["DATABASE_URL"], env))
    assert url.scheme == "postgresql" and url.hostname == "db" and url.port == 5432
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.path == "/" + db["environment"]["POSTGRES_DB"]
    assert url.password == _interpolate(db["environment"]["POSTGRES_PASSWORD"], env) == "0f3a9c"
    # No secret is written into the file itself.
    text = COMPOSE.read_text()
    assert not re.search(r"(TOKEN|SECRET|KEYS)\s*[:=]", text)


def test_postgres_data_lives_in_a_named_volume(compose: dict) -> None:
    volumes = compose["services"]["db"]["volumes"]
    named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in compose["volumes"]
    assert compose["services"]["db"]["image"].startswith("postgres:17")  # 18 moved its data directory


def test_health_checks_ask_healthz_and_pg_isready(compose: dict) -> None:
    tokendesk, db = compose["services"]["tokendesk"], compose["services"]["db"]
    probe = " ".join(tokendesk["healthcheck"]["test"])
    served = next(s for s in instructions((ROOT / "Dockerfile").read_text()) if s.keyword == "CMD")
    port = served.args[served.args.index("--port") + 1]
    assert f"http://127.0.0.1:{port}/healthz" in probe
    assert any(p.endswith(f":{port}") for p in tokendesk["ports"])
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "--host=127.0.0.1" in db["healthcheck"]["test"]
    assert f"--username={db['environment']['POSTGRES_USER']}" in db["healthcheck"]["test"]


def test_stop_grace_period_covers_the_drain(compose: dict) -> None:
    # serve's shutdown: listener work up to SETTLE_S, the outbox up to DRAIN_S, then closing; and
    # uvicorn's own wait for requests in flight before that.
    grace = _seconds(compose["services"]["tokendesk"]["stop_grace_period"])
    assert grace >= SETTLE_S + DRAIN_S + 10
    assert _seconds("1m30s") == 90 and _seconds("500ms") == 0.5


def test_env_example_names_what_compose_needs() -> None:
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^POSTGRES_PASSWORD=", example, flags=re.M)
    assert "docker compose" in (ROOT / "README.md").read_text()
