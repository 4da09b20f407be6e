"""The correlation id: which inbound request or run a piece of work (and its log lines) belongs to."""

from __future__ import annotations

import contextvars
import secrets

#: The id of the request or run a log line belongs to ("-" outside either). Set per inbound HTTP
#: request by bot.web's middleware, per nightly run by the re-check; tasks started while it is set
#: (bolt's listeners, the outbox) inherit it, as asyncio copies the context into new tasks.
correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


def new_correlation_id() -> str:
    """A fresh short id: 12 hex characters, random enough to tell a day's requests apart."""
    return secrets.token_hex(6)
