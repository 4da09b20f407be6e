"""The `tokendesk` command line as an operator runs it: real subprocesses, real SQLite files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from storage.cipher import generate_key_line, parse_keys

COMMANDS = [[], ["serve"], ["validate"], ["recheck"], ["keys"], ["keys", "generate"], ["keys", "rotate"], ["copy-db"],
            ["migrate"], ["links"], ["apikeys"], ["apikeys", "create"], ["apikeys", "list"], ["apikeys", "revoke"],
            ["webhooks"], ["invite"], ["migration"]]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, input=stdin,
        env={**base, **(env or {})}, cwd=cwd, timeout=60,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_help_works(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: tokendesk" in result.stdout


def test_version_prints_the_installed_version_without_loading_the_chat_sdks() -> None:
    probe = (
        "import sys; from bot.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        "loaded = sorted(m for m in ('microsoft_teams', 'slack_bolt', 'sqlalchemy') if m in sys.modules)\n"
        "print('exit', code, 'loaded', loaded)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tokendesk {version('tokendesk')}\nexit 0 loaded []\n"
    assert run("--version").stdout == f"tokendesk {version('tokendesk')}\n"


def test_keys_generate_prints_a_usable_line() -> None:
    result = run("keys", "generate", "--id", "prod1")
    assert result.returncode == 0
    line = result.stdout.strip()
    assert line.startswith("prod1:")
    assert len(parse_keys(line)["prod1"]) == 32


def test_migrate_then_links_json(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'td.db'}"}
    first = run("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "(was empty)" in first.stdout
    again = run("migrate", env=env)
    assert again.returncode == 0 and "was" not in again.stdout
    listing = run("links", "--json", env=env)
    assert listing.returncode == 0 and json.loads(listing.stdout) == []


def test_bad_settings_stop_with_one_message_and_no_traceback(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "oracle://nope", "TOKENDESK_TIMEZONE": "Nowhere/City"}
    result = run("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "TOKENDESK_TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_keys_stop_rotate_cleanly(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'td.db'}", "TOKENDESK_KEYS": "k1:tooshort"}
    result = run("keys", "rotate", env=env)
    assert result.returncode == 2
    assert "TOKENDESK_KEYS key k1" in result.stderr and "Traceback" not in result.stderr
    assert "tooshort" not in result.stderr


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    from storage.keyfile import key_file_for, load_cipher

    url = f"sqlite:///{tmp_path / 'data' / 'td.db'}"
    cipher = load_cipher(keys=None, database_url=url)
    path = key_file_for(url)
    assert path is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_cipher(keys=None, database_url=url)
    assert again.key_ids == cipher.key_ids
    sealed = cipher.seal("abc", row="link:1")
    assert again.open(sealed, row="link:1") == "abc"


def test_key_file_warning_says_where(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from storage.keyfile import load_cipher

    url = f"sqlite:///{tmp_path / 'td.db'}"
    with caplog.at_level("WARNING"):
        load_cipher(keys=None, database_url=url)
    assert str(tmp_path / "td.db.keys") in caplog.text
    assert "losing it loses every token" in caplog.text


def test_postgres_requires_keys() -> None:
    from storage.cipher import KeyConfigError
    from storage.keyfile import load_cipher

    with pytest.raises(KeyConfigError, match="required with PostgreSQL"):
        load_cipher(keys=None, database_url="postgresql://u@127.0.0.1/db")


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    from storage.cipher import KeyConfigError
    from storage.keyfile import load_cipher

    (tmp_path / "td.db.keys").write_text(generate_key_line("k1"))
    os.chmod(tmp_path / "td.db.keys", 0o644)
    with pytest.raises(KeyConfigError, match="chmod 600"):
        load_cipher(keys=None, database_url=f"sqlite:///{tmp_path / 'td.db'}")


def test_keys_rotate_cli_on_a_real_database(tmp_path: Path) -> None:
    import asyncio

    from storage.cipher import TokenCipher
    from storage.db import create_engine, session_factory
    from storage.links import store_credentials
    from storage.migrate import upgrade
    from storage.models import LinkState

    old, new = generate_key_line("old"), generate_key_line("new")
    url = f"sqlite:///{tmp_path / 'td.db'}"

    async def seed() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            for i in range(5):
                await store_credentials(session, TokenCipher(parse_keys(old)), username=f"u{i}@x.nl",
                                        token=f"{i:032x}", environment="e", state=LinkState.ACTIVE,
                                        platform="slack", team_id="T", user_id="U")
        await engine.dispose()

    asyncio.run(seed())
    result = run("keys", "rotate", env={"DATABASE_URL": url, "TOKENDESK_KEYS": f"{new},{old}"})
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 5 rows under key new" in result.stdout
    again = run("keys", "rotate", env={"DATABASE_URL": url, "TOKENDESK_KEYS": new})
    assert again.returncode == 0 and "re-encrypted 0 rows" in again.stdout
