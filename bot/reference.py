"""The short reference an unexpected error is answered with: the same id its log line carries."""

from __future__ import annotations

from handlers.trace import correlation_id, new_correlation_id


def error_reference() -> str:
    """The current request's (or run's) correlation id; a fresh one, set for the log, when there is none."""
    current = correlation_id.get()
    if current and current != "-":
        return current
    made = new_correlation_id()
    correlation_id.set(made)
    return made
