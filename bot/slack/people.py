"""Who sent a Slack request: user, team (home or Slack Connect guest) and language, from users.info.

users.info is asked once per user per hour (include_locale=true); a failed lookup falls back to
TOKENDESK_LANGUAGE and the team the payload names, and is not retried for a minute.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.model import Person
from handlers.text.locale import lang_for_locale

log = logging.getLogger(__name__)

PLATFORM = "slack"


@dataclass(frozen=True)
class Profile:
    """What users.info told us about a user (only what tokendesk uses)."""

    user_id: str
    team_id: str | None
    locale: str | None
    name: str | None
    is_bot: bool = False


def ids_of(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(user_id, the user's own team_id) from an event, interaction or command payload."""
    event = body.get("event")
    if isinstance(event, Mapping):
        source = event.get("message") if event.get("subtype") == "message_changed" else event
        source = source if isinstance(source, Mapping) else event
        user = source.get("user")
        team = source.get("user_team") or source.get("team") or body.get("team_id")
        return (str(user) if user else None), (str(team) if team else None)
    user_obj = body.get("user")
    if isinstance(user_obj, Mapping):
        team_obj = body.get("team")
        team = user_obj.get("team_id") or (team_obj.get("id") if isinstance(team_obj, Mapping) else None)
        return (str(user_obj.get("id")) if user_obj.get("id") else None), (str(team) if team else None)
    user = body.get("user_id")
    team = body.get("user_team_id") or body.get("team_id")
    return (str(user) if user else None), (str(team) if team else None)


class People:
    """Looks people up with users.info and caches what it learns."""

    def __init__(
        self,
        *,
        team_id: str,
        default_lang: str,
        ttl_s: float = 3600.0,
        failure_ttl_s: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.team_id = team_id
        self.default_lang = default_lang
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, Profile | None]] = OrderedDict()

    async def profile(self, client: AsyncWebClient, user_id: str) -> Profile | None:
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(user_id)
            return cached[1]
        profile: Profile | None = None
        try:
            response = await client.users_info(user=user_id, include_locale=True)
            user = response.get("user") or {}
            profile = Profile(
                user_id=user_id,
                team_id=user.get("team_id"),
                locale=user.get("locale"),
                name=(user.get("profile") or {}).get("display_name") or user.get("real_name") or user.get("name"),
                is_bot=bool(user.get("is_bot")),
            )
            expires = now + self.ttl_s
        except SlackApiError as exc:
            log.warning("users.info failed for a user: %s", exc.response.get("error"))
            expires = now + self.failure_ttl_s
        except SlackClientError as exc:
            log.warning("users.info failed for a user: %s", type(exc).__name__)
            expires = now + self.failure_ttl_s
        self._cache[user_id] = (expires, profile)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return profile

    async def lang_of(self, client: AsyncWebClient, user_id: str) -> str:
        profile = await self.profile(client, user_id)
        return lang_for_locale(profile.locale if profile else None, self.default_lang)

    async def person(self, client: AsyncWebClient, *, user_id: str, team_id: str | None = None) -> Person:
        """The person behind `user_id`; `team_id` is the team the payload says they belong to.

        A guest from another organisation (Slack Connect) is never home_team, whichever of the
        payload and users.info says so."""
        profile = await self.profile(client, user_id)
        teams = {t for t in (team_id, profile.team_id if profile else None) if t}
        home = not teams or teams == {self.team_id}
        return Person(
            platform=PLATFORM,
            team_id=team_id or (profile.team_id if profile and profile.team_id else self.team_id),
            user_id=user_id,
            lang=lang_for_locale(profile.locale if profile else None, self.default_lang),
            home_team=home,
            display_name=profile.name if profile else None,
        )

    async def person_from(self, client: AsyncWebClient, body: Mapping[str, Any]) -> Person | None:
        """The person who sent an event, interaction or command; None when it names nobody."""
        user_id, team_id = ids_of(body)
        if user_id is None:
            return None
        return await self.person(client, user_id=user_id, team_id=team_id)
