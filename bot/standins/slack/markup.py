"""How Slack's client marks up what a person types: escaped text with links and mailto links, and
the rich_text block beside it, as message events carry them."""

from __future__ import annotations

import re
import secrets
from typing import Any

_LINKABLE = re.compile(
    r"(?P<url>https?://[^\s<>]*[^\s<>.,;:!?)\]'\"])"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_markup(typed: str) -> tuple[str, list[dict[str, Any]]]:
    """What Slack makes of text a person typed: the `text` field (with &, <, > escaped, e-mail
    addresses as <mailto:a@b.nl|a@b.nl> and URLs as <https://...>) and the rich_text blocks.
    Bare domains, which Slack also links, are left alone."""
    text, elements, pos = [], [], 0
    for match in _LINKABLE.finditer(typed):
        if match.start() > pos:
            text.append(_escape(typed[pos : match.start()]))
            elements.append({"type": "text", "text": typed[pos : match.start()]})
        if match.group("email"):
            email = match.group("email")
            text.append(f"<mailto:{email}|{email}>")
            elements.append({"type": "link", "url": f"mailto:{email}", "text": email})
        else:
            url = match.group("url")
            text.append(f"<{_escape(url)}>")
            elements.append({"type": "link", "url": url})
        pos = match.end()
    if pos < len(typed):
        text.append(_escape(typed[pos:]))
        elements.append({"type": "text", "text": typed[pos:]})
    blocks = [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]
    return "".join(text), blocks
