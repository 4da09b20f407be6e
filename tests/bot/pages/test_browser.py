"""The invitation page in a real browser: Playwright driving Debian's chromium against the running app.

Skipped (with the reason) where /usr/bin/chromium is missing, except in CI (`CI` set), where that fails.
With TOKENDESK_SCREENSHOTS=<dir> the page is saved there in both languages (docs/invite-nl.png, -en.png).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.pages.conftest import invite
from tests.bot.slack.conftest import TOKEN, USERNAME, Served

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WRONG = "0" * 31 + "f"
PHONE = {"width": 390, "height": 844}


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_wrong_token_right_token_then_the_used_link(app: Served, invitations, browser) -> None:  # type: ignore[no-untyped-def]
    url = app.url + await invite(invitations)
    context = await browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(url)
    assert await page.locator("html").get_attribute("lang") == "nl"
    assert await page.locator("input[name=token]").get_attribute("type") == "password"
    await _screenshot(page, "invite-nl.png")

    await page.fill("input[name=username]", USERNAME)
    await page.fill("input[name=token]", WRONG)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Nmbrs herkent deze inloggegevens niet")
    assert "/r/" in page.url and WRONG not in page.url  # POST, then a redirect: no token in any URL
    assert "kopieer het e-mailadres en het token allebei opnieuw" in await page.content()

    assert await page.input_value("input[name=username]") == USERNAME
    await page.fill("input[name=token]", TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Acme Holding")
    assert "Acme B.V." in await page.inner_text("body")

    response = await page.goto(url)
    assert response is not None and response.status == 404
    assert "Vraag je contactpersoon om een nieuwe link." in await page.inner_text("body")
    await context.close()


async def test_the_page_in_english_by_the_switch(app: Served, invitations, browser) -> None:  # type: ignore[no-untyped-def]
    url = app.url + await invite(invitations)
    # Scripts on, only so the test can read the computed style; the page itself has none.
    context = await browser.new_context(locale="nl-NL", viewport=PHONE)
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    await page.goto(url)
    await page.click("a.switch")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "Where do I find the API token?" in await page.inner_text("body")
    # The stylesheet loaded under the CSP (a blocked one would leave the button unstyled).
    assert await page.eval_on_selector("button", "b => getComputedStyle(b).backgroundColor") == "rgb(36, 86, 199)"
    assert refused == []
    await _screenshot(page, "invite-en.png")
    await context.close()


async def _screenshot(page: Any, name: str) -> None:
    target = os.environ.get("TOKENDESK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(target) / name), full_page=True)
