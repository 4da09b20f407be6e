"""Where the bot offers "Connect Nmbrs" on Slack, a desk with REST on also offers the "Connect with
Nmbrs" URL button, each with a fresh ticket for that person; without REST nothing changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.slack.blocks import CONNECT_ACTION, CONSENT_ACTION
from bot.standins.slack.payloads import app_home_opened, block_actions, event_callback, slash_command
from bot.standins.slack.workspace import TEAM_ID, dm_channel
from handlers.alerts import queue
from handlers.model import Alert, AlertKind, LinkCard
from storage.links import store_credentials
from storage.models import ConnectTicket, LinkState, utcnow
from storage.rest_links import store_rest_link
from tests.bot.pages.rest_app import RestServed, rest_app, rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, Served, app, nmbrs, settings, slack  # noqa: F401


def elements(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for block in view.get("blocks") or [] for e in block.get("elements") or [] if "action_id" in e]


def consent_urls(view: dict[str, Any]) -> list[str]:
    return [e["url"] for e in elements(view) if e["action_id"] == CONSENT_ACTION]


async def tickets(served: Served) -> int:
    from sqlalchemy import func, select

    async with served.ctx.desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ConnectTicket)) or 0)


async def test_dm_home_connect_button_and_command_offer_the_consent_button(rest_app: RestServed) -> None:
    served = rest_app.served
    await served.dm(ENGLISH, "hello")
    [welcome] = served.posts(dm_channel(ENGLISH))
    assert [e["action_id"] for e in elements(welcome)] == [CONNECT_ACTION, CONSENT_ACTION]
    assert "no token needed" in str(welcome["blocks"])

    await served.send(event_callback(app_home_opened(ENGLISH)))
    await served.settle()
    [home] = served.slack.calls("views.publish")
    [home_url] = consent_urls(home.params["view"])

    await served.send(block_actions(CONNECT_ACTION, ENGLISH, value="connect"))
    [modal] = await served.slack.wait_for_async("views.open")
    [modal_url] = consent_urls(modal.params["view"])

    await served.send(slash_command("connect", CUSTOMER, TEAM_ID, "D0CUST", served.slack.response_url("c")))
    await served.settle()
    command_modal = served.slack.calls("views.open")[-1].params["view"]
    [command_url] = consent_urls(command_modal)
    assert "Koppelen met Nmbrs" in str(command_modal)  # the customer's own language

    urls = {consent_urls(welcome)[0], home_url, modal_url, command_url}
    assert len(urls) == 4 and all(u.startswith(rest_app.url + "/connect/nmbrs/start?t=") for u in urls)
    assert await tickets(served) == 4
    clicked = await served.send(block_actions(CONSENT_ACTION, ENGLISH))  # Slack reports the click: just acked
    assert clicked.status_code == 200


async def test_a_customer_alert_that_offers_to_connect_carries_a_fresh_button(rest_app: RestServed) -> None:
    served = rest_app.served
    details = {"platform": "slack", "team_id": TEAM_ID, "user_id": ENGLISH, "outcome": "denied"}
    async with served.ctx.desk.sessions() as session, session.begin():
        await queue(session, Alert(AlertKind.CUSTOMER_CONSENT, None, details, lang="en"), key="test:denied")
    await served.ctx.outbox.drain()
    [message] = served.posts(dm_channel(ENGLISH))
    assert "Nothing connected" in message["text"] and len(consent_urls(message)) == 1
    # A consent that failed: the consent button leads (primary), the token form's button follows.
    assert [(e["action_id"], e.get("style")) for e in elements(message)] == [(CONSENT_ACTION, "primary"),
                                                                             (CONNECT_ACTION, None)]


async def test_a_broken_rest_links_message_leads_with_the_consent_button(rest_app: RestServed) -> None:
    """The way back for a REST link is a new consent, so its button comes first and is the primary one;
    a SOAP link's message keeps the token form first."""
    served = rest_app.served
    cipher, who = served.ctx.desk.cipher, {"platform": "slack", "team_id": TEAM_ID, "user_id": ENGLISH}
    async with served.ctx.desk.sessions() as session, session.begin():
        rest = await store_rest_link(
            session, cipher, debtor_id="00000000-0000-4000-8000-000000000101", debtor_number="101",
            debtor_name="Acme Holding", user_email="hr@acme.nl", rest_user_id="u1", scopes=("offline_access",),
            refresh_token="r" * 40, access_token="b" * 40, access_expires_at=utcnow() + timedelta(hours=1),
            companies=[], scope_digest=None, **who)
        soap = await store_credentials(session, cipher, username="soap@acme.nl", token="a" * 32, environment="acme",
                                       state=LinkState.BROKEN, **who)
        for card in (LinkCard.of(rest.link), LinkCard.of(soap.link)):
            details = {"platform": "slack", "team_id": TEAM_ID, "user_id": ENGLISH,
                       "reason": "consent" if card.is_rest else "credentials"}
            await queue(session, Alert(AlertKind.CUSTOMER_BROKEN, card, details, lang="en"), key=f"test:{card.kind}")
    await served.ctx.outbox.drain()
    first, second = served.posts(dm_channel(ENGLISH))
    assert "Connect again with the “Connect with Nmbrs” button" in str(first["blocks"])
    assert [(e["action_id"], e.get("style")) for e in elements(first)] == [(CONSENT_ACTION, "primary"),
                                                                           (CONNECT_ACTION, None)]
    assert [(e["action_id"], e.get("style")) for e in elements(second)] == [(CONNECT_ACTION, "primary"),
                                                                            (CONSENT_ACTION, None)]


async def test_without_rest_the_buttons_are_as_before(app: Served) -> None:
    await app.dm(ENGLISH, "hello")
    [welcome] = app.posts(dm_channel(ENGLISH))
    assert [e["action_id"] for e in elements(welcome)] == [CONNECT_ACTION]
    assert app.ctx.connect is None
