"""The support channel and customer DMs: one thread per link, broadcasts, retries, escaping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.standins.slack.workspace import TEAM_ID, dm_channel
from handlers.alerts import queue
from handlers.model import CUSTOMER_KINDS, Alert, AlertKind, LinkCard
from storage.links import store_credentials
from storage.models import AlertRecord, Link, LinkState, SupportThread
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, SUPPORT_CHANNEL, TOKEN, USERNAME, Served
from tests.bot.slack.test_dm import buttons, texts

# Details as handlers.recheck and handlers.commands queue them.
DETAILS: dict[AlertKind, dict[str, Any]] = {
    AlertKind.ACTIVATED: {"by": CUSTOMER, "by_platform": "slack", "by_team": TEAM_ID},
    AlertKind.TOKEN_REPLACED: {"by": CUSTOMER, "previous_state": "broken"},
    AlertKind.BROKEN: {"reason": "credentials", "code": 1001, "message": "Invalid Authentication",
                       "previous_state": "active", "customer_notified": True, "via": "recheck"},
    AlertKind.RESTORED: {"previous_state": "broken", "via": "recheck"},
    AlertKind.SCOPE_CHANGED: {"debtors_added": [], "debtors_removed": [], "companies_added": ["<!here> B.V."],
                              "companies_removed": ["Old & Co"], "via": "recheck"},
    AlertKind.UNVERIFIED: {"nights": 2, "cause": "timeout", "code": None},
    AlertKind.REVOKED: {"by": "U0STAFF", "previous_state": "active"},
    AlertKind.LABELLED: {"by": "U0STAFF", "label": "<!channel> payroll", "previous": None},
    AlertKind.INVITED: {"invitation": "I7", "name": "<!channel> Acme", "email": "hr@acme.nl", "by": "U0STAFF",
                        "by_platform": "slack", "by_team": TEAM_ID},
    AlertKind.REVOCATION_DONE: {"attempts": 3, "queued_at": "2026-11-23T01:30:00+00:00", "earlier_consent": False},
    AlertKind.REVOCATION_GIVEN_UP: {"attempts": 120, "queued_at": "2026-11-23T01:30:00+00:00", "earlier_consent": True},
    AlertKind.CUSTOMER_STUCK: {"platform": "slack", "team_id": TEAM_ID, "user_id": CUSTOMER, "attempts": 3,
                               "reason": "credentials", "code": 1001, "username": "hr@<acme>.nl"},
    AlertKind.CUSTOMER_BROKEN: {"platform": "slack", "team_id": TEAM_ID, "user_id": CUSTOMER, "reason": "credentials",
                                "code": 1001, "environment": "acme", "token_last4": "cdef"},
    AlertKind.CUSTOMER_RESULT: {"platform": "slack", "team_id": TEAM_ID, "user_id": CUSTOMER, "outcome": "valid"},
    AlertKind.CUSTOMER_CONSENT: {"platform": "slack", "team_id": TEAM_ID, "user_id": CUSTOMER, "outcome": "denied"},
    AlertKind.DIGEST: {"run_id": 7, "trigger": "schedule", "checked": 3, "counts": {"active": 2, "broken": 1},
                       "outcomes": {"valid": 2, "rejected": 1},
                       "changes": [{"link": "L1", "username": "a@b.nl", "environment": "<!channel>",
                                    "transition": "broken", "reason": "credentials"}],
                       "changes_total": 1, "broken": [{"link": "L1", "username": "a@b.nl", "environment": "acme",
                                                       "reason": "credentials", "code": 1001}],
                       "broken_total": 1, "failures": [], "failed": 0},
    AlertKind.SOAP_SWITCHED_OFF: {"run_id": 8, "checks": 200, "signs": 190, "reason": "soap_switched_off",
                                  "migration": {"soap_links": 200, "debtors_to_move": 150, "debtors_covered": 50,
                                                "days_left": None}},
    AlertKind.SOAP_ANSWERING: {"run_id": 9, "checks": 200, "signs": 0},
    AlertKind.DEBTOR_MIGRATED: {"debtor_id": 1, "debtor_number": "101", "debtor_name": "<!channel> Holding",
                                "rest_link": "L9", "rest_link_id": 9, "matched_by": "consent from migration button"},
    AlertKind.LINK_MIGRATED: {"debtors": 1, "covered": 1, "not_needed": 0, "rest_links": ["L9"]},
    AlertKind.MIGRATION_MATCH: {"rest_link": "L9", "rest_link_id": 9, "debtor_number": "101", "debtor_name": "<!here>",
                                "more": 0, "candidates": [{"link_id": 1, "environment": "acme", "label": None,
                                                           "debtor_id": 1, "debtor_number": "101",
                                                           "debtor_name": "<!channel> Holding"}]},
    # REST is off here: support is told the customer got nothing, without invitation links to forward.
    AlertKind.MIGRATION_UNDELIVERED: {"platform": "slack", "team_id": TEAM_ID, "user_id": CUSTOMER, "soap_link_id": 1,
                                      "round": "r1", "debtors": [{"id": 1, "number": 1, "name": "<!channel> Holding"}],
                                      "more": 0, "invited_by": {"platform": "slack", "user_id": "U0STAFF"},
                                      "refused_on": "slack", "error": "user_not_found", "external": False},
    AlertKind.MIGRATION_REMINDER: {"days": 7, "threshold": 7, "soap_until": "2027-06-30",
                                   "totals": {"to_move": 3, "links_to_move": 1, "covered": 2}},
}


async def make_link(app: Served, *, state: LinkState = LinkState.ACTIVE, environment: str | None = "acme") -> LinkCard:
    async with app.ctx.desk.sessions() as session, session.begin():
        stored = await store_credentials(
            session, app.ctx.desk.cipher, username=USERNAME, token=TOKEN, environment=environment, state=state,
            platform="slack", team_id=TEAM_ID, user_id=CUSTOMER,
            debtors=[{"id": 1, "number": 1, "name": "Acme Holding"}],
            companies=[{"id": 2, "number": 1, "name": "<!channel> & Zonen", "debtor_id": 1}],
        )
        return LinkCard.of(stored.link)


async def send(app: Served, kind: AlertKind, card: LinkCard | None, *, lang: str | None = None,
               key: str | None = None, deliver: bool = True) -> None:
    async with app.ctx.desk.sessions() as session, session.begin():
        await queue(session, Alert(kind, card, dict(DETAILS[kind]), lang=lang), key=key or f"test:{kind}")
    if deliver:
        await app.ctx.outbox.drain()


async def threads(app: Served) -> list[SupportThread]:
    async with app.ctx.desk.sessions() as session:
        return list((await session.scalars(select(SupportThread))).all())


async def records(app: Served) -> list[AlertRecord]:
    async with app.ctx.desk.sessions() as session:
        return list((await session.scalars(select(AlertRecord).order_by(AlertRecord.id))).all())


async def test_activation_opens_a_thread_and_later_alerts_go_into_it(app: Served) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    [parent] = app.posts(SUPPORT_CHANNEL)
    shown = texts(parent)
    assert "*L1*" in shown and "`acme`" in shown and USERNAME in shown
    assert "<@U0CUST>" in shown
    assert "Debiteuren: 1 (Acme Holding)" in shown
    assert "&lt;!channel&gt; &amp; Zonen" in shown and "<!channel>" not in shown
    assert "thread_ts" not in parent
    [thread] = await threads(app)
    [parent_call] = [c for c in app.slack.calls("chat.postMessage") if c.params["channel"] == SUPPORT_CHANNEL]
    assert thread.thread_id == parent_call.response["ts"] and thread.platform == "slack"

    card = LinkCard.of(await _link(app))
    await send(app, AlertKind.BROKEN, card)
    await send(app, AlertKind.RESTORED, card)
    _, broken, restored = app.posts(SUPPORT_CHANNEL)
    assert broken["thread_ts"] == restored["thread_ts"] == thread.thread_id
    assert broken["reply_broadcast"] is True and "reply_broadcast" not in restored
    assert "herkent deze inloggegevens niet" in texts(broken) and "code 1001" in texts(broken)
    assert "Wat de klant moet doen" in texts(broken) and "API Token" in texts(broken)


async def _link(app: Served) -> Link:
    async with app.ctx.desk.sessions() as session:
        return (await session.scalars(select(Link))).one()


async def test_a_link_without_a_thread_gets_its_parent_first(app: Served) -> None:
    card = await make_link(app, state=LinkState.PENDING, environment=None)
    await send(app, AlertKind.UNVERIFIED, card)
    parent, update = app.posts(SUPPORT_CHANNEL)
    assert "thread_ts" not in parent and update["thread_ts"]
    assert "omgeving nog onbekend" in texts(parent)
    [thread] = await threads(app)
    assert update["thread_ts"] == thread.thread_id
    # Activation after the fact goes into the existing thread instead of opening a second one.
    await send(app, AlertKind.ACTIVATED, card)
    assert app.posts(SUPPORT_CHANNEL)[-1]["thread_ts"] == thread.thread_id
    assert len(await threads(app)) == 1


# A migration invite needs REST on (its buttons' tickets): tests/bot/pages/test_migration_invite.py.
@pytest.mark.parametrize("kind", [kind for kind in AlertKind if kind is not AlertKind.CUSTOMER_MIGRATION])
async def test_every_alert_kind_is_delivered(app: Served, kind: AlertKind) -> None:
    card = await make_link(app)
    await send(app, kind, card, lang="en")
    [record] = await records(app)
    assert record.sent_at is not None, record.last_error
    posts = app.slack.calls("chat.postMessage")
    assert posts and all(c.ok for c in posts)
    last = posts[-1].params
    shown = texts(last)
    assert TOKEN not in str(last)
    assert "<!channel>" not in shown and "<!here>" not in shown
    if kind in CUSTOMER_KINDS:
        assert last["channel"] == dm_channel(CUSTOMER)
        assert app.slack.calls("conversations.open")[0].params["users"] == CUSTOMER
        assert ("acme" in shown and "…cdef" in shown) if kind is not AlertKind.CUSTOMER_CONSENT else (
            "Nothing connected" in shown or "Niets gekoppeld" in shown)
    elif kind in (AlertKind.CUSTOMER_STUCK, AlertKind.DIGEST, AlertKind.SOAP_SWITCHED_OFF, AlertKind.SOAP_ANSWERING,
                  AlertKind.MIGRATION_MATCH, AlertKind.MIGRATION_REMINDER):
        assert last["channel"] == SUPPORT_CHANNEL and "thread_ts" not in last
    else:
        assert last["channel"] == SUPPORT_CHANNEL
        if kind is not AlertKind.ACTIVATED:
            assert last["thread_ts"] == (await threads(app))[0].thread_id


async def test_soap_switched_off_is_one_post_of_its_own_with_the_migration_numbers(app: Served) -> None:
    await send(app, AlertKind.SOAP_SWITCHED_OFF, None)
    [post] = app.posts(SUPPORT_CHANNEL)
    shown = texts(post)
    assert "thread_ts" not in post and "SOAP lijkt uitgezet" in shown  # the desk's language (nl)
    assert "190 van de 200 SOAP-controles" in shown and "150 debiteuren nog te verhuizen, 50 gedekt door REST" in shown
    assert not await threads(app)


async def test_customer_broken_dm_in_the_customers_slack_language_with_the_button(app: Served) -> None:
    # The nightly check does not know the customer's locale; the notifier asks Slack for it.
    card = await make_link(app)
    await send(app, AlertKind.CUSTOMER_BROKEN, card, lang="en")
    [dm] = app.posts(dm_channel(CUSTOMER))
    shown = texts(dm)
    assert "Je Nmbrs-koppeling (acme, token …cdef) werkt niet meer" in shown
    assert "API Token" in shown
    assert buttons(dm) == ["tokendesk_connect_open"]


async def test_customer_broken_dm_in_english_for_an_english_locale(app: Served) -> None:
    card = await make_link(app)
    details = {**DETAILS[AlertKind.CUSTOMER_BROKEN], "user_id": ENGLISH}
    async with app.ctx.desk.sessions() as session, session.begin():
        await queue(session, Alert(AlertKind.CUSTOMER_BROKEN, card, details, lang="nl"), key="english-broken")
    await app.ctx.outbox.drain()
    [dm] = app.posts(dm_channel(ENGLISH))
    assert "Your Nmbrs link (acme, token …cdef) stopped working" in texts(dm)
    assert "User profile → API Token" in texts(dm)


async def test_customer_broken_not_sent_when_customers_are_not_notified(app: Served) -> None:
    app.ctx.notifier.notify_customers = False
    await send(app, AlertKind.CUSTOMER_BROKEN, await make_link(app))
    assert app.posts() == []
    [record] = await records(app)
    assert record.sent_at is not None


async def test_support_texts_are_escaped(app: Served) -> None:
    card = await make_link(app)
    await send(app, AlertKind.LABELLED, card)
    await send(app, AlertKind.SCOPE_CHANGED, card)
    await send(app, AlertKind.CUSTOMER_STUCK, None)
    await send(app, AlertKind.DIGEST, None)
    everything = "\n".join(texts(p) for p in app.posts(SUPPORT_CHANNEL))
    assert "<!channel>" not in everything and "<!here>" not in everything
    assert "&lt;!channel&gt; payroll" in everything and "&lt;!here&gt; B.V." in everything
    assert "hr@&lt;acme&gt;.nl" in everything and "Old &amp; Co" in everything
    assert "<@U0STAFF>" in everything and "<@U0CUST>" in everything


async def test_rate_limited_post_is_retried(app: Served) -> None:
    card = await make_link(app)
    app.slack.fail_next("chat.postMessage", "ratelimited", retry_after=0)
    await send(app, AlertKind.ACTIVATED, card)
    first, second = app.slack.calls("chat.postMessage")
    assert first.status == 429 and second.ok
    [record] = await records(app)
    assert record.sent_at is not None and record.attempts == 1


async def test_a_slack_error_keeps_the_alert_queued_and_the_link_intact(app: Served) -> None:
    card = await make_link(app)
    app.slack.fail_next("chat.postMessage", "channel_not_found")
    await send(app, AlertKind.ACTIVATED, card, key="activated", deliver=False)
    await send(app, AlertKind.BROKEN, card, key="broken")
    activated, broken = await records(app)
    assert activated.sent_at is None and activated.attempts == 1 and "channel_not_found" in activated.last_error
    assert broken.sent_at is None  # waits behind the failed alert of the same link
    assert await threads(app) == []
    assert (await _link(app)).state == LinkState.ACTIVE
    await app.ctx.outbox.drain()
    assert all(r.sent_at is not None for r in await records(app))
    parent, update = app.posts(SUPPORT_CHANNEL)
    assert update["thread_ts"] and update["reply_broadcast"] is True


async def test_pending_then_customer_result_by_dm(app: Served) -> None:
    app.nmbrs.fail_next("http500", count=3)
    await app.dm(ENGLISH, f"{USERNAME} {TOKEN}")
    link = await _link(app)
    assert link.state == LinkState.PENDING
    async with app.ctx.desk.sessions() as session, session.begin():
        await queue(session, Alert(AlertKind.CUSTOMER_RESULT, LinkCard.of(link),
                                   {"user_id": ENGLISH, "outcome": "rejected", "reason": "credentials", "code": 1001},
                                   lang="en"), key="result")
    await app.ctx.outbox.drain()
    last = app.posts(dm_channel(ENGLISH))[-1]
    assert "does not recognise these login details" in texts(last)


async def test_a_parent_opened_by_a_staff_action_names_the_sender_not_the_actor(app: Served) -> None:
    card = await make_link(app)
    await send(app, AlertKind.REVOKED, card)  # by U0STAFF
    parent, update = app.posts(SUPPORT_CHANNEL)
    assert "<@U0CUST>" in texts(parent) and "<@U0STAFF>" not in texts(parent)
    assert "<@U0STAFF>" in texts(update)


async def test_a_link_alert_without_its_link_is_still_told(app: Served) -> None:
    await send(app, AlertKind.BROKEN, None)
    [post] = app.posts(SUPPORT_CHANNEL)
    assert "Werkt niet meer" in texts(post) and "thread_ts" not in post
