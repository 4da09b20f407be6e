"""Masking anything token-shaped in text: for words people typed that are echoed or logged, and for logs.

The logging filters in bot (bot.logs, bot.nmbrs.redact) apply these same rules to every record.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# <Token>..</Token>, <ns0:Token>..</ns0:Token>, with attributes, across line breaks.
_XML_TOKEN = re.compile(
    r"(<(?:[\w.-]+:)?Token\b[^>]*>)(.*?)(</(?:[\w.-]+:)?Token\s*>)",
    re.DOTALL | re.IGNORECASE,
)
# 'Token': '..' / "Token": ".." as in a repr() of zeep's _soapheaders or a JSON dump.
_MAPPING_TOKEN = re.compile(r"""(['"]Token['"]\s*:\s*)(['"])(.*?)(\2)""", re.IGNORECASE)

# Last line of defence only: code never logs tokens on purpose. These shapes catch Slack tokens,
# bearer headers, 32-hex Nmbrs tokens and `token=…` pairs; SOAP <Token> elements and 'Token': '…'
# mappings are redact_tokens' (applied first, see redact()).
_PATTERNS = [
    re.compile(r"\bx(?:ox[abprse]|app)-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b[0-9a-f]{32}\b"),
    re.compile(r"(?i)\b(token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
]


def redact_tokens(text: str) -> str:
    """Replace the content of any Token element or Token mapping entry in `text`."""
    text = _XML_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    return _MAPPING_TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(4)}", text)


def redact(text: str) -> str:
    """`text` with anything token-shaped replaced by [redacted]."""
    text = redact_tokens(text)
    for pattern in _PATTERNS:
        if pattern.groups == 1:
            text = pattern.sub(r"\1[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text
