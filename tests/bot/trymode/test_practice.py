"""The practice Nmbrs controls of the /try page, through its routes, seen where they matter: in what
the desk's nightly check finds and what it tells the support channel."""

from __future__ import annotations

import asyncio
import html
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.slack.command_blocks import REVOKE_CANCEL, REVOKE_CONFIRM
from bot.standins.nmbrs_rest.browser import consent as browser_consent
from bot.standins.slack.workspace import TEAM_ID
from bot.trymode.practice import CONSENTS_FILE, SUPPORT_CHANNEL
from bot.trymode.run import TryDesk, running
from handlers.model import Person

MARK, MARK_USER = "mark@jansen-accountants.nl", "U0TRYMARK"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[TryDesk]:
    async with running(tmp_path / "try", port=0) as desk:
        yield desk


async def _until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _support_text(desk: TryDesk) -> str:
    return " ".join(str(m.get("text", "")) + str(m.get("blocks", "")) for m in desk.slack.messages(SUPPORT_CHANNEL))


async def _recheck(http: httpx.AsyncClient, desk: TryDesk) -> str:
    assert (await http.post("/try/practice", json={"control": "recheck"})).status_code == 200
    await _until(lambda: desk.practice.status.startswith("The nightly check ran"))
    return desk.practice.status


