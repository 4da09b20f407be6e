"""The invitation page over real HTTP into the running app, Nmbrs stand-in behind it: language,
headers, CSRF, the neutral page, the result in the chat's words, the slow page, the access log."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, update

import bot.pages.invite as invite_page
from bot.pages.security import CSP
from storage.models import Invitation, Link, utcnow
from tests.bot.pages.conftest import STAFF, invite
from tests.bot.slack.conftest import SUPPORT_CHANNEL, TOKEN, USERNAME, Served, serving

NL = {"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
WRONG = "0" * 31 + "f"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def post_with(app: Served, path: str, data: dict[str, str], cookies: httpx.Cookies | None) -> httpx.Response:
    """POST with exactly these cookies (the client's jar would otherwise send what it kept)."""
    app.http.cookies.clear()
    if cookies is not None:
        app.http.cookies.update(cookies)
    return await app.http.post(path, data=data)


async def post_form(app: Served, path: str, page: httpx.Response, *, username: str = USERNAME, token: str = TOKEN,
                    lang: str = "nl") -> httpx.Response:
    # The cookie of the page that showed the form (a result page re-sends the same one).
    cookies = page.cookies or app.http.cookies
    return await post_with(app, path, {"csrf": csrf_of(page.text), "lang": lang, "username": username,
                                       "token": token}, httpx.Cookies(cookies))


async def result_of(app: Served, posted: httpx.Response) -> httpx.Response:
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    assert re.fullmatch(r"/i/[A-Za-z0-9_-]{43}/r/[A-Za-z0-9_-]{22}", location)
    return await app.http.get(location)


def assert_page_headers(response: httpx.Response, *, hsts: bool = False) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert ("strict-transport-security" in response.headers) is hsts


async def test_the_page_speaks_the_browsers_language_and_offers_the_form(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    dutch = await app.http.get(path, headers=NL)
    assert dutch.status_code == 200 and '<html lang="nl">' in dutch.text
    assert "Loonkoppeling &amp; Co vraagt je om je Nmbrs-omgeving te koppelen." in dutch.text  # escaped brand
    assert 'type="password"' in dutch.text and 'name="token"' in dutch.text and 'method="post"' in dutch.text
    assert "gebruikersprofiel" in dutch.text and "klantlogin" in dutch.text  # where the token is, both levels
    assert "<script" not in dutch.text and 'href="/static/pages/invite.css"' in dutch.text
    assert f'href="{path}?lang=en"' in dutch.text
    assert_page_headers(dutch)
    cookie = dutch.headers["set-cookie"].lower()
    assert "td_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "path=/i/" in cookie
    english = await app.http.get(path, headers=EN)
    assert '<html lang="en">' in english.text and "asks you to connect your Nmbrs environment" in english.text
    switched = await app.http.get(f"{path}?lang=en", headers=NL)
    assert '<html lang="en">' in switched.text and f'href="{path}?lang=nl"' in switched.text
    css = await app.http.get("/static/pages/invite.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"] == CSP and css.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("public_url", ["https://desk.example.com"])
async def test_hsts_when_the_public_url_is_https(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    page = await app.http.get(path)
    assert_page_headers(page, hsts=True)
    assert "secure" in page.headers["set-cookie"].lower()
    assert invitations.url("x").startswith("https://desk.example.com/i/")


async def test_unknown_expired_used_and_revoked_links_look_the_same(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    expired, used, revoked = await invite(invitations), await invite(invitations), await invite(invitations)
    async with app.ctx.desk.sessions() as session, session.begin():
        await session.execute(update(Invitation).where(Invitation.id == 1).values(expires_at=utcnow()))
        await session.execute(update(Invitation).where(Invitation.id == 2).values(used_at=utcnow()))
    await invitations.revoke(person=STAFF, short_id="I3")
    unknown = "/i/" + secrets.token_urlsafe(32)
    answers = [await app.http.get(path, headers=NL) for path in (unknown, "/i/short", expired, used, revoked)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert "Vraag je contactpersoon om een nieuwe link." in answers[0].text
    assert all("set-cookie" not in a.headers for a in answers)
    for answer in answers:
        assert_page_headers(answer)
    posted = await app.http.post(used, data={"csrf": "x", "username": USERNAME, "token": TOKEN})
    assert posted.status_code == 404 and posted.text == answers[0].text
    assert app.nmbrs.total_calls == 0


async def test_a_form_without_its_csrf_token_and_cookie_is_refused_unchecked(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    other = await invite(invitations, name="Globex")
    page = await app.http.get(path, headers=NL)
    other_page = await app.http.get(other, headers=NL)
    form = {"lang": "nl", "username": USERNAME, "token": TOKEN}
    # One browser keeps one cookie across invitations: the token alone tells them apart.
    assert page.cookies["td_csrf"] == other_page.cookies["td_csrf"]
    attempts = [
        await post_with(app, path, form, None),  # no token, no cookie
        await post_with(app, path, {**form, "csrf": csrf_of(page.text)}, None),  # token without its cookie
        await post_with(app, path, {**form, "csrf": "0" * 64}, page.cookies),  # cookie, wrong token
        # Another invitation's token and cookie: bound to that invitation, not this one.
        await post_with(app, path, {**form, "csrf": csrf_of(other_page.text)}, other_page.cookies),
    ]
    for refused in attempts:
        assert refused.status_code == 403
        assert "Deze pagina was verlopen" in refused.text and 'type="password"' in refused.text
        assert_page_headers(refused)
    assert app.nmbrs.total_calls == 0
    assert await invitations.find(path.rsplit("/", 1)[1]) is not None


async def test_wrong_token_then_right_one_then_the_link_is_spent(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    page = await app.http.get(path, headers=NL)
    wrong = await result_of(app, await post_form(app, path, page, token=WRONG))
    assert wrong.status_code == 200 and "Nmbrs herkent deze inloggegevens niet" in wrong.text
    assert "kopieer het e-mailadres en het token allebei opnieuw" in wrong.text
    assert "Je kunt het dit uur nog 4 keer proberen." in wrong.text
    assert f'value="{USERNAME}"' in wrong.text and WRONG not in wrong.text  # the e-mail kept, the token never
    assert_page_headers(wrong)
    right = await result_of(app, await post_form(app, path, wrong))
    assert right.status_code == 200 and "Acme Holding" in right.text and "Acme B.V." in right.text
    assert "&lt;!channel&gt; &amp; Zonen" in right.text  # Nmbrs' names escaped
    assert "…cdef" in right.text and TOKEN not in right.text and 'type="password"' not in right.text
    again = await app.http.get(path, headers=NL)
    assert again.status_code == 404 and "Vraag je contactpersoon om een nieuwe link." in again.text
    await app.settle()
    async with app.ctx.desk.sessions() as session:
        link = (await session.scalars(select(Link))).one()
    assert (link.platform, link.user_id, link.state) == ("web", "I1", "active")
    support = " ".join(str(p.get("blocks") or p.get("text")) for p in app.posts(SUPPORT_CHANNEL))
    assert "de klant, op de uitnodigingspagina (I1)" in support  # the thread says where it came from
    assert "Gekoppeld via uitnodiging" in support and "hr@acme.nl" in support and "<@U0STAFF>" in support


async def test_while_nmbrs_is_slow_the_result_page_says_so_and_refreshes(app: Served, invitations,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(invite_page, "WAIT_S", 0.05)
    app.nmbrs.latency_s = 0.6
    path = await invite(invitations)
    page = await app.http.get(path, headers=EN)
    posted = await post_form(app, path, page, lang="en")
    slow = await result_of(app, posted)
    assert slow.status_code == 200 and "Nmbrs has not answered yet" in slow.text
    assert '<meta http-equiv="refresh" content="2">' in slow.text and "<script" not in slow.text
    for _ in range(100):  # what the browser does: come back until the answer is there
        await asyncio.sleep(0.1)
        done = await app.http.get(posted.headers["location"])
        if "refresh" not in done.text:
            break
    assert "Acme Holding" in done.text and "refresh" not in done.text


async def test_the_limit_shows_on_the_page(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    page = await app.http.get(path, headers=EN)
    for _ in range(5):
        page = await result_of(app, await post_form(app, path, page, token=WRONG, lang="en"))
    assert "That was your last attempt for this hour." in page.text
    limited = await result_of(app, await post_form(app, path, page, lang="en"))
    assert "Too many attempts that Nmbrs rejected" in limited.text and 'type="password"' in limited.text


async def test_the_access_log_never_shows_the_secret(app: Served, invitations, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    async with serving(app.runtime.web_app, lifespan="off", access_log=True) as url:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            async with httpx.AsyncClient(base_url=url) as http:
                assert (await http.get(path + "?lang=en")).status_code == 200
                assert (await http.get("/i/" + "A" * 43)).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 2 and all("/i/[secret]" in line for line in lines), lines
    assert not any(path[3:] in line or "A" * 43 in line for line in lines)


async def test_when_nmbrs_cannot_be_reached_the_page_says_the_contact_will_tell(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    app.nmbrs.fail_next("html503", count=10)
    path = await invite(invitations)
    page = await app.http.get(path, headers=EN)
    waiting = await result_of(app, await post_form(app, path, page, lang="en"))
    assert "your contact hears the outcome" in waiting.text and "send you a message" not in waiting.text
    assert 'type="password"' not in waiting.text  # kept encrypted and checked again: nothing to retype


async def test_a_body_larger_than_a_form_is_refused(app: Served, invitations) -> None:  # type: ignore[no-untyped-def]
    path = await invite(invitations)
    page = await app.http.get(path)

    async def chunks() -> AsyncIterator[bytes]:  # streamed: no Content-Length to refuse it by
        for _ in range(20):
            yield b"x" * 1024

    app.http.cookies.update(page.cookies)
    refused = await app.http.post(path, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413 and app.nmbrs.total_calls == 0
