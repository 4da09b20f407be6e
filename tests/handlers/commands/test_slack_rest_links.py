"""`/nmbrs` on REST links through the whole Slack app (signed requests, the Slack and REST stand-ins):
status shows who consented, the debtor, the scopes and when the access token expires; list and
history mark the kind; revoke's confirmation step, then the answer says whether Nmbrs revoked the
refresh token or the revocation is queued; a queued one that goes through later is told in the thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.nmbrs.rest import RestGateway
from bot.slack.command_blocks import REVOKE_CANCEL, REVOKE_CONFIRM
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import NmbrsRestStandIn
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import TEAM_ID
from storage.models import Link, PendingRevocation, utcnow
from tests.handlers.commands.conftest import CUSTOMER, Harness, running
from tests.handlers.commands.test_slack_commands import flat
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    ACME as EMAIL,
    add_acme,
    consented_link,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_settings,
)


@pytest.fixture
async def rest_harness(slack: SlackStandIn, nmbrs: NmbrsStandIn, rest_nmbrs: NmbrsRestStandIn, tmp_path: Path,
                       template_db: Path, key_line: str) -> AsyncIterator[Harness]:
    add_acme(rest_nmbrs)
    async with running(slack, nmbrs, tmp_path, template_db, key_line, **rest_settings(rest_nmbrs)) as harness:
        yield harness


async def _rest_link(harness: Harness, nmbrs: NmbrsRestStandIn, gateway: RestGateway) -> int:
    return await consented_link(nmbrs, gateway, harness.desk.sessions, harness.desk.cipher, email=EMAIL,
                                team_id=TEAM_ID, user_id=CUSTOMER)


async def test_status_list_and_history_show_a_rest_link_for_what_it_is(
        rest_harness: Harness, rest_nmbrs: NmbrsRestStandIn, rest_gateway: RestGateway) -> None:
    harness = rest_harness
    link_id = await _rest_link(harness, rest_nmbrs, rest_gateway)
    async with harness.desk.sessions() as session:
        link = await session.get(Link, link_id)
        assert link is not None and link.access_expires_at is not None
    status = flat(await harness.ack(f"status L{link_id}"))
    for shown in ("REST (consent in Nmbrs)", "Consented by", EMAIL, "Debtor", "Acme Holding",
                  "offline_access user.info.read debtor.info.read company.info.read", "Access token expires",
                  f"<!date^{int(link.access_expires_at.timestamp())}^"):
        assert shown in status, shown
    assert "…" not in status  # no "last four characters" for a REST link
    listed = flat(await harness.ack("list"))
    assert f"*L{link_id}*" in listed and "REST · Acme Holding" in listed
    assert f"REST · Acme Holding" in flat(await harness.ack(f"history L{link_id}"))
    customer = flat(await harness.ack("status", user=CUSTOMER))
    assert "REST (consent in Nmbrs)" in customer and "Acme Holding" in customer  # their own link


async def test_confirm_revokes_the_rest_link_here_and_at_nmbrs(rest_harness: Harness, rest_nmbrs: NmbrsRestStandIn,
                                                               rest_gateway: RestGateway) -> None:
    harness = rest_harness
    link_id = await _rest_link(harness, rest_nmbrs, rest_gateway)
    asked = await harness.ack(f"revoke L{link_id}")
    buttons = asked["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == [REVOKE_CONFIRM, REVOKE_CANCEL]
    assert "revoked at Nmbrs; the customer has to connect again" in flat(asked)
    assert rest_nmbrs.calls["revocation"] == 0  # nothing happens before the confirmation
    [done] = await harness.responses(await harness.click(REVOKE_CONFIRM, str(link_id)))
    said = flat(done)
    assert f"L{link_id} revoked" in said and "revoked at Nmbrs" in said and "stay valid until they expire" in said
    assert rest_nmbrs.calls["revocation"] == 1 and rest_nmbrs.live_refresh_tokens(EMAIL) == 0
    async with harness.desk.sessions() as session:
        link = await session.get(Link, link_id)
        assert link is not None and link.state == "revoked" and link.token_ciphertext is None
        assert (await session.scalars(select(PendingRevocation))).all() == []


async def test_nmbrs_down_the_answer_says_queued_and_the_thread_hears_when_it_went_through(
        rest_harness: Harness, rest_nmbrs: NmbrsRestStandIn, rest_gateway: RestGateway) -> None:
    harness = rest_harness
    link_id = await _rest_link(harness, rest_nmbrs, rest_gateway)
    await harness.ack(f"revoke L{link_id}")
    rest_nmbrs.set_down("503")
    try:
        [done] = await harness.responses(await harness.click(REVOKE_CONFIRM, str(link_id)))
    finally:
        rest_nmbrs.set_down(False)
    said = flat(done)
    assert f"L{link_id} revoked" in said and "queued, will retry" in said and "revoked at Nmbrs" not in said
    assert rest_nmbrs.live_refresh_tokens(EMAIL) == 1
    # The test moves time: the entry's next attempt is due now, and the retry worker runs.
    async with harness.desk.sessions() as session, session.begin():
        await session.execute(update(PendingRevocation).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    revocations = harness.ctx.revocations
    assert revocations is not None
    assert (await revocations.run_due()).revoked == 1
    assert rest_nmbrs.live_refresh_tokens(EMAIL) == 0
    await harness.ctx.outbox.drain()
    told = await harness.slack.wait_for_async(
        "chat.postMessage", lambda c: "revoked at Nmbrs after all" in flat(c.params))
    assert len(told) == 1 and told[0].params.get("thread_ts")
