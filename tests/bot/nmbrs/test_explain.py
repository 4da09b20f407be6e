"""Plain-language explanations: one for every outcome, in Dutch and English."""

from __future__ import annotations

import pytest

from handlers.model import (
    Company,
    Debtor,
    InvalidInput,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
    Valid,
    Validation,
)
from handlers.text.explain import Explanation, explain, explain_input
from handlers.text.locale import language

VALID = Valid(
    "hr@acme.nl", "acme", (Debtor(1, 1, "Acme"),), (Company(2, 1, "Acme B.V.", 1), Company(3, 2, "X", 1)), 0.2
)
EMPTY = Valid("hr@acme.nl", "acme", (Debtor(1, 1, "Acme"),), (), 0.2)


def _rejected(code: int | None, category: RejectionCategory, message: str = "Unauthorized access") -> Rejected:
    return Rejected(code=code, category=category, message=message, latency_s=0.1)


EVERY_OUTCOME: list[Validation] = [
    VALID,
    EMPTY,
    _rejected(1000, RejectionCategory.CREDENTIALS, "Invalid Email or Password"),
    _rejected(1001, RejectionCategory.CREDENTIALS, "Invalid Authentication"),
    _rejected(1002, RejectionCategory.RIGHTS),
    _rejected(1003, RejectionCategory.RIGHTS, "Unauthorized access data"),
    _rejected(2004, RejectionCategory.RIGHTS, "No rights on company"),
    _rejected(1004, RejectionCategory.SUBSCRIPTION, "Disabled, no valid subscription"),
    _rejected(2042, RejectionCategory.OTHER, "MultipleEnvironmentAccounts"),
    *[Unreachable(cause, "detail", 1.0) for cause in UnreachableCause],
]


def _id(result: Validation) -> str:
    return f"{result.outcome}-{getattr(result, 'code', '')}-{getattr(result, 'cause', '')}"


@pytest.mark.parametrize("result", EVERY_OUTCOME, ids=_id)
def test_every_outcome_has_words_in_both_languages(result: Validation) -> None:
    nl, en = explain(result, "nl"), explain(result, "en")
    for words in (nl, en):
        assert isinstance(words, Explanation)
        assert words.headline and words.detail and words.action
        assert not words.headline.endswith(".")
        assert "SOAP" not in words.detail + words.action and "HTTP" not in words.detail + words.action
    assert nl != en


def test_valid() -> None:
    nl, en = explain(VALID, "nl"), explain(VALID, "en")
    assert "acme" in nl.detail and "1 debiteur en 2 bedrijven" in nl.detail
    assert "1 debtor and 2 companies" in en.detail
    assert "versleuteld" in nl.action and "encrypted" in en.action


def test_reaches_nothing_points_at_the_empty_filter() -> None:
    nl, en = explain(EMPTY, "nl"), explain(EMPTY, "en")
    assert "filter" in nl.detail and "leeg" in nl.detail and "filter" in nl.action
    assert "filter is empty" in en.detail and "filter" in en.action


def test_credentials() -> None:
    nl = explain(_rejected(1001, RejectionCategory.CREDENTIALS), "nl")
    en = explain(_rejected(1001, RejectionCategory.CREDENTIALS), "en")
    assert "gebruikersprofiel → API Token" in nl.action and "accountant" in nl.action and "klantlogin" in nl.action
    assert "opnieuw ingesteld" in nl.detail and "bestaat de gebruiker niet meer" in nl.detail
    assert "User profile → API Token" in en.action and "accountant" in en.action and "client login" in en.action
    assert "reset" in en.detail and "no longer exists" in en.detail


def test_rights_template_versus_filters() -> None:
    template_nl = explain(_rejected(1002, RejectionCategory.RIGHTS), "nl")
    template_en = explain(_rejected(1002, RejectionCategory.RIGHTS), "en")
    assert "template" in template_nl.detail and "template" in template_en.detail
    for code in (1003, 2003, 2004, 2009):
        filters_nl = explain(_rejected(code, RejectionCategory.RIGHTS), "nl")
        filters_en = explain(_rejected(code, RejectionCategory.RIGHTS), "en")
        assert "tags" in filters_nl.action and "filters" in filters_nl.action
        assert "tags" in filters_en.action and "filters" in filters_en.action


def test_subscription_sends_the_customer_to_nmbrs() -> None:
    assert "contact op met Nmbrs" in explain(_rejected(1004, RejectionCategory.SUBSCRIPTION), "nl").action
    assert "contact Nmbrs" in explain(_rejected(1004, RejectionCategory.SUBSCRIPTION), "en").action


def test_other_quotes_what_nmbrs_said() -> None:
    result = _rejected(2042, RejectionCategory.OTHER, "MultipleEnvironmentAccounts")
    assert "2042: MultipleEnvironmentAccounts" in explain(result, "nl").detail
    assert "2042: MultipleEnvironmentAccounts" in explain(result, "en").detail


@pytest.mark.parametrize("cause", list(UnreachableCause))
def test_unreachable_reassures_about_the_token(cause: UnreachableCause) -> None:
    nl = explain(Unreachable(cause, "detail", 1.0), "nl")
    en = explain(Unreachable(cause, "detail", 1.0), "en")
    assert "niets" in nl.detail and "mis" in nl.detail and "token" in nl.detail
    assert "nothing" in en.detail.lower() and "wrong with your token" in en.detail
    assert "versleuteld" in nl.action and "opnieuw" in nl.action
    assert "encrypted" in en.action and "try again" in en.action


def test_unreachable_causes_are_told_apart() -> None:
    details = {explain(Unreachable(cause, "d", 1.0), "nl").detail for cause in UnreachableCause}
    assert len(details) == len(UnreachableCause)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "nl"), ("nl-NL", "nl"), ("NL_be", "nl"), ("en", "en"), ("en-GB", "en"), ("de", "en"), ("", "en")],
)
def test_language(lang: str, expected: str) -> None:
    assert language(lang) == expected


@pytest.mark.parametrize(
    "reason",
    ["empty_username", "bad_username", "empty_token", "token_has_spaces", "token_too_long", "token_bad_characters"],
)
def test_every_input_refusal_is_explained(reason: str) -> None:
    error = InvalidInput(reason, "message")  # type: ignore[arg-type]
    nl, en = explain_input(error, "nl"), explain_input(error, "en")
    assert nl.headline and nl.detail and nl.action and en.headline and en.detail and en.action
    assert nl != en


def test_explain_refuses_other_types() -> None:
    with pytest.raises(TypeError):
        explain("valid", "nl")  # type: ignore[arg-type]
