"""`/nmbrs invite` through Slack (a signed slash command into the running app): the URL opens the page."""

from __future__ import annotations

import json
import re

from bot.standins.slack.payloads import slash_command
from tests.bot.slack.conftest import CUSTOMER, Served


async def _command(app: Served, user: str, text: str) -> str:
    name = f"cmd-{user}-{len(app.slack.responses())}"
    response = await app.send(slash_command(text, user, "T0TOKDESK", "C0SUPPORT", app.slack.response_url(name)))
    assert response.status_code == 200
    await app.settle()
    return response.text + " ".join(json.dumps(call.params) for call in app.slack.responses(name))


async def test_support_invites_revokes_and_the_customer_may_not(app: Served) -> None:
    app.slack.add_user("U0STAFF", name="staff", locale="en-GB")
    made = await _command(app, "U0STAFF", "invite hr@acme.nl")
    url = re.search(r"http://127\.0\.0\.1:9(/i/[A-Za-z0-9_-]{43})", made)
    assert url, made
    assert (await app.http.get(url.group(1))).status_code == 200
    listed = await _command(app, "U0STAFF", "invites")
    assert "I1" in listed and "hr@acme.nl" in listed and url.group(1) not in listed
    assert "I1" in await _command(app, "U0STAFF", "invite revoke I1")
    assert (await app.http.get(url.group(1))).status_code == 404
    refused = await _command(app, CUSTOMER, "invite hr@acme.nl")
    assert "/i/" not in refused
