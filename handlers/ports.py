"""What handlers need from the world, as small protocols: who is acting, and how to tell people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from handlers.alerts import Alert


@dataclass(frozen=True)
class Person:
    """Someone on a chat platform, as the adapter saw them on this request."""

    platform: str
    team_id: str
    user_id: str
    lang: str = "nl"
    """nl or en: from the user's locale, else TOKENDESK_LANGUAGE."""
    home_team: bool = True
    """False for guests from another organisation (Slack Connect): never support staff."""
    display_name: str | None = field(default=None, compare=False)


class Notifier(Protocol):
    """Delivers a neutral alert on one platform (support thread, support channel or customer DM).

    Raises on failure, so the outbox keeps the alert for the next delivery attempt."""

    platform: str

    async def deliver(self, alert: "Alert") -> None: ...
