"""A token pasted into a `/nmbrs` argument (issue 12 finding 8): refused, told privately to reset it,
and written nowhere (link label, audit log, alerts, logs, the answer). Ordinary words stay allowed."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from handlers.redact import credential_like, holds_credential, mask_credentials
from storage.models import AlertRecord, Link
from tests.handlers.commands.conftest import CUSTOMER, STAFF, TOKENS, Harness

HEX = TOKENS["hr@acme.nl"]
#: Not hex: the old label rule (handlers.redact.redact) let these through.
OPAQUE = "Zq8vR2mXk4Lp9Tn7Wc3Yb6Hd1Gf5Js0A"
BASE64ISH = "dG9rZGVzay1zZWNyZXQtMTIzNDU2Nzg5MA=="

TOKEN_TEXTS = [
    ("label L{acme} {token}", STAFF),
    ("label L{acme} payroll {token}", STAFF),
    ("label L{acme} `{token}`", STAFF),
    ("status {token}", STAFF),
    ("status hr@acme.nl {token}", CUSTOMER),
    ("check {token}", STAFF),
    ("history {token}", STAFF),
    ("revoke {token}", STAFF),
    ("list {token}", STAFF),
    ("{token}", STAFF),
    ("label L{acme} {token}", CUSTOMER),
]


def flat(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@pytest.mark.parametrize("token", [HEX, OPAQUE, BASE64ISH])
@pytest.mark.parametrize(("template", "user"), TOKEN_TEXTS)
async def test_a_token_in_a_command_is_refused_and_kept_nowhere(
    harness: Harness, caplog: pytest.LogCaptureFixture, template: str, user: str, token: str
) -> None:
    caplog.set_level(logging.DEBUG)
    text = template.format(acme=harness.links["acme"], token=token)
    answer = await harness.ack(text, user=user)
    shown = flat(answer)
    assert answer.get("response_type", "ephemeral") == "ephemeral"  # only the sender sees it
    assert "looks like an Nmbrs API token" in shown and "reset it in Nmbrs" in shown
    await harness.ctx.settle(5)
    async with harness.desk.sessions() as session:
        labels = (await session.scalars(select(Link.label))).all()
        alerts = flat([a.payload for a in (await session.scalars(select(AlertRecord))).all()])
        assert await session.scalar(select(func.count()).select_from(AlertRecord)) == 0
    [entry] = await harness.audits()
    assert (entry.result, entry.detail) == ("refused", {"problem": "token"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    calls = flat([c.params for c in harness.slack.calls()])
    for place in (shown, flat(labels), alerts, flat([entry.action, entry.detail]), logged, calls):
        assert token not in place


@pytest.mark.parametrize("label", ["payroll2026", "team Noord", "Acme B.V. 2026", "L12 backup", "salaris-2026-q1"])
async def test_ordinary_labels_are_kept(harness: Harness, label: str) -> None:
    link_id = harness.links["acme"]
    answer = await harness.ack(f"label L{link_id} {label}", user=STAFF)
    assert "looks like an Nmbrs API token" not in flat(answer)
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).label == label


async def test_link_references_and_words_still_work(harness: Harness) -> None:
    link_id = harness.links["acme"]
    for text in (f"status L{link_id}", "status acme", f"history L{link_id}", "list broken", f"revoke L{link_id}"):
        assert "looks like an Nmbrs API token" not in flat(await harness.ack(text, user=STAFF)), text
    assert all(a.result == "ok" for a in await harness.audits())


async def test_connect_still_opens_the_form(harness: Harness) -> None:
    """`connect` ignores its words (nothing of them is kept) and must open the form within 3 s."""
    response, _ = await harness.command(f"connect hr@acme.nl {OPAQUE}", user=CUSTOMER)
    assert response.status_code == 200 and response.text == ""


@pytest.mark.parametrize("word", [HEX, OPAQUE, BASE64ISH, f"`{HEX}`", f'"{OPAQUE}",', "xoxb-1234-5678-abcdefghijkl"])
def test_credential_shapes(word: str) -> None:
    assert credential_like(word) or holds_credential(word)
    assert holds_credential(f"label L1 {word} team")
    assert word.strip('`",') not in mask_credentials(f"team {word} Noord")


@pytest.mark.parametrize("text", ["payroll2026", "team Noord", "Acme B.V. 2026", "L12", "hr@acme.nl", "status",
                                  "salarisadministratie", "1234567890123456789", "Q3-2026-payroll-run"])
def test_ordinary_words(text: str) -> None:
    assert not holds_credential(text) and mask_credentials(text) == text
