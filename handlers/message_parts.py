"""The parts of a neutral chat message (handlers.command_message composes them, bot.slack.command_blocks
and bot.teams.command_cards lay them out): paragraphs, asides, listings, facts and buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Lead:
    """A paragraph of its own."""

    text: str


@dataclass(frozen=True)
class More:
    """A paragraph that continues the one above (Slack: the same section)."""

    text: str


@dataclass(frozen=True)
class Subline:
    """A secondary line of the paragraph above (Slack: the same section; Teams: small)."""

    text: str


@dataclass(frozen=True)
class Aside:
    """Subtle lines under the answer (Slack: a context block; Teams: small text)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    """A run of lines under an optional head; long runs may be split (Slack) or capped (`limit`)."""

    head: str | None
    lines: tuple[str, ...]
    bullets: bool = False
    """The lines carry no bullet of their own: platforms that need one for a line break add it."""
    limit: int | None = None


@dataclass(frozen=True)
class Fields:
    """One link's facts: a title and name/value pairs (consecutive ones are set apart)."""

    title: str
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RevokeChoice:
    """Confirm (destructive) and Cancel buttons for revoking one link."""

    link_id: int
    confirm: str
    cancel: str


@dataclass(frozen=True)
class Button:
    """One button: `action` names what it does (platform-neutral, e.g. `migration.match`), `value`
    what it acts on; `style` primary, danger or None."""

    action: str
    value: str
    label: str
    style: str | None = None


@dataclass(frozen=True)
class Choices:
    """A row of buttons under the message."""

    buttons: tuple[Button, ...]


Part: TypeAlias = Lead | More | Subline | Aside | Listing | Fields | RevokeChoice | Choices


@dataclass(frozen=True)
class Composed:
    parts: tuple[Part, ...]
    summary: str | None = None
    """The plain one-line version (Slack's fallback text) when it is not the first paragraph."""
