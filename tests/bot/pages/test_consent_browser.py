"""REST consent in a real browser: Playwright driving Debian's chromium from the chat button's URL
(as the Slack stand-in recorded the bot's message) through the identity stand-in's login-and-consent
form to the result page; then the link, the chat answer and the support thread.

With TOKENDESK_SCREENSHOTS=<dir> the result page is saved there (consent-nl.png, consent-en.png).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.blocks import CONSENT_ACTION
from bot.standins.slack.workspace import dm_channel
from storage.models import Invitation, Link, SupportThread
from tests.bot.pages.conftest import invite
from tests.bot.pages.rest_app import EMAIL, PASSWORD, RestServed, rest_app, rest_nmbrs, rest_server  # noqa: F401
from tests.bot.pages.test_browser import PHONE, _screenshot, browser  # noqa: F401 - fixture
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, SUPPORT_CHANNEL, nmbrs, slack  # noqa: F401

WORDS = {
    "en": ("Connected: your Nmbrs link works", "You can close this tab."),
    "nl": ("Gekoppeld: je Nmbrs-koppeling werkt", "Je kunt dit tabblad sluiten."),
}


def consent_button_url(message: dict[str, Any]) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == CONSENT_ACTION:
                return str(element["url"])
    raise AssertionError(f"no Connect with Nmbrs button in {message}")


@pytest.mark.parametrize(("user", "lang"), [(ENGLISH, "en"), (CUSTOMER, "nl")])
async def test_from_the_chat_button_through_nmbrs_to_the_result_page(  # type: ignore[no-untyped-def]
        rest_app: RestServed, browser, user: str, lang: str) -> None:
    served = rest_app.served
    await served.dm(user, "hallo")
    [welcome] = served.posts(dm_channel(user))
    url = consent_button_url(welcome)
    assert url.startswith(rest_app.url + "/connect/nmbrs/start?t=")

    context = await browser.new_context(locale="de-DE", viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(url)
    assert page.url.startswith(rest_app.rest.authorize_endpoint)  # Nmbrs' own page now
    await page.fill("input[name=email]", EMAIL)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[value=allow]")
    headline, close = WORDS[lang]
    await page.wait_for_selector(f"text={headline}")
    assert page.url.startswith(rest_app.url + "/connect/nmbrs/callback?")
    assert await page.locator("html").get_attribute("lang") == lang
    body = await page.inner_text("body")
    assert "Acme Holding" in body and "Acme Payroll B.V." in body and close in body and EMAIL in body
    await _screenshot(page, f"consent-{lang}.png")
    reload = await page.reload()  # the callback's state is spent: a clear page, nothing new stored
    assert reload is not None and reload.status == 400
    await context.close()

    async with served.ctx.desk.sessions() as session:
        [link] = (await session.scalars(select(Link))).all()
        [thread] = (await session.scalars(select(SupportThread))).all()
    assert (link.kind, link.state, link.user_id, link.debtor_name) == ("rest", "active", user, "Acme Holding")
    assert thread.link_id == link.id
    await served.settle()
    answer = served.posts(dm_channel(user))[-1]
    assert headline in answer["text"] and "Acme Holding" in str(answer["blocks"])
    [parent] = served.posts(SUPPORT_CHANNEL)
    assert "REST" in str(parent["blocks"])


async def test_from_the_invitation_page_through_nmbrs(rest_app: RestServed, browser) -> None:  # type: ignore[no-untyped-def]
    served = rest_app.served
    assert served.ctx.invitations is not None
    url = rest_app.url + await invite(served.ctx.invitations, name="Acme BV", email="hr@acme.nl")
    context = await browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(url)
    assert await page.locator("input[name=token]").count() == 1  # the token form stays on offer
    await _screenshot(page, "invite-rest-nl.png")
    await page.click("a.button")
    assert page.url.startswith(rest_app.rest.authorize_endpoint)
    await page.fill("input[name=email]", EMAIL)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[value=allow]")
    await page.wait_for_selector("text=Gekoppeld: je Nmbrs-koppeling werkt")
    assert "Acme Holding" in await page.inner_text("body")
    gone = await page.goto(url)  # used up by the consent
    assert gone is not None and gone.status == 404
    await context.close()

    async with served.ctx.desk.sessions() as session:
        [link] = (await session.scalars(select(Link))).all()
        [invitation] = (await session.scalars(select(Invitation))).all()
    assert (link.kind, link.platform, link.team_id, link.user_id) == ("rest", "web", "invitation", "I1")
    assert invitation.used_at is not None and invitation.link_id == link.id
    await served.settle()
    support = served.posts(SUPPORT_CHANNEL)
    assert len(support) == 2 and "REST" in str(support[0]["blocks"])
    assert "Connected through an invitation" in str(support[1]) or "Gekoppeld via uitnodiging" in str(support[1])
    assert served.posts(dm_channel(ENGLISH)) == []  # no chat reaches an invitation's customer
