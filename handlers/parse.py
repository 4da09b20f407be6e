"""Finding Nmbrs credentials in what a person typed: the login e-mail and the API token.

It reads plain text (each platform's inbound module decodes its markup first), and people write
the token in many ways: in a code span, in quotes, after "token:", or bare. This module only finds the
parts; whether they have the right shape is decided later (handlers.shape), so a token with a
space in it is still found and then answered with a specific explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# "token", "API token", "API-token", "apitoken", "api_token", with or without a separator after it.
_KEYWORD = re.compile(
    r"\b(?:api[\s_-]?)?token\b\s*(?P<sep>:=|[:=]|\bis\b|\bwas\b)?\s*(?P<value>\S+)", re.IGNORECASE
)
_QUOTED = re.compile(r"[\"“”„]([^\s\"“”„]+)[\"“”„]|['‘’]([^\s'‘’]+)['‘’]")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-+/=.~]*")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_QUOTES = "\"'“”„‘’`"
_TRAILING = ".,;:!?)]}>"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
_LABEL_IN_CODE = re.compile(r"^\s*(?:api[\s_-]?)?token\s*(?::=|[:=])?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """What one message held. Either part may be missing."""

    username: str | None = None
    token: str | None = None

    @property
    def empty(self) -> bool:
        return self.username is None and self.token is None

    def __repr__(self) -> str:  # never the token, also not in a failing test's output
        shown = None if self.token is None else f"…{self.token[-4:]}"
        return f"Found(username={self.username!r}, token={shown!r})"


def find_credentials(text: str) -> Found:
    """The login e-mail and the API token in plain text, as far as they are there."""
    plain = text or ""
    username = _first_email(plain)
    spans, rest = _code_spans(plain)
    rest = _URL.sub(" ", rest)
    token = _from_code(spans, username)
    if token is None:
        token = _after_keyword(rest, username)
    if token is None:
        token = _quoted(rest, username)
    if token is None:
        token = _bare(rest, username)
    return Found(username=username, token=token)


def token_like(word: str) -> bool:
    """Looks like an API token rather than a word: no spaces, long enough, and not a plain word.

    Nmbrs tokens are 32 hex characters; we accept any opaque run of token characters of 8 or
    more with both a digit and a letter in it."""
    if not _TOKEN_CHARS.fullmatch(word) or "@" in word or "://" in word:
        return False
    # Digits and letters both: long Dutch words and long numbers (IBAN-less account numbers,
    # phone numbers) are not tokens; 32 hex characters practically always have both.
    return len(word) >= 8 and any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


def _first_email(text: str) -> str | None:
    match = _EMAIL.search(text)
    return match.group(0) if match else None


def _code_spans(text: str) -> tuple[list[str], str]:
    spans: list[str] = []

    def take(match: re.Match[str]) -> str:
        spans.append(match.group(1))
        return " "

    text = _FENCE.sub(take, text)
    text = _CODE.sub(take, text)
    return spans, text


def _from_code(spans: list[str], username: str | None) -> str | None:
    for span in spans:
        content = _LABEL_IN_CODE.sub("", _EMAIL.sub(" ", span)).strip().strip(_QUOTES).strip()
        if not content:
            continue
        pieces = content.split()
        # A token broken by a line break or a space while copying is still the token: keep the
        # whitespace so the answer can say exactly that. A sentence in a code span is not a token.
        if all(_TOKEN_CHARS.fullmatch(piece) for piece in pieces) and token_like("".join(pieces)):
            return content if content != username else None
    return None


def _clean_value(value: str) -> str:
    value = value.strip(_QUOTES)
    while value and value[-1] in _TRAILING and not value.endswith("=="):
        value = value[:-1]
    return value.strip(_QUOTES)


def _after_keyword(text: str, username: str | None) -> str | None:
    for match in _KEYWORD.finditer(text):
        value = _clean_value(match.group("value"))
        if not value or value == username or _EMAIL.fullmatch(value):
            continue
        explicit = match.group("sep") in (":", "=", ":=")
        # After "token:" the next word is meant as the token even when short (Nmbrs will say so);
        # after "token is" only something that looks like one ("my token is expired" is not).
        if (explicit and _TOKEN_CHARS.fullmatch(value) and len(value) >= 6) or token_like(value):
            return value
    return None


def _quoted(text: str, username: str | None) -> str | None:
    for match in _QUOTED.finditer(text):
        value = match.group(1) or match.group(2)
        if value != username and token_like(value):
            return value
    return None


def _bare(text: str, username: str | None) -> str | None:
    without_emails = _EMAIL.sub(" ", text)
    for match in _WORD.finditer(without_emails):
        value = _clean_value(match.group(0))
        if value != username and token_like(value):
            return value
    return None
