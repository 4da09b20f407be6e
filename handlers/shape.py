"""Local shape checks on a username and token, so obvious paste mistakes never cost a call to Nmbrs."""

from __future__ import annotations

import re

from handlers.model import InvalidInput

MAX_USERNAME = 254  # the longest an e-mail address can be (RFC 5321 path limit)
MAX_TOKEN = 256  # far above the 32 characters seen in practice; anything longer is a wrong paste

# Deliberately loose: Nmbrs decides what a valid login is. This only catches
# "that is not an e-mail address at all" (a name, a token pasted in the wrong field, ...).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def clean_username(raw: str) -> str:
    """Trim the login e-mail and check it looks like one; raise InvalidInput if not."""
    username = raw.strip()
    if not username:
        raise InvalidInput("empty_username", "The username (the Nmbrs login e-mail address) is empty.")
    if (
        len(username) > MAX_USERNAME
        or not username.isprintable()
        or _EMAIL.fullmatch(username) is None
    ):
        raise InvalidInput(
            "bad_username",
            "The username must be the e-mail address you log in to Nmbrs with.",
        )
    return username


def clean_token(raw: str) -> str:
    """Trim the API token and refuse shapes Nmbrs can never accept; raise InvalidInput if so.

    The token is opaque (the one public example is 32 lowercase hex characters), so no
    particular alphabet is demanded: only printable ASCII without spaces, at most MAX_TOKEN long.
    """
    token = raw.strip()
    if not token:
        raise InvalidInput("empty_token", "The API token is empty.")
    if any(ch.isspace() for ch in token):
        raise InvalidInput(
            "token_has_spaces",
            "The API token contains spaces or line breaks; copy it again as one piece.",
        )
    if len(token) > MAX_TOKEN:
        raise InvalidInput(
            "token_too_long",
            f"The API token is longer than {MAX_TOKEN} characters; that is not an Nmbrs API token.",
        )
    if not all(0x21 <= ord(ch) <= 0x7E for ch in token):
        raise InvalidInput(
            "token_bad_characters",
            "The API token contains characters an Nmbrs API token never has "
            "(accents, symbols from another alphabet or invisible characters).",
        )
    return token
