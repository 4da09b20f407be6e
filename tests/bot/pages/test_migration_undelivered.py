"""`/nmbrs migration invite` when Slack refuses the customer's DM for good, end to end: the Slack stand-in
refuses `conversations.open` / `chat.postMessage` for that customer only; the SOAP link's support thread
says why in plain words and lists the round's invitation URLs to forward (renewed: the ones made for the
refused DM stop working, no second invitation is made), an URL opens the invitation page, the audit log
says `redirected`, the customer got nothing and the round stays claimed. A Slack Connect customer whose DM
Slack refuses goes the same way; a rate limit or an outage is tried again, not redirected."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.standins.slack.workspace import TEAM_ID, dm_channel
from storage.models import AlertRecord, Invitation
from tests.bot.pages.migration_scene import audits, consent_path_on, soap_link
from tests.bot.pages.rest_app import RestServed, rest_app, rest_nmbrs, rest_server  # noqa: F401 - fixtures
from tests.bot.pages.test_migration_invite import command, settings  # noqa: F401 - fixtures
from tests.bot.slack.conftest import ENGLISH, GUEST, GUEST_TEAM, SUPPORT_CHANNEL, nmbrs, slack  # noqa: F401
from tests.bot.slack.test_dm import texts

_URL = re.compile(r"https?://[^\s|>]+")


def _invitation_urls(text: str, base: str) -> list[str]:
    return [url for url in _URL.findall(text) if url.startswith(base + "/i/")]


async def _alerts(served: Any) -> dict[str, AlertRecord]:
    async with served.ctx.desk.sessions() as session:
        return {row.kind: row for row in (await session.scalars(select(AlertRecord))).all()}


async def _invitations(served: Any, link: int) -> list[Invitation]:
    async with served.ctx.desk.sessions() as session:
        return list((await session.scalars(select(Invitation).where(Invitation.migration_link_id == link)
                                           .order_by(Invitation.id))).all())


@pytest.mark.parametrize(("method", "error", "why"), [
    ("conversations.open", "cannot_dm_bot", "Slack laat de bot hun geen direct bericht sturen"),
    ("chat.postMessage", "account_inactive", "hun Slack-account is gedeactiveerd"),
])
async def test_a_dm_slack_refuses_for_good_goes_to_support_with_the_urls_to_forward(
        rest_app: RestServed, method: str, error: str, why: str) -> None:
    served = rest_app.served
    desk = served.ctx.desk
    link = await soap_link(desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)
    served.slack.fail_next(method, error, target=dm_channel(ENGLISH) if method == "chat.postMessage" else ENGLISH)

    answer = await command(served, f"migration invite L{link}")
    assert f"Invited the customer of L{link} on Slack" in json.dumps(answer, ensure_ascii=False)
    await served.settle()

    assert served.posts(dm_channel(ENGLISH)) == []  # the customer got nothing
    parent, told = served.posts(SUPPORT_CHANNEL)
    assert told["thread_ts"] and "thread_ts" not in parent and f"*L{link}*" in texts(parent)
    shown = texts(told)
    # In support's language (TOKENDESK_LANGUAGE, nl here).
    assert f"De migratie-uitnodiging voor de klant van L{link} kon niet bezorgd worden" in shown
    assert f"Waarom: {why} (`{error}`)." in shown
    assert "per e-mail of in een ticket" in shown and "De links om door te sturen werken één keer, tot" in shown
    assert "`4` Drukkerij Smit · `I1`" in shown and "`5` Bloemen Bos · `I2`" in shown
    assert "/connect/nmbrs/start" not in json.dumps(told)  # the DM's consent tickets are the customer's
    urls = _invitation_urls(shown, rest_app.url)
    assert len(urls) == 2

    made = await _invitations(served, link)
    assert [(i.short_id, i.migration_debtor_id) for i in made] == [("I1", 2004), ("I2", 2005)]  # no second set
    async with httpx.AsyncClient(base_url=rest_app.url, timeout=30) as browser:
        page = await browser.get(urls[1].removeprefix(rest_app.url))
        assert page.status_code == 200 and consent_path_on(page.text)  # the invitation page, with its consent link
        refused = [c.params for c in served.slack.calls("chat.postMessage") if not c.ok]
        old_urls = _invitation_urls(json.dumps(refused), rest_app.url)
        for old in old_urls:  # the refused DM's, renewed since
            assert "/connect/nmbrs/start" not in (await browser.get(old.removeprefix(rest_app.url))).text
    assert len(old_urls) == (2 if method == "chat.postMessage" else 0) and not set(old_urls) & set(urls)

    [invited, redirected] = await audits(desk, "migration.invite")
    assert invited.result == "ok" and redirected.result == "redirected" and redirected.link_id == link
    assert redirected.detail == {"round": invited.detail["round"], "to": "slack", "error": error, "external": False}
    assert urls[0].rsplit("/", 1)[1] not in json.dumps([redirected.detail, invited.detail])
    alerts = await _alerts(served)
    assert alerts["customer_migration"].sent_at is not None and error in (alerts["customer_migration"].last_error or "")
    assert alerts["migration_undelivered"].sent_at is not None

    again = json.dumps(await command(served, f"migration invite L{link}"), ensure_ascii=False)
    assert "was invited recently" in again  # delivered, to support: the round stays claimed


async def test_a_slack_connect_customer_whose_dm_slack_refuses_goes_to_support(rest_app: RestServed) -> None:
    served = rest_app.served
    link = await soap_link(served.ctx.desk, platform="slack", team_id=GUEST_TEAM, user_id=GUEST)
    served.slack.fail_next("conversations.open", "restricted_action", target=GUEST)

    await command(served, f"migration invite L{link}")
    await served.settle()
    assert served.posts(dm_channel(GUEST)) == []
    told = texts(served.posts(SUPPORT_CHANNEL)[-1])
    assert "van een andere organisatie (Slack Connect) en Slack wilde hun geen direct bericht bezorgen" in told
    assert "(`restricted_action`)" in told and len(_invitation_urls(told, rest_app.url)) == 2
    redirected = (await audits(served.ctx.desk, "migration.invite"))[-1]
    assert (redirected.result, redirected.detail["error"], redirected.detail["external"]) == (
        "redirected", "restricted_action", True)


@pytest.mark.parametrize(("method", "error", "status", "target"), [
    ("conversations.open", "ratelimited", None, ENGLISH),
    ("chat.postMessage", "internal_error", 500, dm_channel(ENGLISH)),
    ("conversations.open", "restricted_action", None, ENGLISH),  # refused for our own user: not known to be for good
])
async def test_a_failure_that_may_pass_is_tried_again_not_redirected(
        rest_app: RestServed, method: str, error: str, status: int | None, target: str) -> None:
    served = rest_app.served
    link = await soap_link(served.ctx.desk, platform="slack", team_id=TEAM_ID, user_id=ENGLISH)
    served.slack.fail_next(method, error, status=status, retry_after=0, count=5, target=target)

    await command(served, f"migration invite L{link}")
    await served.settle()
    alerts = await _alerts(served)
    assert set(alerts) == {"customer_migration"} and alerts["customer_migration"].sent_at is None
    assert error in (alerts["customer_migration"].last_error or "")
    assert served.posts(SUPPORT_CHANNEL) == [] and served.posts(dm_channel(ENGLISH)) == []
    assert [a.result for a in await audits(served.ctx.desk, "migration.invite")] == ["ok"]

    for _ in range(5):  # Slack answers again: the next passes deliver the invite to the customer
        if served.posts(dm_channel(ENGLISH)):
            break
        await served.ctx.outbox.drain()
    [dm] = served.posts(dm_channel(ENGLISH))
    assert "Drukkerij Smit" in json.dumps(dm) and served.posts(SUPPORT_CHANNEL) == []
    assert [i.short_id for i in await _invitations(served, link)] == ["I1", "I2"]
