"""Slack Connect: `/nmbrs invite` in a channel shared with the customer's organisation, the Connect
message support posts there, and what a user of another team gets when they press it: the form
(views.open works) or, privately, an invitation URL of their own (views.open refused). Signed HTTP
requests into the running app; the Slack and Nmbrs stand-ins behind it."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from bot.slack.blocks import CONNECT_VIEW, INPUT_ACTION, TOKEN_BLOCK, USERNAME_BLOCK
from bot.slack.connect_blocks import POST_ACTION, SHARED_ACTION
from bot.standins.slack.channels import EXTERNAL_MODAL_ERROR
from bot.standins.slack.payloads import block_actions, slash_command, view_submission
from bot.standins.slack.workspace import TEAM_ID
from storage.models import AuditEntry, Invitation, Link
from tests.bot.pages.test_invite_page import csrf_of, post_with, result_of
from tests.bot.slack.conftest import CUSTOMER, GUEST, GUEST_TEAM, SUPPORT_CHANNEL, TOKEN, USERNAME, Served

SHARED = "C0SHARED"
PLAIN = "C0PLAIN"
STAFF = "U0STAFF"
URL = re.compile(r"http://127\.0\.0\.1:9(/i/[A-Za-z0-9_-]{43})")


def setup_workspace(app: Served) -> None:
    app.slack.add_user(STAFF, name="staff", locale="en-GB")
    app.slack.add_channel(SHARED, "acme-shared", ext_shared=True, other_team=GUEST_TEAM)
    app.slack.add_channel(PLAIN, "support-internal")


def everything(app: Served, name: str) -> str:
    """All a response_url was sent for one command or press, as JSON text."""
    return " ".join(json.dumps(call.params) for call in app.slack.responses(name))


async def invite_in(app: Served, channel: str, user: str = STAFF, text: str = "invite Acme BV") -> str:
    name = f"cmd-{channel}-{user}-{len(app.slack.responses())}"
    response = await app.send(slash_command(text, user, TEAM_ID, channel, app.slack.response_url(name)))
    assert response.status_code == 200
    await app.settle()
    return response.text + everything(app, name)


async def press_post(app: Served, user: str, invitation: str = "I1", team: str = TEAM_ID) -> str:
    name = f"post-{user}-{len(app.slack.responses())}"
    response = await app.send(block_actions(POST_ACTION, user, team, value=invitation, channel=SHARED,
                                            response_url=app.slack.response_url(name)))
    assert response.status_code == 200
    await app.settle()
    return everything(app, name)


async def press_connect(app: Served, user: str = GUEST, team: str = GUEST_TEAM, invitation: str = "I1") -> None:
    response = await app.send(block_actions(SHARED_ACTION, user, team, value=invitation, channel=SHARED,
                                            trigger_id=app.slack.trigger_for(user)))
    assert response.status_code == 200
    await app.settle()


def channel_posts(app: Served) -> list[dict[str, Any]]:
    return app.posts(SHARED)


def ephemerals(app: Served, user: str) -> list[dict[str, Any]]:
    return [c.params for c in app.slack.calls("chat.postEphemeral") if c.ok and c.params.get("user") == user]


def support_text(app: Served) -> str:
    return " ".join(json.dumps(p.get("blocks") or p.get("text")) for p in app.posts(SUPPORT_CHANNEL))


async def posted_connect_message(app: Served) -> None:
    setup_workspace(app)
    answer = await invite_in(app, SHARED)
    assert POST_ACTION in answer
    said = await press_post(app, STAFF)
    assert "The Connect message for I1 is in this channel" in said
    assert len(channel_posts(app)) == 1


async def test_in_a_shared_channel_invite_also_offers_to_post_a_connect_message(app: Served) -> None:
    setup_workspace(app)
    shared = await invite_in(app, SHARED)
    assert URL.search(shared) and "I1" in shared  # the usual private answer, URL and id
    assert POST_ACTION in shared and "Post a Connect message in this channel" in shared
    plain = await invite_in(app, PLAIN)
    assert URL.search(plain) and "I2" in plain and POST_ACTION not in plain
    asked = {c.params.get("channel") for c in app.slack.calls("conversations.info")}
    assert asked == {SHARED, PLAIN}
    assert channel_posts(app) == []  # nothing in the channel until support presses the button


async def test_only_support_can_post_the_connect_message(app: Served) -> None:
    setup_workspace(app)
    await invite_in(app, SHARED)
    for user, team, words in ((CUSTOMER, TEAM_ID, "Alleen support kan een Connect-bericht plaatsen."),
                              (GUEST, GUEST_TEAM, "Only support can post a Connect message.")):
        said = await press_post(app, user, team=team)
        assert words in said
    assert channel_posts(app) == []
    async with app.ctx.desk.sessions() as session:
        refused = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "invitation.connect_message"))).all()
    assert sorted((a.actor, a.result) for a in refused) == [(CUSTOMER, "refused"), (GUEST, "refused")]


async def test_the_connect_message_holds_no_secret_and_no_url(app: Served) -> None:
    await posted_connect_message(app)
    [message] = channel_posts(app)
    text = json.dumps(message)
    assert "/i/" not in text and "http" not in text
    async with app.ctx.desk.sessions() as session:
        invitation = (await session.scalars(select(Invitation))).one()
    assert invitation.secret_hash not in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [(SHARED_ACTION, "I1", "Connect Nmbrs")]
    assert "Loonkoppeling &amp; Co vraagt je om je Nmbrs-omgeving te koppelen" in text  # Dutch, then English
    assert "Loonkoppeling &amp; Co asks you to connect your Nmbrs environment" in text


async def test_a_revoked_invitation_cannot_be_posted_and_its_message_stops_working(app: Served) -> None:
    await posted_connect_message(app)
    await invite_in(app, SHARED, text="invite revoke I1")
    assert "I1" in await press_post(app, STAFF)
    assert len(channel_posts(app)) == 1  # not posted a second time
    await press_connect(app)
    [gone] = ephemerals(app, GUEST)
    assert gone["channel"] == SHARED and "expired or was revoked" in json.dumps(gone)
    assert app.slack.calls("views.open") == []


async def test_a_user_of_another_team_gets_the_form_and_the_link_records_them_and_their_team(app: Served) -> None:
    await posted_connect_message(app)
    await press_connect(app)
    [opened] = app.slack.calls("views.open")
    assert opened.ok, opened.response
    view = opened.response["view"]
    assert json.loads(view["private_metadata"]) == {"lang": "en", "via": "I1", "channel": SHARED}
    response = await app.send(view_submission(
        CONNECT_VIEW, {USERNAME_BLOCK: {INPUT_ACTION: USERNAME}, TOKEN_BLOCK: {INPUT_ACTION: TOKEN}}, GUEST,
        GUEST_TEAM, private_metadata=view["private_metadata"], view_id=view["id"], view_hash=view["hash"]))
    assert response.status_code == 200
    await app.settle()
    async with app.ctx.desk.sessions() as session:
        link = (await session.scalars(select(Link))).one()
    assert (link.platform, link.team_id, link.user_id, link.state) == ("slack", GUEST_TEAM, GUEST, "active")
    support = support_text(app)
    assert "Gekoppeld via uitnodiging" in support and "*I1*" in support and "Acme BV" in support
    assert f"gedeeld kanaal: `{SHARED}`" in support
    assert len(channel_posts(app)) == 1  # the outcome went to the form, not to the channel
    assert ephemerals(app, GUEST) == []


async def test_where_slack_refuses_the_form_the_person_gets_their_own_url_privately(app: Served) -> None:
    await posted_connect_message(app)
    app.slack.external_modals = False
    await press_connect(app)
    [refused] = app.slack.calls("views.open")
    assert refused.response["error"] == EXTERNAL_MODAL_ERROR
    [private] = ephemerals(app, GUEST)
    assert private["channel"] == SHARED and "Connect Nmbrs on a web page" in json.dumps(private)
    first = URL.search(json.dumps(private))
    assert first
    # Pressing again: the same invitation (I2) with a new secret; the first URL stops working.
    await press_connect(app)
    second = URL.search(json.dumps(ephemerals(app, GUEST)[-1]))
    assert second and second.group(1) != first.group(1)
    assert (await app.http.get(first.group(1))).status_code == 404
    async with app.ctx.desk.sessions() as session:
        made = (await session.scalars(select(Invitation).where(Invitation.for_user == GUEST))).one()
        audits = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "invitation.create", AuditEntry.actor == GUEST))).all()
    assert (made.short_id, made.for_team, made.channel_id, made.via_id) == ("I2", GUEST_TEAM, SHARED, 1)
    assert [a.detail["reused"] for a in audits] == [False, True]
    assert all(a.detail["invitation"] == "I2" and a.detail["via"] == "I1" for a in audits)
    # Nothing of it reached the channel.
    assert len(channel_posts(app)) == 1 and "/i/" not in json.dumps(channel_posts(app))
    # The page works with the second URL; the link's thread names I2, the channel and I1.
    path = second.group(1)
    page = await app.http.get(path)
    assert page.status_code == 200
    result = await result_of(app, await post_with(
        app, path, {"csrf": csrf_of(page.text), "lang": "en", "username": USERNAME, "token": TOKEN}, page.cookies))
    assert "Acme Holding" in result.text
    await app.settle()
    support = support_text(app)
    assert "*I2*" in support and f"gedeeld kanaal: `{SHARED}`" in support and "Connect-bericht van *I1*" in support


async def test_a_person_out_of_attempts_gets_no_new_url(app: Served) -> None:
    await posted_connect_message(app)
    app.slack.external_modals = False
    person = await app.ctx.people.person(app.ctx.notifier.client, user_id=GUEST, team_id=GUEST_TEAM)
    from handlers.intake import REJECTED_PER_HOUR, who_of
    for _ in range(REJECTED_PER_HOUR):
        slot = await app.ctx.intake.reserve(who_of(person))
        assert isinstance(slot, int)
    await press_connect(app)
    [limited] = ephemerals(app, GUEST)
    assert not URL.search(json.dumps(limited))
    async with app.ctx.desk.sessions() as session:
        assert (await session.scalars(select(Invitation).where(Invitation.for_user == GUEST))).all() == []


async def test_a_member_of_the_vendors_team_gets_the_same_form(app: Served) -> None:
    await posted_connect_message(app)
    app.slack.external_modals = False  # only other teams are refused
    await press_connect(app, CUSTOMER, TEAM_ID)
    [opened] = app.slack.calls("views.open")
    assert opened.ok and json.loads(opened.response["view"]["private_metadata"])["via"] == "I1"
    assert ephemerals(app, CUSTOMER) == []


def test_a_brand_with_mrkdwn_cannot_broadcast_in_the_shared_channel() -> None:
    from bot.slack.connect_blocks import channel_message

    message = json.dumps(channel_message("I7", "<!channel> & Co"))
    assert "<!channel>" not in message and "&lt;!channel&gt; &amp; Co" in message


async def test_a_rejected_form_keeps_its_connect_message_for_the_retry(app: Served) -> None:
    await posted_connect_message(app)
    await press_connect(app)
    [opened] = app.slack.calls("views.open")
    view = opened.response["view"]
    response = await app.send(view_submission(
        CONNECT_VIEW, {USERNAME_BLOCK: {INPUT_ACTION: USERNAME}, TOKEN_BLOCK: {INPUT_ACTION: "f" * 32}}, GUEST,
        GUEST_TEAM, private_metadata=view["private_metadata"], view_id=view["id"], view_hash=view["hash"]))
    assert response.status_code == 200
    await app.settle()
    retry = [c.params["view"] for c in app.slack.calls("views.update") if c.ok][-1]
    retry = json.loads(retry) if isinstance(retry, str) else retry
    assert retry.get("submit") and json.loads(retry["private_metadata"])["via"] == "I1"
    async with app.ctx.desk.sessions() as session:
        assert (await session.scalars(select(Link))).all() == []
