"""One locale -> language mapping answers exactly as the three it replaced (explain, Slack, Teams) did."""

from __future__ import annotations

import pytest

from handlers.text.locale import lang_for_locale, language, primary_language

LOCALES = [
    "nl", "NL", "nl-NL", "nl_NL", "nl-BE", "nl_be", "NL-nl", "en", "en-US", "en_GB", "de-DE", "fr",
    "", " ", "  nl", "nl  ", " nl-NL ", "\tnl", "nld", "nl-", "-nl", "_nl", "n l", "x-nl", "nl-x-private",
]


def _explain_before(lang: str) -> str:
    # bot.nmbrs.explain.language as it was.
    return "nl" if lang.strip().lower().replace("_", "-").split("-")[0] == "nl" else "en"


def _adapters_before(locale: str | None, default: str) -> str:
    # bot.slack.people.lang_for_locale and bot.teams.inbound.lang_for_locale as they were (the same).
    if not locale:
        return default
    return "nl" if locale.lower().replace("_", "-").split("-")[0] == "nl" else "en"


@pytest.mark.parametrize("locale", LOCALES)
def test_language_answers_as_explain_did(locale: str) -> None:
    assert language(locale) == _explain_before(locale)


@pytest.mark.parametrize("default", ["nl", "en"])
@pytest.mark.parametrize("locale", [*LOCALES, None])
def test_lang_for_locale_answers_as_the_adapters_did(locale: str | None, default: str) -> None:
    assert lang_for_locale(locale, default) == _adapters_before(locale, default)


def test_both_rest_on_the_primary_subtag() -> None:
    assert primary_language("nl_BE") == "nl" and primary_language("en-NL") == "en"
    # A stored setting may carry spaces; a platform's locale is taken as given.
    assert language(" nl ") == "nl" and lang_for_locale(" nl ", "nl") == "en"
    assert lang_for_locale(None, "nl") == "nl" and lang_for_locale("", "en") == "en"
