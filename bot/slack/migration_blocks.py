"""The customer's Slack message of `/nmbrs migration invite`: why, in two lines, then one row per
debtor still to move with its "Connect with Nmbrs" URL button and the invitation link to forward."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.slack.blocks import MRKDWN, consent_link_button, escape
from handlers.migration.invite import DebtorLinks
from handlers.text import migration_invite_text as words
from handlers.text.replies import is_nl


def customer_invite(links: Sequence[DebtorLinks], soap_until: date | None, lang: str, *, more: int = 0) -> dict[str, Any]:
    nl = is_nl(lang)
    headline = words.customer_headline(nl)
    stops, press = words.customer_why(soap_until, len(links), nl)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(headline)}*\n{escape(stops)}\n{escape(press)}"}},
    ]
    for item in links:
        line = (f"{words.debtor_line(MRKDWN, item.number, item.name)} · "
                f"<{item.invitation_url}|{escape(words.forward_link(nl))}>")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line},
                       "accessory": consent_link_button(lang, item.button_url)})
    notes = [escape(words.more_later(more, nl))] if more else []
    notes.append(escape(words.forward_hint(nl)))
    if links:
        notes.append(words.invite_until(MRKDWN, min(item.expires_at for item in links), nl))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " ".join(notes)}]})
    return {"text": headline, "blocks": blocks}
