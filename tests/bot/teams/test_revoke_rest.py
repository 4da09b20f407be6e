"""`revoke` on a REST link on Teams: the confirmation card, then the card says whether Nmbrs revoked
the refresh token (the REST stand-in over HTTP) or the revocation is queued."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.nmbrs.rest import RestGateway
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import NmbrsRestStandIn
from bot.standins.slack.server import SlackStandIn
from bot.standins.teams.payloads import OTHER_TENANT, SUPPORT_CHANNEL, card_submit
from storage.models import Link
from tests.bot.teams.conftest import CUSTOMER, STAFF, Served, teams_settings
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
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, template_db: Path,
             rest_nmbrs: NmbrsRestStandIn) -> Settings:
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    return teams_settings(tmp_path, slack, nmbrs, **rest_settings(rest_nmbrs))


async def _confirm(app: Served, link_id: int) -> str:
    [question] = await app.command(STAFF, f"revoke L{link_id}")
    buttons = question.card()["actions"]
    assert [b["data"]["tokendesk"] for b in buttons] == ["revoke.confirm", "revoke.cancel"]
    await app.send(card_submit(STAFF, buttons[0]["data"], app.teams.service_url, reply_to=question.response["id"],
                               channel=SUPPORT_CHANNEL, thread=question.conversation_id.split("=")[-1]))
    [answer] = app.teams.sent("update")
    return answer.text()


@pytest.mark.parametrize("down", [False, True])
async def test_the_confirm_card_revokes_a_rest_link_and_says_what_nmbrs_did(
        app: Served, rest_nmbrs: NmbrsRestStandIn, rest_gateway: RestGateway, down: bool) -> None:
    add_acme(rest_nmbrs)
    await app.install()
    desk = app.runtime.ctx.desk
    link_id = await consented_link(rest_nmbrs, rest_gateway, desk.sessions, desk.cipher, email=EMAIL,
                                   platform="teams", team_id=OTHER_TENANT, user_id=CUSTOMER.aad)
    app.teams.reset()
    rest_nmbrs.set_down("503" if down else False)
    try:
        said = await _confirm(app, link_id)
    finally:
        rest_nmbrs.set_down(False)
    assert f"L{link_id} revoked" in said and "stay valid until they expire" in said
    if down:
        assert "queued, will retry" in said and rest_nmbrs.live_refresh_tokens(EMAIL) == 1
    else:
        assert "revoked at Nmbrs" in said and rest_nmbrs.live_refresh_tokens(EMAIL) == 0
    async with desk.sessions() as session:
        link = await session.get(Link, link_id)
    assert link is not None and link.state == "revoked" and link.token_ciphertext is None
