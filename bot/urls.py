"""URLs as they may be shown or logged: an operator's URL can carry a user and password (a webhook
receiver's basic auth, say), and those never reach a log line, an answer or a page."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def host_of(url: str) -> str:
    """A URL's host and port, as it may be shown or logged: never its user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def shown(url: str) -> str:
    """The URL as it may be shown or logged: no user or password, no query, no fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, host_of(url), parts.path, "", ""))
