"""The identity stand-in's HTML: the login-and-consent page, the error page shown instead of a
redirect to an unregistered URI, and the maintenance page of an injected outage."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.standins.nmbrs_rest.accounts import SCOPES

# The authorization request travels through the form as hidden fields, so the POST is checked
# exactly like the GET (no server-side session to trust).
REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)

_STYLE = (
    "body{font-family:sans-serif;max-width:32rem;margin:3rem auto;color:#1d2b36}"
    "label{display:block;margin-top:1rem}input[type=email],input[type=password]{width:100%}"
    ".error{color:#b00020}.buttons{margin-top:1.5rem}"
    ".notice{background:#fff4ce;border:1px solid #e0c25c;padding:.5rem .75rem;border-radius:4px}"
)


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>{body}</body></html>\n"
    )


def consent_page(
    request: Mapping[str, str], *, client_name: str, error: str | None = None, email: str = "",
    notice: str | None = None,
) -> str:
    scopes = request.get("scope", "").split()
    items = "".join(f"<li><code>{escape(s)}</code> — {escape(SCOPES.get(s, ''))}</li>" for s in scopes)
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(request[name])}">'
        for name in REQUEST_FIELDS
        if request.get(name) is not None
    )
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        (f'<p class="notice">{escape(notice)}</p>' if notice else "")
        + "<h1>Nmbrs</h1>"
        f"<p><strong>{escape(client_name)}</strong> asks for access to your Nmbrs environment:</p>"
        f"<ul>{items}</ul>{problem}"
        '<form method="post" action="/connect/authorize">'
        f"{hidden}"
        f'<label>E-mail <input type="email" name="email" value="{escape(email)}"'
        ' autocomplete="username"></label>'
        '<label>Password <input type="password" name="password" autocomplete="current-password"></label>'
        '<div class="buttons"><button type="submit" name="action" value="allow">Allow</button> '
        '<button type="submit" name="action" value="cancel">Cancel</button></div>'
        "</form>"
    )
    return _document("Nmbrs - Log in", body)


def error_page(error: str, detail: str) -> str:
    body = f"<h1>Sorry, there was an error</h1><p><code>{escape(error)}</code></p><p>{escape(detail)}</p>"
    return _document("Nmbrs - Error", body)


MAINTENANCE_PAGE = _document(
    "Service Unavailable",
    "<h1>Service Unavailable</h1><p>Nmbrs is undergoing maintenance. Please try again later.</p>",
)
