"""The migration tracker's buttons on Teams: the question card in the support channel, a staff member's
press recording the match (the card replaced, the SOAP link's thread told), a colleague's press refused."""

from __future__ import annotations

from datetime import timedelta

from bot.standins.teams.payloads import SUPPORT_CHANNEL, card_submit
from handlers.migration import AskedSupport, on_rest_consent
from storage import migration as store
from storage.models import utcnow
from storage.rest_links import store_rest_link
from tests.bot.teams.conftest import COLLEAGUE, CUSTOMER, STAFF, TOKEN, USERNAME, Served


async def test_support_confirms_the_match_from_the_card(app: Served) -> None:
    await app.install()
    await app.chat(CUSTOMER, f"{USERNAME} {TOKEN}")  # the SOAP link L1: debtor 101 "Acme Holding"
    desk = app.runtime.ctx.desk
    async with desk.sessions() as session, session.begin():
        stored = await store_rest_link(
            session, desk.cipher, debtor_id="00000000-0000-4000-8000-000000000101", debtor_number="101",
            debtor_name="ACME holding", user_email="hr@acme.nl", rest_user_id="u1", scopes=("offline_access",),
            refresh_token="r" * 40, access_token="a" * 40, access_expires_at=utcnow() + timedelta(hours=1),
            companies=[], scope_digest=None, platform="teams", team_id="tenant", user_id=CUSTOMER.aad)
        found = await on_rest_consent(session, rest_link=stored.link, migration_link_id=None, migration_debtor_id=None,
                                      by="teams customer")
    assert isinstance(found, AskedSupport)
    app.runtime.ctx.outbox.kick()
    await app.settle()
    [question] = [c for c in app.teams.sent() if c.card().get("actions")
                  and c.card()["actions"][0]["data"].get("tokendesk") == "migration.match"]
    assert question.kind == "create_conversation"  # a top-level post of its own in the support channel
    match, none = question.card()["actions"]
    assert match["data"]["value"] == f"1:12345:{stored.link.id}" and none["data"]["tokendesk"] == "migration.none"

    app.teams.reset()
    await app.send(card_submit(COLLEAGUE, match["data"], app.teams.service_url, reply_to=question.response["id"],
                               channel=SUPPORT_CHANNEL))
    assert app.teams.sent("update") == []  # the question stays; the refusal is a message of its own
    assert any("supportteam" in c.text() or "support team" in c.text() for c in app.teams.sent("send"))

    await app.send(card_submit(STAFF, match["data"], app.teams.service_url, reply_to=question.response["id"],
                               channel=SUPPORT_CHANNEL))
    [answer] = app.teams.sent("update")
    assert answer.activity_id == question.response["id"] and f"L{stored.link.id}" in answer.text()
    await app.settle()
    assert any("REST" in c.text() and c.conversation_id.startswith(f"{SUPPORT_CHANNEL};messageid=")
               for c in app.teams.sent("send"))
    async with desk.sessions() as session:
        move = await store.link_move(session, 1)
    assert move is not None and move.to_move == 0 and move.debtors[0].matched_by.startswith("support: teams ")
