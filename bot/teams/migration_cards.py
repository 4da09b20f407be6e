"""The customer's Teams card of `/nmbrs migration invite`: why, in two lines, then per debtor still to
move its name with the invitation link to forward and an Action.OpenUrl "Connect with Nmbrs"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from microsoft_teams.cards import ActionSet, AdaptiveCard, CardElement, OpenUrlAction

from bot.teams.cards import TeamsMarkdown, card, escape, small, text
from handlers.migration.invite import DebtorLinks
from handlers.text import migration_invite_text as words
from handlers.text.connect_text import consent_button
from handlers.text.markup import cut
from handlers.text.replies import is_nl

_MARKDOWN = TeamsMarkdown()


def customer_invite(links: Sequence[DebtorLinks], soap_until: date | None, lang: str, *, more: int = 0) -> tuple[AdaptiveCard, str]:
    """The card and its notification summary."""
    nl = is_nl(lang)
    headline = words.customer_headline(nl)
    stops, press = words.customer_why(soap_until, len(links), nl)
    body: list[CardElement] = [text(f"**{escape(headline)}**"), text(escape(stops)), text(escape(press))]
    for item in links:
        label = words.debtor_line(_MARKDOWN, item.number, item.name)
        body.append(text(f"{label} · [{escape(words.forward_link(nl))}]({item.invitation_url})", separator=True))
        title = cut(f"{consent_button(lang)}: {item.name or item.number or '?'}", 80)
        body.append(ActionSet(actions=[OpenUrlAction(title=title, url=item.button_url)]))
    notes = [escape(words.more_later(more, nl))] if more else []
    notes.append(escape(words.forward_hint(nl)))
    if links:
        notes.append(words.invite_until(_MARKDOWN, min(item.expires_at for item in links), nl))
    body.append(small(" ".join(notes)))
    return card(body), headline
