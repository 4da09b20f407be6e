"""`tokendesk recheck` with REST configured, in its own process: the desk builds the REST gateway
from the settings and the nightly run refreshes and checks REST links next to SOAP ones."""

from __future__ import annotations

import json
from pathlib import Path

from bot.standins.nmbrs_rest import PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, PRACTICE_SUBSCRIPTION_KEY
from storage.models import utcnow
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    RestDesk,
    email_for,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
)
from tests.handlers.recheck.test_cli import environment, tokendesk


async def test_the_cli_run_checks_soap_and_rest_links(rest_sqlite_desk: RestDesk, sqlite_url: str, key_line: str,
                                                      tmp_path: Path) -> None:
    rd = rest_sqlite_desk
    rd.desk.account(1)
    rd.desk.time.now = utcnow()
    await rd.desk.link(1)
    rd.user(2)
    rest_id = await rd.link(2)
    before = await rd.refresh_token_of(rest_id)
    rd.nmbrs.reset_counters()
    env = environment(rd.desk, sqlite_url, key_line, NMBRS_CLIENT_ID=PRACTICE_CLIENT_ID,
                      NMBRS_CLIENT_SECRET=PRACTICE_CLIENT_SECRET, NMBRS_SUBSCRIPTION_KEY=PRACTICE_SUBSCRIPTION_KEY,
                      TOKENDESK_PUBLIC_URL="http://127.0.0.1:8765", TOKENDESK_NMBRS_IDENTITY_URL=rd.nmbrs.identity_url,
                      TOKENDESK_NMBRS_REST_URL=rd.nmbrs.api_url)
    done = tokendesk(["recheck", "--json"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["checked"] == 2 and summary["counts"]["active"] == 2 and summary["failed"] == 0
    assert rd.nmbrs.calls["token.refresh_token"] == 1 and rd.nmbrs.calls["user/info"] == 1
    after = await rd.refresh_token_of(rest_id)
    assert after != before and rd.nmbrs.live_refresh_tokens(email_for(2)) == 1
    for secret in (before, after, PRACTICE_CLIENT_SECRET, PRACTICE_SUBSCRIPTION_KEY):
        assert secret not in done.stdout + done.stderr
