"""The credentials form (Slack modal, Teams form card): what is wrong with each field before Nmbrs
is asked, in the person's language."""

from __future__ import annotations

from handlers.model import InvalidInput
from handlers.shape import clean_token, clean_username
from handlers.text import replies

USERNAME = "username"
TOKEN = "token"


def shape_errors(username: str, token: str, lang: str) -> dict[str, str]:
    """An error per field (`USERNAME`, `TOKEN`) whose value has the wrong shape; empty when both look right.

    Each platform maps the field names onto its own input ids."""
    errors = {}
    for name, value, clean in ((USERNAME, username, clean_username), (TOKEN, token, clean_token)):
        try:
            clean(value)
        except InvalidInput as exc:
            errors[name] = replies.field_error(exc.reason, lang)
    return errors
