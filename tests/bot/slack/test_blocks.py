"""Block Kit builders and customer texts: pure functions, escaping, limits, both languages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.slack import blocks
from handlers.intake import BadInput, Limited, Refused
from handlers.model import (
    CUSTOMER_KINDS,
    Alert,
    AlertKind,
    LinkCard,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
)
from handlers.text import conversation, customer_alerts, replies

CARD = LinkCard(
    id=12, username="hr@acme.nl", environment="acme", state="active", token_last4="cdef", label=None,
    platform="slack", team_id="T1", user_id="U0CUST", debtor_count=1, company_count=6,
    debtor_names=("Acme Holding",), company_names=tuple(f"C{i}" for i in range(6)),
)


def test_escape_makes_broadcasts_and_links_inert() -> None:
    assert blocks.escape("<!channel> & <@U1> <https://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"


@pytest.mark.parametrize("value, shown", [
    ("U0CUST", "<@U0CUST>"), ("W123ABC", "<@W123ABC>"), ("<!channel>", "&lt;!channel&gt;"), (None, "?"),
    ("U0CUST> <!here", "U0CUST&gt; &lt;!here"),
])
def test_mention_only_for_real_user_ids(value: object, shown: str) -> None:
    assert blocks.mention(value) == shown


def test_reply_blocks_escape_every_part() -> None:
    reply = replies.Reply(tone="problem", headline="<!here>", detail="a & b", action="<x>", facts=("<y>",),
                          notes=("<z>",), offer_connect=True)
    rendered = json.dumps(blocks.reply_message(reply, "en"))
    for raw in ("<!here>", "<x>", "<y>", "<z>", "a & b"):
        assert raw not in rendered
    assert blocks.CONNECT_ACTION in rendered


def test_more_than_five_companies_are_counted_not_named() -> None:
    facts = replies.link_facts(CARD, "en")
    assert "Companies: 6" in facts and "Debtors: 1 (Acme Holding)" in facts


def test_modal_texts_fit_slacks_limits() -> None:
    for lang in ("nl", "en"):
        view = blocks.connect_modal(lang, conversation.form_intro(lang), username="x@y.nl")
        for key in ("title", "submit", "close"):
            assert len(view[key]["text"]) <= 24
        assert json.loads(view["private_metadata"]) == {"lang": lang}


def test_form_values_and_language_from_a_submitted_view() -> None:
    view = {"state": {"values": {"username": {"value": {"value": " a@b.nl "}}, "token": {"value": {"value": None}}}},
            "private_metadata": '{"lang": "en"}'}
    assert blocks.form_values(view) == (" a@b.nl ", "")
    assert blocks.form_lang(view, "nl") == "en"
    assert blocks.form_lang({"private_metadata": "not json"}, "nl") == "nl"
    assert blocks.form_lang({"private_metadata": '{"lang": "fr"}'}, "nl") == "nl"


def test_home_view_caps_the_list_within_slacks_block_limit() -> None:
    cards = [CARD] * 150
    view = blocks.home_view("en", cards, {}, staff_blocks=[{"type": "divider"}] * 200)
    assert len(view["blocks"]) <= 100
    assert "and 130 more links" in json.dumps(view)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_outcome_has_words_in_both_languages(lang: str) -> None:
    outcomes = [
        Refused(Rejected(1001, RejectionCategory.CREDENTIALS, "x", 0.1), attempts_left=0),
        Refused(Rejected(1002, RejectionCategory.RIGHTS, "x", 0.1), attempts_left=1),
        Limited(timedelta(minutes=42, seconds=5)),
        *[BadInput(reason, "token") for reason in ("empty_username", "bad_username", "empty_token",
                                                   "token_has_spaces", "token_too_long", "token_bad_characters")],
    ]
    for outcome in outcomes:
        reply = replies.outcome_reply(outcome, lang)
        assert reply.headline and reply.text()
    assert "43" in replies.limited(timedelta(minutes=42, seconds=5), lang).action


def test_support_update_for_every_link_kind_names_the_link() -> None:
    for kind in AlertKind:
        if kind in (AlertKind.CUSTOMER_STUCK, AlertKind.DIGEST) or kind in CUSTOMER_KINDS:
            continue
        message = blocks.support_update(Alert(kind, CARD, {"by": "U0STAFF"}), "en")
        assert "*L12*" in message["blocks"][0]["text"]["text"]


def test_customer_alerts_rebuild_outcomes_from_details() -> None:
    assert customer_alerts.rejected_from({"reason": "subscription", "code": 1004}).category is RejectionCategory.SUBSCRIPTION
    assert customer_alerts.rejected_from({"reason": "nonsense"}).category is RejectionCategory.OTHER
    assert customer_alerts.unreachable_from({"cause": "timeout"}).cause is UnreachableCause.TIMEOUT
    assert isinstance(customer_alerts.unreachable_from({}), Unreachable)
    result = customer_alerts.customer_result(CARD, {"outcome": "unreachable", "cause": "html"}, "en")
    assert result.tone == "wait"
