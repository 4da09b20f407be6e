"""A logging filter that blanks SOAP `Token` elements: the safety net under the Nmbrs client.

The first defence is that tokendesk's transport never hands an envelope to a logger at all
(see transport.QuietTransport). This filter catches what that cannot: another zeep client in the
process, someone turning `zeep.transports` up to DEBUG while debugging, a future zeep version
logging somewhere new. The application's logging set-up should also add it to its handlers.
"""

from __future__ import annotations

import logging

from handlers.redact import redact_tokens

# The zeep loggers that have ever printed request envelopes or request data.
ZEEP_LOGGERS = ("zeep", "zeep.transports", "zeep.wsdl.bindings.soap", "zeep.client")


class TokenRedactionFilter(logging.Filter):
    """Rewrites a record's message with tokens blanked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix; let the handler report it
            return True
        redacted = redact_tokens(message)
        if redacted != message:
            # Freeze the redacted text: later handlers must not re-render the original args.
            record.msg = redacted
            record.args = None
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        return True


def guard_zeep_logging() -> None:
    """Attach the filter to zeep's loggers (idempotent).

    Logger-level filters only see records created on that very logger, not ones propagated
    from children, hence one per logger that may print envelopes.
    """
    for name in ZEEP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactionFilter) for f in logger.filters):
            logger.addFilter(TokenRedactionFilter())
