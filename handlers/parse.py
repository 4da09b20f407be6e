"""Finding Nmbrs credentials in what a person typed: the login e-mail and the API token.

It reads plain text (each platform's inbound module decodes its markup first), and people write
the token in many ways: in a code span, in quotes, after "token:", or bare. This module only finds the
parts; whether they have the right shape is decided later (handlers.shape), so a token with a
space in it is still found and then answered with a specific explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every pattern here runs on up to 40,000 characters a stranger typed (Slack's limit), on the event
# loop: each must be linear in that length. A search pattern's unbounded repeats never match its
# own first character (so no start rescans another's text), unbounded repeats never follow one
# another over characters both could take, and a repeat nested in another begins with a separator
# (tests/bot/slack/test_parse_linear.py checks these shapes on every pattern of this module).
_CODE = re.compile(r"`([^`\n]+)`")
_LOCAL = r"[A-Za-z0-9._%+'-]"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_EMAIL = re.compile(f"{_LOCAL}+@{_DOMAIN}")  # anchored only: a search would rescan from every start
# Searched instead: starts only where a run of local-part characters starts, so a run is read by
# its own start and at most the one before the @ in front of it.
_EMAIL_IN_TEXT = re.compile(f"(?<!{_LOCAL}){_LOCAL}+@{_DOMAIN}")
# "token", "API token", "API-token", "apitoken", "api_token", with or without a separator after it.
_KEYWORD = re.compile(
    r"\b(?:api[\s_-]?)?token\b\s*+(?:(?P<sep>:=|[:=]|\bis\b|\bwas\b)\s*+)?(?P<value>\S+)", re.IGNORECASE
)
_QUOTED = re.compile(r"[\"“”„]([^\s\"“”„]+)[\"“”„]|['‘’]([^\s'‘’]+)['‘’]")
# Only words long enough to be a token (token_like): shorter ones are skipped without a Python step.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-+/=.~]{7,}")
# A scheme is short; bounded, it is looked for only in the few characters before each "://".
_SCHEME = 32
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{0,%d}://\S+" % (_SCHEME - 1), re.IGNORECASE)
_QUOTES = "\"'“”„‘’`"
_TRAILING = ".,;:!?)]}>"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")
_LABEL_IN_CODE = re.compile(r"^\s*(?:api[\s_-]?)?token\s*(?:(?::=|[:=])\s*)?", re.IGNORECASE)
#: Shorter than this is never a token (token_like); checked first, so most words cost nothing more.
_MIN_TOKEN = 8


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
    rest = _without_urls(rest)
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
    if len(word) < _MIN_TOKEN or not _TOKEN_CHARS.fullmatch(word) or "@" in word or "://" in word:
        return False
    # Digits and letters both: long Dutch words and long numbers (IBAN-less account numbers,
    # phone numbers) are not tokens; 32 hex characters practically always have both. (Token
    # characters are ASCII, so these searches say what isdigit/isalpha would.)
    return _DIGIT.search(word) is not None and _LETTER.search(word) is not None


def _emails(text: str) -> list[tuple[int, int]]:
    """Where the e-mail addresses are, leftmost first and not overlapping: what a search for
    `_EMAIL` finds one after another, in linear time."""
    found: list[tuple[int, int]] = []
    pos = 0
    while True:
        # Right where the previous address ended a local part may go on (`a@b.nl.x@c.nl`); the
        # search does not start there, its lookbehind sees the previous address's last letter.
        match = (found and _EMAIL.match(text, pos)) or _EMAIL_IN_TEXT.search(text, pos)
        if match is None:
            return found
        found.append(match.span())
        pos = match.end()


def _without_urls(text: str) -> str:
    """URLs taken out, as `_URL.sub` would, but looking for a scheme only just before each "://"
    (a plain search would try every word start in the text)."""
    pieces, last = [], 0
    while (sep := text.find("://", last)) >= 0:
        # No match starts before `sep - _SCHEME`: its "://" would come before this first one.
        # Cut off after one character of the rest: a match here is one for this "://".
        url = _URL.search(text, max(last, sep - _SCHEME), sep + 4)
        if url is None:
            pieces.append(text[last:sep + 1])
            last = sep + 1
            continue
        url = _URL.match(text, url.start())
        pieces += [text[last:url.start()], " "]
        last = url.end()
    return "".join(pieces) + text[last:]


def _without_emails(text: str) -> str:
    pieces, last = [], 0
    for start, end in _emails(text):
        pieces += [text[last:start], " "]
        last = end
    return "".join(pieces) + text[last:]


def _first_email(text: str) -> str | None:
    for start, end in _emails(text):
        return text[start:end]
    return None


def _code_spans(text: str) -> tuple[list[str], str]:
    spans: list[str] = []

    def take(match: re.Match[str]) -> str:
        spans.append(match.group(1))
        return " "

    text = _without_fences(text, spans)
    text = _CODE.sub(take, text)
    return spans, text


def _without_fences(text: str, spans: list[str]) -> str:
    """```fenced``` blocks taken out (the shortest, left to right, as a lazy regex would), by find():
    a regex would scan to the end again from every unclosed fence."""
    pieces, last = [], 0
    while (start := text.find("```", last)) >= 0 and (end := text.find("```", start + 3)) >= 0:
        pieces.append(text[last:start] + " ")
        spans.append(text[start + 3:end])
        last = end + 3
    return "".join(pieces) + text[last:]


def _from_code(spans: list[str], username: str | None) -> str | None:
    for span in spans:
        if len(span) < _MIN_TOKEN:
            continue  # what is taken out below only shortens it
        content = _LABEL_IN_CODE.sub("", _without_emails(span)).strip().strip(_QUOTES).strip()
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
    # Trailing punctuation off; a base64 "==" ending stays, as "=" is not trailing punctuation.
    return value.rstrip(_TRAILING).strip(_QUOTES)


def _after_keyword(text: str, username: str | None) -> str | None:
    if "token" not in text.lower():  # a case-insensitive search costs more than this look
        return None
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
        if len(value) >= _MIN_TOKEN and value != username and token_like(value):
            return value
    return None


def _bare(text: str, username: str | None) -> str | None:
    for match in _WORD.finditer(_without_emails(text)):
        value = _clean_value(match.group(0))
        if value != username and token_like(value):
            return value
    return None
