"""`tokendesk invite`: the URL alone on stdout (or --json), only its hash stored, refusals named."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from storage.invitations import hash_secret
from tests.bot.cli.test_cli import run


def test_invite_prints_a_one_time_url_and_stores_only_its_hash(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "TOKENDESK_PUBLIC_URL": "https://desk.example.com",
           "TOKENDESK_INVITE_TTL": "12h"}
    plain = run("invite", "--name", "Acme BV", env=env, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    url = plain.stdout.strip()
    assert url.startswith("https://desk.example.com/i/") and len(url.rsplit("/", 1)[1]) == 43
    assert "Invitation I1 for Acme BV" in plain.stderr and url not in plain.stderr
    made = run("invite", "--name", "Globex", "--email", "hr@globex.nl", "--json", env=env, cwd=tmp_path)
    answer = json.loads(made.stdout)
    assert answer["id"] == "I2" and answer["email"] == "hr@globex.nl" and answer["url"].startswith("https://desk.example.com/i/")
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        rows = db.execute("SELECT secret_hash, name, email, created_platform, created_by FROM invitations ORDER BY id").fetchall()
    assert rows == [(hash_secret(url.rsplit("/", 1)[1]), "Acme BV", None, "cli", "operator"),
                    (hash_secret(answer["url"].rsplit("/", 1)[1]), "Globex", "hr@globex.nl", "cli", "operator")]


def test_invite_refuses_without_a_public_url_or_with_a_bad_address(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    off = run("invite", "--name", "Acme", env=env, cwd=tmp_path)
    assert off.returncode == 2 and "TOKENDESK_PUBLIC_URL" in off.stderr and off.stdout == ""
    env["TOKENDESK_PUBLIC_URL"] = "https://desk.example.com"
    bad = run("invite", "--name", "Acme", "--email", "not an address", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "--email" in bad.stderr and bad.stdout == ""
    secret = run("invite", "--name", "token=abcdef0123456789", env=env, cwd=tmp_path)
    assert secret.returncode == 2 and "looks like a token" in secret.stderr and "abcdef0123456789" not in secret.stderr
