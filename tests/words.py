"""Reading what a person is shown: ids as words, not as letters inside a random URL token."""
from __future__ import annotations

import re

_URL = re.compile(r"\S+://\S+")


def names(text: str, ident: str) -> bool:
    """Whether `text` shows `ident` (such as "L1") as a word of its own, outside any URL.

    A URL's ticket or secret is random base64url and holds "L1" now and then, which a plain
    substring test would take for the link id.
    """
    return re.search(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", _URL.sub(" ", text)) is not None
