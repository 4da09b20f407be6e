"""The consent routes over HTTP in the running app: the redirect to Nmbrs and its cookie, the result
page (language, headers, escaping), the chat answer and support's thread, and the access log."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from bot.standins.nmbrs_rest import consent
from bot.standins.slack.workspace import dm_channel
from storage.models import Link, SupportThread
from tests.bot.pages.rest_app import (  # noqa: F401 - fixtures
    CUSTOMER,
    EMAIL,
    PASSWORD,
    RestServed,
    query_of,
    rest_app,
    rest_nmbrs,
    rest_server,
)
from tests.bot.slack.conftest import ENGLISH, SUPPORT_CHANNEL, nmbrs, serving, slack  # noqa: F401

EN = {"Accept-Language": "en-GB,en;q=0.9"}
NL = {"Accept-Language": "nl-NL,nl;q=0.9"}


async def start(app: RestServed, http: httpx.AsyncClient, **ticket: object) -> httpx.Response:
    response = await http.get(await app.start_path(**ticket))
    assert response.status_code == 302, response.text
    return response


async def through_nmbrs(app: RestServed, http: httpx.AsyncClient, *, button: str = "allow") -> httpx.Response:
    """Start, consent on the stand-in's form, and follow Nmbrs' redirect back with the browser's cookies."""
    started = await start(app, http)
    location = await consent(started.headers["location"], email=EMAIL, password=PASSWORD, button=button)  # type: ignore[arg-type]
    assert location.startswith(app.url + "/connect/nmbrs/callback?")
    return await http.get(location.removeprefix(app.url))


async def links(app: RestServed) -> list[Link]:
    async with app.served.ctx.desk.sessions() as session:
        return list((await session.scalars(select(Link))).all())


