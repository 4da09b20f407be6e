"""/healthz's `soap` line after a night against a mistyped TOKENDESK_NMBRS_URL: the SOAP stand-in answers the
wrong path with HTTP 404, the run weighs it as a switch-off, and the operator is told both readings."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli.recheck import recheck_now
from bot.config import Settings
from bot.standins.slack.workspace import TEAM_ID
from storage.links import store_credentials
from storage.models import LinkState
from tests.bot.slack.conftest import CUSTOMER, Served


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a typo in the SOAP URL's path."""
    return settings.model_copy(update={"nmbrs_url": settings.nmbrs_url.replace("/soap/v3/", "/soap/v3x/")})


async def test_healthz_names_both_readings_after_a_night_of_404s(app: Served, settings: Settings) -> None:
    before = await app.http.get("/healthz")
    assert before.status_code == 200 and before.json()["soap"] == "no nightly run yet"
    async with app.ctx.desk.sessions() as session, session.begin():
        for n in range(10):
            await store_credentials(
                session, app.ctx.desk.cipher, username=f"hr{n}@acme.nl", token=f"{n:032x}", environment="acme",
                state=LinkState.ACTIVE, platform="slack", team_id=TEAM_ID, user_id=CUSTOMER,
            )
    out = io.StringIO()
    assert await recheck_now(settings, as_json=True, out=out) == 0
    summary = json.loads(out.getvalue())
    assert summary["soap"] == {"verdict": "switched_off", "checks": 10, "signs": 10}
    assert app.nmbrs.total_calls == 10 and sum(app.nmbrs.calls.values()) == 0  # all at the wrong path

    after = await app.http.get("/healthz")
    assert after.status_code == 200 and after.json()["status"] == "ok"  # news for the operator, not a failure
    assert after.json()["soap"] == (
        f"looks switched off (run {summary['run_id']}: 10 of 10 SOAP checks answered as a retired API): either "
        "Nmbrs has switched the SOAP API off or TOKENDESK_NMBRS_URL is wrong (`tokendesk validate --soap-url` "
        "tells them apart)")
