"""Logging set-up: one line per event (text or JSON), a correlation id per request or run, and redaction.

`configure_logging` installs one handler on the root logger; its filter is the last line of defence:
it masks anything token-shaped in every record that reaches it, whichever logger made it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import TextIO

from handlers.redact import redact
from handlers.trace import correlation_id


def _one_line(text: str) -> str:
    # One physical line per event: a multi-line message or traceback cannot forge log lines.
    return text.replace("\r", "\\r").replace("\n", "\\n")


class RedactingFilter(logging.Filter):
    """Freezes each record's message and traceback, redacted, and adds the correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = f"{record.msg} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None  # from here on only the redacted text is printed
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """`time level logger [correlation id] message`, a traceback appended, all on one line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = correlation_id.get()
        return _one_line(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation_id (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or correlation_id.get(),
        }
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


def configure_logging(*, level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """Log to `stream` (stderr) from the root logger, through the redacting filter; idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_tokendesk", False):
            root.removeHandler(old)
    handler._tokendesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # zeep prints whole SOAP envelopes, token included, at DEBUG; never let them through.
    logging.getLogger("zeep.transports").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SQL statements at DEBUG carry bound parameters, i.e. whatever a user typed; keep them out
    # (aiosqlite logs each call with its statement and parameters).
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    # httpx logs every request (one per Nmbrs call) at INFO, httpcore every socket step at DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return handler
