"""Mentions in channels (credentials never used there), Slack Connect guests, and App Home."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.standins.slack.payloads import app_home_opened, app_mention, event_callback
from bot.standins.slack.workspace import TEAM_ID
from handlers.model import Person
from storage.links import store_credentials
from storage.models import InboundDelivery, IntakeAttempt, Link, LinkState, PendingConversation, utcnow
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, GUEST, GUEST_TEAM, TOKEN, USERNAME, Served
from tests.bot.slack.test_dm import buttons, texts

CHANNEL = "C0GENERAL"


async def rows(app: Served, model: type) -> int:
    async with app.ctx.desk.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_credentials_in_a_channel_are_refused_privately(app: Served) -> None:
    response = await app.send(event_callback(app_mention(ENGLISH, f"{USERNAME} {TOKEN}", CHANNEL)))
    assert response.status_code == 200
    await app.settle()
    [ephemeral] = app.slack.calls("chat.postEphemeral")
    assert ephemeral.params["channel"] == CHANNEL and ephemeral.params["user"] == ENGLISH
    shown = texts(ephemeral.params)
    assert "visible to everyone in this channel" in shown
    assert "Reset the token in Nmbrs" in shown
    assert buttons(ephemeral.params) == ["tokendesk_connect_open"]
    assert app.slack.calls("chat.postMessage") == []
    assert app.nmbrs.total_calls == 0
    for model in (Link, PendingConversation, IntakeAttempt):
        assert await rows(app, model) == 0
    assert TOKEN not in str(ephemeral.params)


async def test_a_token_alone_in_a_channel_is_refused_too(app: Served) -> None:
    await app.send(event_callback(app_mention(CUSTOMER, f"token: `{TOKEN}`", CHANNEL, thread_ts="1700000000.000100")))
    await app.settle()
    [ephemeral] = app.slack.calls("chat.postEphemeral")
    assert "zichtbaar voor iedereen" in texts(ephemeral.params)
    assert ephemeral.params["thread_ts"] == "1700000000.000100"


async def test_a_mention_without_credentials_gets_a_hint_with_the_button(app: Served) -> None:
    await app.send(event_callback(app_mention(ENGLISH, "how do I connect Nmbrs?", CHANNEL)))
    await app.settle()
    [ephemeral] = app.slack.calls("chat.postEphemeral")
    assert "not done in a channel" in texts(ephemeral.params)
    assert buttons(ephemeral.params) == ["tokendesk_connect_open"]


async def test_a_retried_mention_is_answered_once(app: Served) -> None:
    request = event_callback(app_mention(ENGLISH, "hello", CHANNEL))
    await app.send(request)
    await app.send(request, retry_num=1)
    await app.settle()
    assert len(app.slack.calls("chat.postEphemeral")) == 1
    assert await rows(app, InboundDelivery) == 2  # the event id and the channel:ts


async def test_slack_connect_guest_is_not_home_team(app: Served) -> None:
    event = app_mention(GUEST, "hi", CHANNEL, user_team=GUEST_TEAM)
    body = event_callback(event, is_ext_shared_channel=True).payload
    person = await app.ctx.people.person_from(app.ctx.notifier.client, body)
    assert person is not None
    assert person.home_team is False and person.team_id == GUEST_TEAM and person.lang == "en"
    home = await app.ctx.people.person_from(app.ctx.notifier.client, event_callback(app_mention(ENGLISH, "hi", CHANNEL)).payload)
    assert home is not None and home.home_team is True and home.team_id == TEAM_ID


async def test_a_guest_whose_payload_claims_the_home_team_is_still_a_guest(app: Served) -> None:
    # users.info says the user belongs to another organisation: that wins over the payload.
    person = await app.ctx.people.person(app.ctx.notifier.client, user_id=GUEST, team_id=TEAM_ID)
    assert person.home_team is False


async def test_slack_connect_guest_mentioning_with_credentials_is_refused(app: Served) -> None:
    await app.send(event_callback(app_mention(GUEST, f"{USERNAME} {TOKEN}", CHANNEL, user_team=GUEST_TEAM),
                                  is_ext_shared_channel=True))
    await app.settle()
    [ephemeral] = app.slack.calls("chat.postEphemeral")
    assert ephemeral.params["user"] == GUEST
    assert app.nmbrs.total_calls == 0 and await rows(app, Link) == 0


async def test_app_home_lists_the_customers_links(app: Served) -> None:
    async with app.ctx.desk.sessions() as session, session.begin():
        stored = await store_credentials(
            session, app.ctx.desk.cipher, username=USERNAME, token=TOKEN, environment="<b>acme</b>",
            state=LinkState.ACTIVE, platform="slack", team_id=TEAM_ID, user_id=ENGLISH,
        )
        stored.link.last_checked_at = utcnow() - timedelta(hours=3)
        await store_credentials(
            session, app.ctx.desk.cipher, username="other@acme.nl", token="f" * 32, environment="acme",
            state=LinkState.ACTIVE, platform="slack", team_id=TEAM_ID, user_id=CUSTOMER,
        )
    response = await app.send(event_callback(app_home_opened(ENGLISH)))
    assert response.status_code == 200
    await app.settle()
    [publish] = app.slack.calls("views.publish")
    assert publish.params["user_id"] == ENGLISH
    shown = texts(publish.params["view"])
    assert "&lt;b&gt;acme&lt;/b&gt;" in shown and "works" in shown and "…cdef" in shown
    assert "other@acme.nl" not in shown  # someone else's link
    assert "<!date^" in shown
    assert "tokendesk_connect_open" in buttons(publish.params["view"])
    assert TOKEN not in str(publish.params)


async def test_app_home_without_links_offers_the_button(app: Served) -> None:
    await app.send(event_callback(app_home_opened(CUSTOMER)))
    await app.settle()
    [publish] = app.slack.calls("views.publish")
    assert "nog geen Nmbrs-koppeling" in texts(publish.params["view"])
    assert "tokendesk_connect_open" in buttons(publish.params["view"])


async def test_the_messages_tab_publishes_nothing(app: Served) -> None:
    response = await app.send(event_callback(app_home_opened(CUSTOMER, tab="messages")))
    await app.settle()
    assert response.status_code == 200 and app.slack.calls("views.publish") == []


async def test_app_home_for_staff_includes_the_support_part(app: Served, monkeypatch) -> None:
    from bot.slack import commands

    seen: list[str] = []

    async def support_home_blocks(ctx, user_id):  # type: ignore[no-untyped-def]
        seen.append(user_id)
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "SUPPORT PART"}}] if user_id == ENGLISH else None

    monkeypatch.setattr(commands, "support_home_blocks", support_home_blocks)
    await app.send(event_callback(app_home_opened(ENGLISH)))
    await app.send(event_callback(app_home_opened(CUSTOMER)))
    await app.settle()
    by_user = {c.params["user_id"]: texts(c.params["view"]) for c in app.slack.calls("views.publish")}
    assert "SUPPORT PART" in by_user[ENGLISH] and "SUPPORT PART" not in by_user[CUSTOMER]


async def test_person_for_a_home_user(app: Served) -> None:
    person = await app.ctx.people.person(app.ctx.notifier.client, user_id=CUSTOMER)
    assert person == Person("slack", TEAM_ID, CUSTOMER, "nl", True)
