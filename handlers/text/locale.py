"""The one mapping from a locale ("nl", "nl-NL", "en_GB", ...) to the language we write, nl or en."""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en"]


def primary_language(locale: str) -> Language:
    """Dutch when the locale's primary subtag is nl (any case, - or _), English otherwise."""
    return "nl" if locale.lower().replace("_", "-").split("-")[0] == "nl" else "en"


def language(lang: str) -> Language:
    """The language for a setting or stored choice, tolerant of surrounding spaces."""
    return primary_language(lang.strip())


def lang_for_locale(locale: str | None, default: str) -> str:
    """The language for a chat platform's locale of a user; `default` when the platform gave none."""
    if not locale:
        return default
    return primary_language(locale)
