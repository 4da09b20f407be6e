"""`tokendesk apikeys` as an operator runs it (subprocesses), and the keys it makes against the live API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.apikeys import ApiKeyError, create_key, hash_key, verify_key
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import ApiKey
from tests.bot.api.conftest import Api, app_with_api
from tests.bot.api.server import serving


def tokendesk(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
        env={**env, "DATABASE_URL": database_url},
    )


async def test_create_list_use_and_revoke_a_key(sqlite_url: str, cipher: TokenCipher) -> None:
    created = tokendesk("apikeys", "create", "--name", "payroll sync", database_url=sqlite_url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("td_1_") and "\n" not in key
    assert "shown only this once" in created.stderr and key not in created.stderr

    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            [record] = (await session.scalars(select(ApiKey))).all()
        assert record.secret_hash == hash_key(key) and key not in repr(record)

        server_engine = create_engine(sqlite_url)
        with serving(app_with_api(session_factory(server_engine), cipher, []), on_shutdown=server_engine.dispose) as base:
            api = Api(url=f"{base}/api/v1")
            async with api.client(key) as client:
                assert (await client.get("/links")).status_code == 200

            listing = json.loads(tokendesk("apikeys", "list", "--json", database_url=sqlite_url).stdout)
            assert [(k["id"], k["name"], k["revoked_at"]) for k in listing] == [(1, "payroll sync", None)]
            assert listing[0]["last_used_at"] is not None
            table = tokendesk("apikeys", "list", database_url=sqlite_url).stdout
            assert "payroll sync" in table and "active" in table and key not in table

            revoked = tokendesk("apikeys", "revoke", "1", database_url=sqlite_url)
            assert revoked.returncode == 0 and "revoked" in revoked.stdout
            async with api.client(key) as client:
                assert (await client.get("/links")).status_code == 401
            again = tokendesk("apikeys", "revoke", "1", database_url=sqlite_url)
            assert again.returncode == 0 and "already revoked" in again.stdout
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["apikeys", "revoke", "7"], 1, "no API key with id 7"),
        (["apikeys", "create", "--name", "  "], 2, "needs a name"),
    ],
)
def test_bad_input_is_answered_clearly(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    result = tokendesk(*args, database_url=f"sqlite:///{tmp_path / 'td.db'}")
    assert result.returncode == code
    assert words in result.stderr and "Traceback" not in result.stderr


async def test_key_names_are_checked(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        with pytest.raises(ApiKeyError, match="at most 100"):
            await create_key(session, name="x" * 101)
        with pytest.raises(ApiKeyError, match="needs a name"):
            await create_key(session, name=" ")
        made = await create_key(session, name=" sync ")
        assert made.record.name == "sync"
        assert await verify_key(session, made.key) is made.record
        assert await verify_key(session, made.key + "x") is None
        assert await verify_key(session, made.key.replace("td_", "tx_")) is None