async def test_controls_change_what_the_nightly_check_finds(desk: TryDesk) -> None:
    login = next(item for item in desk.logins if item.username == MARK)
    async with httpx.AsyncClient(base_url=desk.url) as http:
        await http.post("/try/dm", json={"customer": MARK_USER, "text": f"{MARK} {login.token}"})
        await _until(lambda: f"{MARK} — works" in _support_text(desk))

        # A company taken out of the login's filter: a scope change, not a break.
        answer = await http.post("/try/practice", json={"control": "remove_company", "username": MARK, "company": 53004})
        assert answer.status_code == 200
        assert "1 active" in await _recheck(http, desk)
        await _until(lambda: "companies removed" in _support_text(desk))

        # Nmbrs unreachable: transient, the link stays active; reachable again afterwards.
        await http.post("/try/practice", json={"control": "unreachable"})
        state = (await http.get("/try/state", params={"customer": MARK_USER})).json()
        assert "Nmbrs is unreachable" in state["practice"]
        assert "1 active" in await _recheck(http, desk)
        await http.post("/try/practice", json={"control": "unreachable"})
        assert desk.practice.reachable

        # API calls switched off in the template: 1002, confirmed after the short delay, broken.
        await http.post("/try/practice", json={"control": "toggle_calls", "username": MARK})
        assert "1 broken" in await _recheck(http, desk)
        await _until(lambda: "Stopped working" in _support_text(desk))

        # Nonsense is refused with a reason.
        refused = await http.post("/try/practice", json={"control": "reset_token", "username": "nobody@x.nl"})
        assert refused.status_code == 400 and refused.json()["error"] == "no such practice login"
        for control in ("revoke_consent", "toggle_subscription"):
            refused = await http.post("/try/practice", json={"control": control, "username": "nobody@x.nl"})
            assert refused.status_code == 400 and refused.json()["error"] == "no such practice consent login"
        not_json = await http.post("/try/practice", content=b"control=recheck",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert not_json.status_code == 400


async def test_revoke_asks_to_confirm_through_the_real_buttons(desk: TryDesk) -> None:
    login = next(item for item in desk.logins if item.username == MARK)
    async with httpx.AsyncClient(base_url=desk.url) as http:
        await http.post("/try/dm", json={"customer": MARK_USER, "text": f"{MARK} {login.token}"})
        await _until(lambda: f"{MARK} — works" in _support_text(desk))
        await http.post("/try/command", json={"text": "/nmbrs revoke L1"})
        state = (await http.get("/try/state", params={"customer": MARK_USER})).json()
        assert 'data-origin="{&quot;kind&quot;:&quot;command&quot;,&quot;id&quot;:1}"' in state["channel"]
        # The answer asks first: a confirm and a cancel button, and nothing is revoked yet.
        button = next(part for part in state["channel"].split("<button")[1:] if f'data-action="{REVOKE_CONFIRM}"' in part)
        assert f'data-action="{REVOKE_CANCEL}"' in state["channel"]
        assert "revoked" not in _support_text(desk).lower()
        value = html.unescape(button.split('data-value="')[1].split('"')[0])
        answer = await http.post("/try/action", json={"origin": '{"kind":"command","id":1}', "action": REVOKE_CONFIRM,
                                                      "value": value, "block": ""})
        assert answer.status_code == 200
        await _until(lambda: "revoked" in _support_text(desk).lower())
        # The confirmation replaced the question in place (response_url, replace_original).
        await _until(lambda: f'data-action="{REVOKE_CONFIRM}"' not in desk.console.state(MARK_USER)["channel"])


async def test_serve_has_no_try_page_and_no_try_mode(tmp_path: Path) -> None:
    from bot.app import build_runtime
    from bot.standins.nmbrs.server import NmbrsStandIn
    from bot.standins.slack.server import SlackStandIn
    from tests.bot.slack.conftest import make_settings, serving

    with SlackStandIn() as slack, NmbrsStandIn() as nmbrs:
        runtime = await build_runtime(make_settings(tmp_path, slack, nmbrs), scheduler=False)
        try:
            async with serving(runtime.web_app) as url, httpx.AsyncClient(base_url=url) as http:
                assert (await http.get("/try")).status_code == 404
                assert (await http.get("/try/state", params={"customer": MARK_USER})).status_code == 404
                assert "mode" not in (await http.get("/healthz")).json()
        finally:
            await runtime.aclose()


async def test_a_rest_link_made_in_try_mode_still_renews_after_a_restart(tmp_path: Path) -> None:
    """The desk's REST settings point at the practice identity server and API; a consent given on its
    page makes a REST link; the practice Nmbrs keeps its consents (and the ids of its debtors) between
    runs, so the next run's nightly check renews that link instead of finding it broken."""
    directory = tmp_path / "try"
    anne = Person(platform="slack", team_id=TEAM_ID, user_id="U0TRYANNE", lang="nl")
    async with running(directory, port=0) as desk:
        assert desk.rest is not None and {c.email for c in desk.consent_logins} == set(desk.rest.users)
        consent = next(c for c in desk.consent_logins if c.email == "anne@bakkerij-devries.nl")
        debtor_id = desk.rest.users[consent.email].debtor.id
        connect = desk.runtime.ctx.connect
        assert connect is not None
        start = await connect.ticket_url(anne)
        async with httpx.AsyncClient(base_url=desk.url, timeout=30) as http:
            assert "SOAP and REST" in (await http.get("/healthz")).json()["connecting"]
            started = await http.get(start.removeprefix(desk.url))
            assert started.headers["location"].startswith(desk.rest.authorize_endpoint)
            back = await browser_consent(started.headers["location"], email=consent.email, password=consent.password)
            page = await http.get(back.removeprefix(desk.url))
            assert page.status_code == 200 and "Bakkerij De Vries" in page.text
            assert "1 checked, 0 failures confirmed; links now: 1 active" in await _recheck(http, desk)
        # Kept while running too (a killed try mode loses seconds, not the consents).
        await _until(lambda: consent.email in (directory / CONSENTS_FILE).read_text()
                     if (directory / CONSENTS_FILE).exists() else False)
    async with running(directory, port=0) as again:
        assert again.rest is not None and again.rest.users[consent.email].debtor.id == debtor_id
        async with httpx.AsyncClient(base_url=again.url, timeout=30) as http:
            assert "1 checked, 0 failures confirmed; links now: 1 active" in await _recheck(http, again)
        assert again.rest.live_refresh_tokens(consent.email) == 1


async def test_a_dm_the_desk_could_not_take_is_sent_again_as_slack_would(
        desk: TryDesk, caplog: pytest.LogCaptureFixture) -> None:
    """The desk answers 503 while its database is locked past the acknowledgement's 2 s; Slack sends
    the event again (X-Slack-Retry-Num), and so does the local Slack of try mode: the DM is answered."""
    login = next(item for item in desk.logins if item.username == MARK)
    blocker = sqlite3.connect(desk.runtime.ctx.desk.settings.database_url.removeprefix("sqlite:///"),
                              isolation_level=None, timeout=10, check_same_thread=False)
    try:
        await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
        release = asyncio.get_running_loop().call_later(
            2.5, lambda: blocker.execute("ROLLBACK"))  # after the first answer (503), before the retry
        async with httpx.AsyncClient(base_url=desk.url, timeout=30) as http:
            sent = await http.post("/try/dm", json={"customer": MARK_USER, "text": f"{MARK} {login.token}"})
        assert sent.status_code == 200
        release.cancel()
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
    assert "/slack/events answered 503; Slack would retry: retry 1" in caplog.text
    await _until(lambda: f"{MARK} — works" in _support_text(desk))
