"""Customer alerts for a link of a Slack Connect user (another organisation): by DM when Slack takes
it; when Slack refuses that DM, in the link's support thread for support to pass on, saying so."""

from __future__ import annotations

from sqlalchemy import select

from bot.standins.slack.workspace import TEAM_ID, dm_channel
from handlers.alerts import queue
from handlers.model import Alert, AlertKind, LinkCard
from storage.links import store_credentials
from storage.models import AlertRecord, LinkState
from tests.bot.slack.conftest import CUSTOMER, GUEST, GUEST_TEAM, SUPPORT_CHANNEL, TOKEN, USERNAME, Served
from tests.bot.slack.test_dm import texts


async def link_of(app: Served, user: str, team: str) -> LinkCard:
    async with app.ctx.desk.sessions() as session, session.begin():
        stored = await store_credentials(
            session, app.ctx.desk.cipher, username=USERNAME, token=TOKEN, environment="acme",
            state=LinkState.ACTIVE, platform="slack", team_id=team, user_id=user,
            debtors=[{"id": 1, "number": 1, "name": "Acme Holding"}], companies=[],
        )
        return LinkCard.of(stored.link)


async def customer_broken(app: Served, card: LinkCard, user: str, team: str) -> AlertRecord:
    details = {"platform": "slack", "team_id": team, "user_id": user, "reason": "credentials", "code": 1001,
               "environment": "acme", "token_last4": "cdef"}
    async with app.ctx.desk.sessions() as session, session.begin():
        await queue(session, Alert(AlertKind.CUSTOMER_BROKEN, card, details), key=f"test:{user}")
    await app.ctx.outbox.drain()
    async with app.ctx.desk.sessions() as session:
        return (await session.scalars(select(AlertRecord))).one()


async def test_a_guest_slack_takes_a_dm_from_gets_it(app: Served) -> None:
    card = await link_of(app, GUEST, GUEST_TEAM)
    record = await customer_broken(app, card, GUEST, GUEST_TEAM)
    assert record.sent_at is not None
    assert [p["channel"] for p in app.posts()] == [dm_channel(GUEST)]


async def test_a_guest_slack_refuses_a_dm_for_is_told_through_support(app: Served) -> None:
    card = await link_of(app, GUEST, GUEST_TEAM)
    app.slack.fail_next("conversations.open", "cannot_dm_bot")
    record = await customer_broken(app, card, GUEST, GUEST_TEAM)
    assert record.sent_at is not None and record.last_error is None
    parent, relay = app.posts(SUPPORT_CHANNEL)
    assert relay["thread_ts"] == [c for c in app.slack.calls("chat.postMessage") if c.ok][0].response["ts"]
    shown = texts(relay)
    assert f"<@{GUEST}>" in shown and GUEST_TEAM in shown and "cannot_dm_bot" in shown
    assert "Slack Connect" in shown and "Laat het de klant zelf weten" in shown
    assert "cdef" in shown  # the customer's own message, to pass on (the token's last four only)
    assert all(p["channel"] == SUPPORT_CHANNEL for p in app.posts())


async def test_a_refused_dm_to_someone_of_our_own_team_stays_queued(app: Served) -> None:
    card = await link_of(app, CUSTOMER, TEAM_ID)
    app.slack.fail_next("conversations.open", "cannot_dm_bot")
    record = await customer_broken(app, card, CUSTOMER, TEAM_ID)
    assert record.sent_at is None and "cannot_dm_bot" in (record.last_error or "")
    assert app.posts() == []


async def test_a_rate_limited_guest_dm_is_tried_again_not_handed_to_support(app: Served) -> None:
    card = await link_of(app, GUEST, GUEST_TEAM)
    app.slack.fail_next("conversations.open", "ratelimited", retry_after=0, count=10)
    record = await customer_broken(app, card, GUEST, GUEST_TEAM)
    assert record.sent_at is None and app.posts() == []
