"""Local shape checks: what is refused before Nmbrs is asked, and what is let through."""

from __future__ import annotations

import pytest

from handlers.model import InvalidInput
from handlers.shape import clean_token, clean_username


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hr@acme.nl", "hr@acme.nl"),
        ("  hr@acme.nl\n", "hr@acme.nl"),
        ("first.last+payroll@sub.acme.co.uk", "first.last+payroll@sub.acme.co.uk"),
        ("jörg@müller.de", "jörg@müller.de"),
    ],
)
def test_usernames_accepted(raw: str, clean: str) -> None:
    assert clean_username(raw) == clean


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty_username"),
        ("   \t", "empty_username"),
        ("acme", "bad_username"),
        ("hr@acme", "bad_username"),
        ("hr@@acme.nl", "bad_username"),
        ("h r@acme.nl", "bad_username"),
        ("hr@acme.nl\x00", "bad_username"),
        ("a" * 250 + "@acme.nl", "bad_username"),
    ],
)
def test_usernames_refused(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_username(raw)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError) and str(caught.value)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("  0123456789abcdef0123456789abcdef \r\n", "0123456789abcdef0123456789abcdef"),
        # Opaque: no particular alphabet or length is demanded.
        ("AbC-123_x.y~Z=", "AbC-123_x.y~Z="),
        ("x" * 256, "x" * 256),
    ],
)
def test_tokens_accepted(raw: str, clean: str) -> None:
    assert clean_token(raw) == clean


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty_token"),
        (" \n\t ", "empty_token"),
        ("0123 4567", "token_has_spaces"),
        ("0123\n4567", "token_has_spaces"),
        ("0123\u00a04567", "token_has_spaces"),
        ("x" * 257, "token_too_long"),
        ("tökén", "token_bad_characters"),
        ("abc\x00def", "token_bad_characters"),
        ("abc\u200bdef", "token_bad_characters"),  # zero-width space from a rich-text paste
    ],
)
def test_tokens_refused(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_token(raw)
    assert caught.value.reason == reason
    assert caught.value.message == str(caught.value)
