"""Conversation references: remembered from inbound activities, used for proactive messages.

Teams gives the bot a conversation id and a serviceUrl with every activity; a proactive message
later (an alert, a customer's "your link broke") needs both. They are captured when the app is
installed (in a team, or by a user for themselves) and refreshed on every activity after that.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import teams_references
from storage.models import TeamsReference, utcnow


@dataclass(frozen=True)
class Place:
    """Where to send: the connector's base URL and the conversation id there."""

    service_url: str
    conversation_id: str
    tenant_id: str | None = None
    locale: str | None = None
    user_name: str | None = None
    teams_user_id: str | None = None


def personal_key(tenant_id: str, user_id: str) -> str:
    return f"personal:{tenant_id}:{user_id}"


def user_key(tenant_id: str, user_id: str) -> str:
    """A user met outside a 1:1 chat: only their name is of use (no conversation to write to)."""
    return f"user:{tenant_id}:{user_id}"


def channel_key(channel_id: str) -> str:
    return f"channel:{channel_id.split(';')[0]}"


def team_key(team_id: str) -> str:
    return f"team:{team_id}"


def _place(row: TeamsReference) -> Place:
    return Place(service_url=row.service_url, conversation_id=row.conversation_id, tenant_id=row.tenant_id,
                 locale=row.locale, user_name=row.user_name, teams_user_id=row.teams_user_id)


class References:
    """Reads and writes teams_references. Writes are upserts on the key, so replicas agree."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def remember(self, *, key: str, kind: str, service_url: str, conversation_id: str,
                       tenant_id: str | None = None, team_id: str | None = None, user_id: str | None = None,
                       teams_user_id: str | None = None, user_name: str | None = None, locale: str | None = None,
                       bot_id: str | None = None) -> None:
        values = {
            "kind": kind, "service_url": service_url[:500], "conversation_id": conversation_id.split(";")[0][:300],
            "tenant_id": tenant_id, "team_id": team_id, "user_id": user_id, "teams_user_id": teams_user_id,
            "user_name": (user_name or None) and user_name[:200], "locale": (locale or None) and locale[:16],
            "bot_id": bot_id, "updated_at": utcnow(),
        }
        # What this activity did not say (a locale, a name) keeps what an earlier one did.
        changes = {name: value for name, value in values.items() if value is not None}
        async with self.sessions() as session, session.begin():
            await teams_references.remember(session, key=key[:300], values=values, changes=changes)

    async def get(self, key: str) -> Place | None:
        async with self.sessions() as session:
            row = await teams_references.get(session, key=key)
        return None if row is None else _place(row)

    async def person(self, *, tenant_id: str, user_id: str) -> Place | None:
        """The 1:1 chat of a user (Entra object id) with the bot."""
        return await self.get(personal_key(tenant_id, user_id))

    async def names(self, user_ids: set[str]) -> dict[str, str]:
        """Display names of users the bot has met, by Entra object id."""
        if not user_ids:
            return {}
        async with self.sessions() as session:
            return await teams_references.names(session, user_ids=user_ids)

    async def channel_service_url(self, channel_id: str, *, tenant_id: str | None) -> str | None:
        """The serviceUrl for posting in a channel: the channel's own reference, else its tenant's
        latest team reference (the app is installed in the team that holds the channel)."""
        place = await self.get(channel_key(channel_id))
        if place is not None:
            return place.service_url
        async with self.sessions() as session:
            row = await teams_references.latest_team(session, tenant_id=tenant_id)
        return None if row is None else row.service_url