async def test_start_redirects_to_nmbrs_with_a_cookie_only_the_callback_gets(rest_app: RestServed) -> None:
    started = await start(rest_app, rest_app.served.http)
    target = query_of(started.headers["location"])
    assert started.headers["location"].startswith(rest_app.rest.authorize_endpoint + "?")
    assert target["response_type"] == "code" and target["client_id"] == "tokendesk-practice"
    assert target["redirect_uri"] == rest_app.url + "/connect/nmbrs/callback"
    assert target["scope"] == "offline_access user.info.read debtor.info.read company.info.read"
    assert target["code_challenge_method"] == "S256" and len(target["code_challenge"]) == 43
    cookie = started.headers["set-cookie"]
    assert cookie.startswith("td_consent=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/connect/nmbrs" in cookie and "Max-Age=600" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https turns it on (test below)
    assert started.headers["referrer-policy"] == "no-referrer" and started.headers["cache-control"] == "no-store"


async def test_a_consent_shows_the_debtor_tells_the_chat_and_opens_a_rest_thread(rest_app: RestServed) -> None:
    async with httpx.AsyncClient(base_url=rest_app.url, headers=NL) as browser:
        page = await through_nmbrs(rest_app, browser)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text  # the ticket's person's language, not the browser's
    assert "Connected: your Nmbrs link works" in page.text and "Acme Holding" in page.text
    assert "Acme Payroll B.V." in page.text and "You can close this tab." in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    assert "td_consent=" in page.headers["set-cookie"] and "Max-Age=0" in page.headers["set-cookie"]
    [link] = await links(rest_app)
    assert (link.kind, link.platform, link.user_id, link.debtor_name) == ("rest", "slack", ENGLISH, "Acme Holding")
    await rest_app.served.settle()
    [answer] = rest_app.served.posts(dm_channel(ENGLISH))
    assert "Connected: your Nmbrs link works" in answer["text"] and "Acme Holding" in str(answer["blocks"])
    [parent] = rest_app.served.posts(SUPPORT_CHANNEL)
    assert "REST" in str(parent["blocks"]) and "Acme Holding" in str(parent["blocks"])
    async with rest_app.served.ctx.desk.sessions() as session:
        assert len((await session.scalars(select(SupportThread))).all()) == 1


async def test_a_replayed_callback_gets_the_clear_page_and_stores_nothing_more(rest_app: RestServed) -> None:
    async with httpx.AsyncClient(base_url=rest_app.url, headers=EN) as browser:
        page = await through_nmbrs(rest_app, browser)
        assert page.status_code == 200
        again = await browser.get(str(page.request.url).removeprefix(rest_app.url))
    assert again.status_code == 400 and "This consent page is no longer valid" in again.text
    assert rest_app.rest.calls["token.authorization_code"] == 1 and len(await links(rest_app)) == 1


async def test_a_callback_in_another_browser_is_refused(rest_app: RestServed) -> None:
    async with httpx.AsyncClient(base_url=rest_app.url) as victim, \
            httpx.AsyncClient(base_url=rest_app.url, headers=NL) as attacker:
        started = await start(rest_app, victim)
        location = await consent(started.headers["location"], email=EMAIL, password=PASSWORD)
        await start(rest_app, attacker)  # the attacker has a cookie of their own
        page = await attacker.get(location.removeprefix(rest_app.url))
    assert page.status_code == 400 and "Deze koppelpagina is niet meer geldig" in page.text
    assert rest_app.rest.calls["token.authorization_code"] == 0 and await links(rest_app) == []


async def test_cancel_is_friendly_and_the_chat_offers_the_button_again(rest_app: RestServed) -> None:
    async with httpx.AsyncClient(base_url=rest_app.url) as browser:
        page = await through_nmbrs(rest_app, browser, button="cancel")
    assert page.status_code == 200 and "Nothing connected" in page.text
    await rest_app.served.settle()
    [answer] = rest_app.served.posts(dm_channel(ENGLISH))
    assert "Nothing connected" in answer["text"]
    assert await links(rest_app) == []


async def test_a_scope_withheld_is_refused_on_the_page_and_in_chat(rest_app: RestServed) -> None:
    rest_app.rest.users[EMAIL].withheld_scopes = frozenset({"debtor.info.read"})
    async with httpx.AsyncClient(base_url=rest_app.url) as browser:
        page = await through_nmbrs(rest_app, browser)
    assert "Not every permission was granted" in page.text and "debtor.info.read" in page.text
    assert rest_app.rest.live_refresh_tokens() == 0 and await links(rest_app) == []
    await rest_app.served.settle()
    [answer] = rest_app.served.posts(dm_channel(ENGLISH))
    assert "Not every permission was granted" in answer["text"]


async def test_an_unknown_ticket_and_an_odd_error_get_clear_escaped_pages(rest_app: RestServed) -> None:
    gone = await rest_app.served.http.get("/connect/nmbrs/start?t=" + "A" * 43, headers=NL)
    assert gone.status_code == 404 and "Deze knop is verlopen" in gone.text
    assert (await rest_app.served.http.get("/connect/nmbrs/start", headers=EN)).status_code == 404
    nasty = await rest_app.served.http.get("/connect/nmbrs/callback",
                                           params={"state": "<script>", "error": "<b>x</b>"}, headers=EN)
    assert nasty.status_code == 400 and "<script>" not in nasty.text and "<b>" not in nasty.text


async def test_the_access_log_never_shows_tickets_states_or_codes(rest_app: RestServed,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = await rest_app.start_path()
    ticket = query_of(path)["t"]
    async with serving(rest_app.served.runtime.web_app, lifespan="off", access_log=True) as url:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            async with httpx.AsyncClient(base_url=url) as http:
                started = await http.get(path)
                state = query_of(started.headers["location"])["state"]
                await http.get("/connect/nmbrs/callback", params={"state": state, "code": "c0de-Secret-1"})
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 2 and all("/connect/nmbrs/" in line and "?[redacted]" in line for line in lines), lines
    assert not any(ticket in line or state in line or "c0de-Secret-1" in line for line in lines)


async def test_with_an_https_public_url_the_cookie_is_secure_and_hsts_is_sent(rest_app: RestServed) -> None:
    from fastapi import FastAPI

    from bot.pages import ConsentPages

    pages = ConsentPages(rest_app.connect, brand="x", default_lang="nl", https=True)
    app = FastAPI()
    app.include_router(pages.router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.example") as http:
        started = await http.get(await rest_app.start_path())
    assert started.status_code == 302 and "Secure" in started.headers["set-cookie"]
    assert started.headers["strict-transport-security"].startswith("max-age=")


async def test_a_failure_on_our_side_is_a_page_in_words_not_a_bare_error(rest_app: RestServed) -> None:
    async with httpx.AsyncClient(base_url=rest_app.url, headers=EN) as browser:
        started = await start(rest_app, browser)
        location = await consent(started.headers["location"], email=EMAIL, password=PASSWORD)
        # Our own database loses a table between the two requests: an error the callback cannot answer.
        async with rest_app.served.ctx.desk.engine.begin() as conn:
            await conn.exec_driver_sql("DROP TABLE oauth_states")
        page = await browser.get(location.removeprefix(rest_app.url))
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
