"""The /try page in a real browser (Playwright driving Debian's chromium): a customer sends credentials,
support runs `/nmbrs status`, the Connect button's form works, then a token reset in the practice
Nmbrs and the nightly check bring the broken alert to the channel and the message to the customer.

Skipped with a reason when /usr/bin/chromium is absent, except in CI (CI set), where it fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.trymode.conftest import TryProcess, start_try

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
SHOTS = Path(os.environ.get("TOKENDESK_TRY_SHOTS", "")) if os.environ.get("TOKENDESK_TRY_SHOTS") else None
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser test: /usr/bin/chromium is missing (.ci/run installs it)",
                    pytrace=False)
    pytest.skip("no /usr/bin/chromium (apt-get install chromium) for the browser test", allow_module_level=True)

if os.environ.get("CI"):
    from playwright import sync_api  # in CI a missing playwright is a failure, not a skip
else:
    sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[TryProcess]:
    run = start_try(tmp_path)
    yield run
    run.stop()


@pytest.fixture
def page(desk: TryProcess) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{desk.url}/try")
            yield page
            assert not errors, errors
        finally:
            browser.close()


def shot(page: object, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name))  # type: ignore[attr-defined]


def test_a_customer_connects_and_support_sees_it_break(desk: TryProcess, page: object) -> None:
    expect = sync_api.expect
    p = page  # type: ignore[assignment]
    expect(p.locator("#banner")).to_contain_text("TRY MODE")
    anne = "anne@bakkerij-devries.nl"
    token = desk.token(anne)

    # The customer sends e-mail and token in the DM (the practice panel fills them in).
    p.locator(f'.login[data-username="{anne}"] button[data-control="use"]').click()
    expect(p.locator("#dm-text")).to_have_value(f"{anne} {token}")
    p.locator("#dm-form button").click()
    expect(p.locator("#dm")).to_contain_text("Gelukt", timeout=15000)
    expect(p.locator("#dm")).to_contain_text(f"…{token[-4:]}")
    # The support channel got the link's thread opener.
    expect(p.locator("#channel")).to_contain_text(anne, timeout=15000)
    expect(p.locator("#channel")).to_contain_text("works")

    # Support runs /nmbrs status: the answer only they see.
    p.locator("#command-text").fill("/nmbrs status")
    p.locator("#command-form button").click()
    expect(p.locator("#channel .msg.ephemeral")).to_contain_text("active", timeout=15000)
    expect(p.locator("#channel .msg.ephemeral")).to_contain_text(anne)

    # Another customer uses the Connect button: the form opens, is submitted, shows the outcome.
    p.locator("#customer").select_option("U0TRYMARK")
    mark = "mark@jansen-accountants.nl"
    p.locator("#dm-text").fill("hello")
    p.locator("#dm-form button").click()
    p.locator('#dm button[data-action="tokendesk_connect_open"]').last.click(timeout=15000)
    expect(p.locator("#modal-overlay")).to_be_visible(timeout=15000)
    p.locator('#modal input[data-block="username"]').fill(mark)
    p.locator('#modal input[data-block="token"]').fill(desk.token(mark))
    p.locator('#modal button[data-modal="submit"]').click()
    expect(p.locator("#modal")).to_contain_text("works", timeout=15000)
    shot(p, "modal.png")
    p.locator('#modal button[data-modal="close"]').click()
    expect(p.locator("#modal-overlay")).to_be_hidden()
    expect(p.locator("#channel")).to_contain_text(mark, timeout=15000)

    # The practice Nmbrs resets Anne's token; the nightly check confirms the failure and alerts.
    p.locator("#customer").select_option("U0TRYANNE")
    p.locator(f'.login[data-username="{anne}"] button[data-control="reset_token"]').click()
    expect(p.locator(f'.login[data-username="{anne}"] .token')).not_to_have_text(token)
    p.locator('button[data-control="recheck"]').click()
    expect(p.locator(".recheck-status")).to_contain_text("running")
    expect(p.locator("#channel")).to_contain_text("Stopped working", timeout=40000)
    expect(p.locator("#dm")).to_contain_text("werkt niet meer", timeout=15000)
    expect(p.locator(".recheck-status")).to_contain_text("The nightly check ran", timeout=15000)
    p.locator("#channel").evaluate("el => el.scrollTop = el.scrollHeight")
    shot(p, "try.png")


def test_a_customer_consents_on_the_practice_nmbrs_page_and_support_sees_it(desk: TryProcess, page: object) -> None:
    """REST in try mode: "Koppelen met Nmbrs" in the DM opens the practice consent page in a new tab;
    the consent comes back to the desk, which answers in the tab, in the DM and in the channel; a
    consent withdrawn in Nmbrs breaks the link at the next nightly check."""
    expect = sync_api.expect
    p = page  # type: ignore[assignment]
    anne = "anne@bakkerij-devries.nl"
    password = desk.consent_password(anne)

    p.locator("#dm-text").fill("hallo")
    p.locator("#dm-form button").click()
    button = p.locator("#dm a.bk-button", has_text="Koppelen met Nmbrs").last
    expect(button).to_be_visible(timeout=15000)
    with p.context.expect_page() as opened:
        button.click()
    nmbrs = opened.value
    expect(nmbrs.locator(".notice")).to_contain_text("Practice Nmbrs of tokendesk try mode", timeout=15000)
    nmbrs.locator('input[name="email"]').fill(anne)
    nmbrs.locator('input[name="password"]').fill(password)
    shot(nmbrs, "try-consent.png")
    nmbrs.locator('button[value="allow"]').click()
    expect(nmbrs.locator("body")).to_contain_text("Bakkerij De Vries", timeout=15000)
    expect(nmbrs.locator("body")).to_contain_text("Je kunt dit tabblad sluiten")
    shot(nmbrs, "try-consented.png")
    nmbrs.close()

    expect(p.locator("#dm")).to_contain_text("Bakkerij De Vries B.V.", timeout=15000)
    expect(p.locator("#channel")).to_contain_text("REST", timeout=15000)
    expect(p.locator("#channel")).to_contain_text(anne)

    # The migration tracker counts the REST link against nothing (no SOAP link yet) and names the stop date.
    p.locator("#command-text").fill("/nmbrs migration")
    p.locator("#command-form button").click()
    expect(p.locator("#channel .msg.ephemeral").last).to_contain_text("SOAP", timeout=15000)

    # Anne withdraws the desk's access in Nmbrs: the nightly check finds the link broken.
    p.locator(f'.login.consent[data-username="{anne}"] button[data-control="revoke_consent"]').click()
    expect(p.locator(f'.login.consent[data-username="{anne}"]')).to_contain_text("consent withdrawn")
    p.locator('button[data-control="recheck"]').click()
    expect(p.locator("#channel")).to_contain_text("Stopped working", timeout=40000)
    expect(p.locator(".recheck-status")).to_contain_text("The nightly check ran", timeout=15000)
    p.locator("#channel").evaluate("el => el.scrollTop = el.scrollHeight")
    shot(p, "try-rest.png")
