"""A logging filter that blanks SOAP `Token` elements: the safety net under the Nmbrs client.

The first defence is that tokendesk's transport never hands an envelope to a logger at all
(see transport.QuietTransport). This filter catches what that cannot: another zeep client in the
process, someone turning `zeep.transports` up to DEBUG while debugging, a future zeep version
logging somewhere new. The application's logging set-up should also add it to its handlers.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# <Token>..</Token>, <ns0:Token>..</ns0:Token>, with attributes, across line breaks.
_XML_TOKEN = re.compile(
    r"(<(?:[\w.-]+:)?Token\b[^>]*>)(.*?)(</(?:[\w.-]+:)?Token\s*>)",
    re.DOTALL | re.IGNORECASE,
)
# 'Token': '..' / "Token": ".." as in a repr() of zeep's _soapheaders or a JSON dump.
_MAPPING_TOKEN = re.compile(r"""(['"]Token['"]\s*:\s*)(['"])(.*?)(\2)""", re.IGNORECASE)

# The zeep loggers that have ever printed request envelopes or request data.
ZEEP_LOGGERS = ("zeep", "zeep.transports", "zeep.wsdl.bindings.soap", "zeep.client")


def redact_tokens(text: str) -> str:
    """Replace the content of any Token element or Token mapping entry in `text`."""
    text = _XML_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    return _MAPPING_TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(4)}", text)


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
