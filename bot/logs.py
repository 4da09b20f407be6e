"""Logging set-up: text or JSON lines, a correlation id per request or run, and a redaction filter."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import datetime, timezone

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

# Last line of defence only: code never logs tokens on purpose. These shapes catch Slack tokens,
# 32-hex Nmbrs tokens, bearer headers and SOAP <Token> elements if something slips through.
_PATTERNS = [
    re.compile(r"\bx(?:ox[abprse]|app)-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)(<(?:\w+:)?Token>)[^<]*(</(?:\w+:)?Token>)"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b[0-9a-f]{32}\b"),
    re.compile(r"(?i)\b(token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        if pattern.groups == 2:
            text = pattern.sub(r"\1[redacted]\2", text)
        elif pattern.groups == 1:
            text = pattern.sub(r"\1[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks anything token-shaped in the final message, and adds the correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        redacted = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", "-"),
        }
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure_logging(*, level: str = "INFO", fmt: str = "text", stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s")
        )
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
    # SQL statements at DEBUG carry bound parameters, i.e. whatever a user typed; keep them out.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    return handler
