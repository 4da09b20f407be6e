"""`/nmbrs migration invite` for a Teams customer whose 1:1 chat the connector refuses for good (403: the
bot was removed; 404: the conversation is gone), end to end through the Teams stand-in: the SOAP link's
thread in the Teams support channel says why and lists the round's invitation URLs (an URL opens the
invitation page), the audit log says `redirected`, the customer got nothing; without a Teams support
channel, support hears it on Slack; a 500 is tried again, not redirected."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import select

from bot.standins.teams.payloads import SUPPORT_CHANNEL
from bot.standins.teams.server import Call
from storage.models import AlertRecord, Invitation
from tests.bot.pages.migration_scene import audits, consent_path_on, soap_link
from tests.bot.pages.rest_app import rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.slack.conftest import SUPPORT_CHANNEL as SLACK_SUPPORT
from tests.bot.slack.test_dm import texts
from tests.bot.teams.conftest import ENGLISH, STAFF, Served, nmbrs, slack, teams  # noqa: F401 - fixtures
from tests.bot.teams.test_consent_buttons import rest_teams  # noqa: F401 - fixtures

_URL = re.compile(r"https?://[^\s|>)\]\"]+")


def _invitation_urls(text: str, base: str) -> list[str]:
    return [url for url in _URL.findall(text) if url.startswith(base + "/i/")]


async def _invite(served: Served, status: int, code: str = "ServiceError") -> int:
    """The customer has chatted with the bot (their 1:1 chat is known); then the connector answers
    `status` for their chat, once, and support invites them."""
    await served.install()
    await served.chat(ENGLISH, "hi there")
    served.teams.fail_next("send", status, conversation=ENGLISH.chat, code=code)
    link = await soap_link(served.runtime.ctx.desk, platform="teams", team_id=ENGLISH.tenant, user_id=ENGLISH.aad)
    answers = await served.command(STAFF, f"migration invite L{link}")
    assert f"Invited the customer of L{link} on Teams" in answers[0].text()
    await served.settle()
    return link


def _to_customer(served: Served) -> list[Call]:
    return [c for c in served.teams.sent(conversation=ENGLISH.chat) if "Drukkerij Smit" in c.text()]


async def _alerts(served: Served) -> dict[str, AlertRecord]:
    async with served.runtime.ctx.desk.sessions() as session:
        return {row.kind: row for row in (await session.scalars(select(AlertRecord))).all()}


@pytest.mark.parametrize(("status", "code", "why"), [
    (403, "BotNotInConversationRoster", "Teams liet de bot niet in hun chat schrijven (de app is waarschijnlijk verwijderd)"),
    (404, "ConversationNotFound", "Teams kent hun chat met de bot niet meer"),
])
async def test_a_chat_teams_refuses_for_good_goes_to_the_support_thread(rest_teams: Served, status: int, code: str,
                                                                         why: str) -> None:
    link = await _invite(rest_teams, status, code)

    assert _to_customer(rest_teams) == []  # the customer got nothing
    told = [c for c in rest_teams.teams.sent(conversation=SUPPORT_CHANNEL) if "migratie-uitnodiging" in c.text()]
    [message] = told
    assert message.kind == "send" and ";messageid=" in (message.conversation_id or "")  # in the link's thread
    shown = message.text()
    assert f"De migratie-uitnodiging voor de klant van L{link} kon niet bezorgd worden" in shown
    assert f"Waarom: {why} (HTTP {status} {code})." in shown
    assert "Drukkerij Smit · I1 http" in shown and "Bloemen Bos · I2 http" in shown and "De links om door te sturen werken één keer, tot" in shown
    assert "/connect/nmbrs/start" not in json.dumps(message.body)
    urls = _invitation_urls(shown, rest_teams.url)
    assert len(urls) == 2
    async with httpx.AsyncClient(base_url=rest_teams.url, timeout=30) as browser:
        page = await browser.get(urls[0].removeprefix(rest_teams.url))
        assert page.status_code == 200 and consent_path_on(page.text)
    # Slack's support channel is not told as well (a second post would renew these URLs).
    assert not [p for p in rest_teams.slack.calls("chat.postMessage") if "migratie-uitnodiging" in json.dumps(p.params)]

    [invited, redirected] = await audits(rest_teams.runtime.ctx.desk, "migration.invite")
    assert (invited.result, redirected.result, redirected.link_id) == ("ok", "redirected", link)
    assert redirected.detail == {"round": invited.detail["round"], "to": "teams", "error": f"HTTP {status} {code}",
                                 "external": False}
    async with rest_teams.runtime.ctx.desk.sessions() as session:
        made = (await session.scalars(select(Invitation).where(Invitation.migration_link_id == link))).all()
    assert sorted(i.short_id for i in made) == ["I1", "I2"]
    assert all(row.sent_at is not None for row in (await _alerts(rest_teams)).values())


@pytest.mark.parametrize("rest_teams", [{"teams_support_channel": None}], indirect=True)
async def test_without_a_teams_support_channel_support_hears_it_on_slack(rest_teams: Served) -> None:
    link = await _invite(rest_teams, 403, "BotNotInConversationRoster")

    assert _to_customer(rest_teams) == []
    [told] = [c.params for c in rest_teams.slack.calls("chat.postMessage")
              if c.ok and "migratie-uitnodiging" in json.dumps(c.params)]
    assert told["channel"] == SLACK_SUPPORT and told["thread_ts"]
    assert "`HTTP 403 BotNotInConversationRoster`" in texts(told)
    assert len(_invitation_urls(texts(told), rest_teams.url)) == 2
    assert [a.result for a in await audits(rest_teams.runtime.ctx.desk, "migration.invite")] == ["ok", "redirected"]
    assert f"L{link}" in texts(told)


async def test_a_connector_outage_is_tried_again_not_redirected(rest_teams: Served) -> None:
    await _invite(rest_teams, 500)

    alerts = await _alerts(rest_teams)
    assert set(alerts) == {"customer_migration"} and alerts["customer_migration"].sent_at is None
    assert "500" in (alerts["customer_migration"].last_error or "")
    assert _to_customer(rest_teams) == []
    assert not [c for c in rest_teams.teams.sent(conversation=SUPPORT_CHANNEL) if "migratie-uitnodiging" in c.text()]
    assert [a.result for a in await audits(rest_teams.runtime.ctx.desk, "migration.invite")] == ["ok"]

    await rest_teams.runtime.ctx.outbox.drain()  # the connector answers again
    [card] = _to_customer(rest_teams)
    assert len(_invitation_urls(card.text(), rest_teams.url)) == 2


async def test_a_customer_without_a_known_chat_goes_to_the_support_thread(rest_teams: Served) -> None:
    """The link was made in Teams, but no 1:1 chat with its customer is known (the app is not installed
    for them): waiting will not change that, so support gets the invitation URLs at once."""
    await rest_teams.install()
    link = await soap_link(rest_teams.runtime.ctx.desk, platform="teams", team_id=ENGLISH.tenant, user_id=ENGLISH.aad)
    await rest_teams.command(STAFF, f"migration invite L{link}")
    await rest_teams.settle()
    [message] = [c for c in rest_teams.teams.sent(conversation=SUPPORT_CHANNEL) if "migratie-uitnodiging" in c.text()]
    assert ("Waarom: de bot heeft geen chat met hen in Teams (de app is niet voor hen geïnstalleerd) (NotInstalled)."
            in message.text())
    assert len(_invitation_urls(message.text(), rest_teams.url)) == 2
    assert _to_customer(rest_teams) == []
    assert (await _alerts(rest_teams))["customer_migration"].last_error.startswith("Undeliverable")
