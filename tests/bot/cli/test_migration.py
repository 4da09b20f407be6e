"""`tokendesk migration [--json]` as an operator runs it, on the SQLite file of a tracked move."""

from __future__ import annotations

import asyncio
import json

from tests.bot.cli.test_cli import run
from tests.handlers.migration.conftest import (  # noqa: F401 - fixtures
    Scene,
    desk,
    gateway,
    nmbrs,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
    sqlite_scene,
    sqlite_sessions,
    three_consented,
)


async def test_the_operator_sees_the_move(sqlite_scene: Scene, sqlite_url: str) -> None:
    await three_consented(sqlite_scene)
    env = {"DATABASE_URL": sqlite_url, "TOKENDESK_NMBRS_SOAP_UNTIL": "2027-06-30"}
    listed = await asyncio.to_thread(run, "migration", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    body = json.loads(listed.stdout)
    assert body["totals"]["to_move"] == 2 and body["totals"]["covered"] == 3 and body["soap_until"] == "2027-06-30"
    assert [link["short_id"] for link in body["links"]] == [f"L{sqlite_scene.soap_link}"]
    assert sorted(d["number"] for d in body["links"][0]["debtors"] if d["state"] == "to_move") == ["4", "5"]
    text = await asyncio.to_thread(run, "migration", env={"DATABASE_URL": sqlite_url})
    assert text.returncode == 0, text.stderr
    assert "to move: 2" in text.stdout and "no date set" in text.stdout and "kantoor" in text.stdout


def test_a_bad_date_is_named(sqlite_url: str) -> None:
    bad = run("migration", env={"DATABASE_URL": sqlite_url, "TOKENDESK_NMBRS_SOAP_UNTIL": "30-06-2027"})
    assert bad.returncode == 2 and "TOKENDESK_NMBRS_SOAP_UNTIL" in bad.stderr and "YYYY-MM-DD" in bad.stderr


def test_the_mode_is_named_when_rest_is_configured(sqlite_url: str) -> None:
    rest = {"NMBRS_CLIENT_ID": "tokendesk", "NMBRS_CLIENT_SECRET": "s3cret", "NMBRS_SUBSCRIPTION_KEY": "key",
            "TOKENDESK_PUBLIC_URL": "https://desk.example.com"}
    past = run("migration", env={"DATABASE_URL": sqlite_url, "TOKENDESK_NMBRS_SOAP_UNTIL": "2020-01-01", **rest})
    assert past.returncode == 0, past.stderr
    assert "Connecting: REST only (SOAP stop date 2020-01-01)" in past.stdout
    later = run("migration", env={"DATABASE_URL": sqlite_url, "TOKENDESK_NMBRS_SOAP_UNTIL": "2999-01-01", **rest})
    assert "Connecting: SOAP and REST (SOAP stop date 2999-01-01)" in later.stdout
    soap = run("migration", env={"DATABASE_URL": sqlite_url, "TOKENDESK_NMBRS_SOAP_UNTIL": "2020-01-01"})
    assert soap.returncode == 0 and "Connecting:" not in soap.stdout  # SOAP only prints what it always did
