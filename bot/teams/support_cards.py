"""Adaptive Cards for the Teams support channel: a link's thread (its first post and the updates in it),
a customer who is stuck, the nightly digest. Pure functions from neutral alerts (handlers.alerts).

The words are handlers.text.alert_text's, the same as on Slack, written by TeamsMarkdown: people are named by
their Teams display name when the bot has met them (`names`), never mentioned, and every outside value
goes through escape() and is cut to a limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microsoft_teams.cards import AdaptiveCard

from bot.teams.cards import TeamsMarkdown, card, text
from handlers.model import Alert, AlertKind, LinkCard
from handlers.text import alert_text
from handlers.text.alert_text import support_label

_MARKDOWN = TeamsMarkdown()


def _paragraphs(lines: list[str]) -> str:
    # A line break in card markdown needs a blank line.
    return "\n\n".join(lines)


def summary(alert: Alert, lang: str) -> str:
    """The notification preview: the link's id and what happened (no outside text)."""
    if alert.kind in alert_text.SOAP_KINDS:
        return support_label(alert.kind, lang)
    if alert.kind is AlertKind.DIGEST or alert.kind is AlertKind.CUSTOMER_STUCK or alert.link is None:
        return support_label("digest", lang) if alert.kind is AlertKind.DIGEST else "tokendesk"
    return f"{alert.link.short_id}: {support_label(alert.kind, lang)}"


def parent(item: LinkCard, lang: str, *, by: object = None, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """The first post of a link's thread: what the link is, what it reaches, who sent it."""
    return card([text(_paragraphs(alert_text.parent_lines(TeamsMarkdown(names or {}), item, lang, by=by)))])


def update(alert: Alert, lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """A reply in a link's thread about one change."""
    lines = alert_text.update_lines(TeamsMarkdown(names or {}), alert, lang)
    return card([text(_paragraphs(lines), color="Attention" if alert.kind is AlertKind.BROKEN else "Default")])


def note(alert: Alert, lang: str) -> AdaptiveCard:
    """A link alert that arrived without its link: what it is and why, no more."""
    return card([text(alert_text.note_line(_MARKDOWN, alert, lang))])


def stuck(details: Mapping[str, Any], lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """A customer keeps getting rejected (details from handlers.intake)."""
    return card([text(_paragraphs(alert_text.stuck_lines(TeamsMarkdown(names or {}), details, lang)))])


def digest(details: Mapping[str, Any], lang: str) -> AdaptiveCard:
    """The nightly summary (details from handlers.recheck's digest)."""
    lines, sections = alert_text.digest_lines(_MARKDOWN, details, lang)
    return card([text(_paragraphs(lines)), *(text("\n".join(section)) for section in sections)])


def soap(alert: Alert, lang: str) -> AdaptiveCard:
    """SOAP looks switched off, or answers again (handlers.recheck.switchoff)."""
    lines = alert_text.soap_lines(_MARKDOWN, alert, lang)
    return card([text(_paragraphs(lines), color="Attention" if alert.kind is AlertKind.SOAP_SWITCHED_OFF else "Default")])
