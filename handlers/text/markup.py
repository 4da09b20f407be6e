"""How a chat platform writes the shared wording: bold, code, icons, times, people, escaping.

handlers.text.command_text and handlers.text.alert_text word every message once; each adapter passes its Markup
(bot.slack.blocks.Mrkdwn and its command variant, bot.teams.cards.TeamsMarkdown).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

#: The icon of each link state, as an emoji shortcode name (Slack writes `:name:`, Teams the emoji).
STATE_ICONS = {
    "active": "large_green_circle",
    "pending": "hourglass_flowing_sand",
    "unverified": "large_yellow_circle",
    "broken": "red_circle",
    "rejected": "no_entry",
    "revoked": "wastebasket",
}


#: Every icon the wording uses (shortcode name -> emoji): Slack writes `:name:`, Teams and the /try page
#: show the emoji itself. A test finds every icon name in the code and checks it is here.
EMOJI = {
    "large_green_circle": "🟢", "hourglass_flowing_sand": "⏳", "large_yellow_circle": "🟡", "red_circle": "🔴",
    "no_entry": "⛔", "wastebasket": "🗑️", "grey_question": "❔", "white_check_mark": "✅", "x": "❌",
    "warning": "⚠️", "label": "🏷️", "arrows_counterclockwise": "🔄", "card_index_dividers": "🗂️", "link": "🔗",
    "sos": "🆘", "crescent_moon": "🌙", "envelope": "✉️", "incoming_envelope": "📨",
    "twisted_rightwards_arrows": "🔀", "mag": "🔍", "alarm_clock": "⏰", "wave": "👋",
}


class Markup(Protocol):
    """One platform's way of writing; the words around it are the same everywhere."""

    @property
    def bullet(self) -> str:
        """What starts a line of a list."""

    @property
    def reason_limit(self) -> int | None:
        """How much of a check's reason is shown (None: all of it)."""

    @property
    def id_limit(self) -> int | None:
        """How much of a link or run id from an alert's details is shown (None: all of it)."""

    def escape(self, text: object, limit: int | None = None) -> str:
        """Outside text made inert, first cut to `limit` characters where the platform cuts values."""

    def bold(self, text: str) -> str:
        """`text` in bold; `text` is escaped already."""

    def code(self, text: str) -> str:
        """An id or a value as code where the platform has code spans, else as it is."""

    def keyword(self, text: str) -> str:
        """What the reader scans for: a state, a check's outcome, a command word."""

    def typed(self, text: str) -> str:
        """What someone typed, set apart from the sentence around it."""

    def command(self, words: str) -> str:
        """A command to type, `words` escaped already (`list broken`)."""

    def icon(self, name: str) -> str:
        """An emoji by its shortcode name (`red_circle`)."""

    def time(self, moment: datetime) -> str:
        """A time each reader sees in their own time zone."""

    def person(self, platform: str, user_id: object, team_id: str | None = None) -> str:
        """Who sent or did something: `user_id` on `platform`, of organisation `team_id` when known."""


def cut(text: str | None, limit: int) -> str:
    """Shorten raw text before escaping it (never an escape cut in half)."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
