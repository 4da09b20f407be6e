"""Masking anything token-shaped in text: for words people typed that are echoed or logged, and for logs.

The logging filters in bot (bot.logs, bot.nmbrs.redact) apply these same rules to every record.
"""

from __future__ import annotations

import re

from handlers.parse import token_like

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


# A credential pasted where a word belongs: a command argument, a label (issue 12 finding 8). The
# intake takes any opaque word as a token (handlers.parse.token_like: 8 or more token characters with
# a digit and a letter), which `payroll2026` is too; so a word counts as a credential here only when
# it also has a run of 16 or more letters and digits holding both kinds. Nmbrs tokens are 32 hex
# characters; labels such as `payroll2026`, `team Noord`, `Acme B.V. 2026` and link ids (`L12`) have
# no such run. The shapes `redact` masks (Slack tokens, bearer values, `token=…`) count as well.
_MIXED_RUN = re.compile(r"[A-Za-z0-9]{16,}")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\S+")
#: Around a pasted word: quotes, code marks, brackets and punctuation.
_EDGES = "\"'“”„‘’`.,;:!?()[]{}<>*_"


def credential_like(word: str) -> bool:
    """Whether one word (no spaces) looks like an API token rather than a word of a label."""
    word = word.strip(_EDGES)
    if not token_like(word):  # the intake's own test first: what it would never take is no token
        return False
    return any(_DIGIT.search(run) and _LETTER.search(run) for run in _MIXED_RUN.findall(word))


def holds_credential(text: str) -> bool:
    """Whether anything in `text` looks like a credential; linear in its length."""
    return any(p.search(text) for p in _PATTERNS) or any(credential_like(w) for w in _WORD.findall(text))


def mask_credentials(text: str) -> str:
    """`text` with every credential-looking word replaced by [redacted]."""
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1[redacted]" if pattern.groups == 1 else REDACTED, text)
    return _WORD.sub(lambda m: REDACTED if credential_like(m.group()) else m.group(), text)
