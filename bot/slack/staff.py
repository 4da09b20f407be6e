"""Support staff on Slack: members of TOKENDESK_SUPPORT_USERGROUP or users in TOKENDESK_SUPPORT_USERS,
and only people of the installing workspace (never a Slack Connect guest)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.model import Person

log = logging.getLogger(__name__)

#: How long a member list read from Slack is trusted (usergroups.users.list is Tier 2).
MEMBERS_TTL_S = 300.0
#: After a passing failure (rate limit, network), when to ask again; the last list is kept meanwhile.
RETRY_AFTER_S = 30.0
#: Errors that will not go away by asking again: the group counts as empty for a whole TTL.
_LASTING = frozenset({"plan_upgrade_required", "no_such_subteam", "missing_scope", "not_allowed_token_type",
                      "invalid_auth", "account_inactive", "token_revoked"})


class SlackStaffDirectory:
    """handlers.staff.StaffDirectory for Slack, caching the user group's members."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        team_id: str,
        usergroup: str | None,
        users: Iterable[str] = (),
        ttl_s: float = MEMBERS_TTL_S,
        retry_after_s: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.team_id = team_id
        self.usergroup = usergroup or None
        self.users = frozenset(u.strip() for u in users if u.strip())
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s
        self.clock = clock
        self._members: frozenset[str] = frozenset()
        self._fresh_until = float("-inf")
        self._lock = asyncio.Lock()
        self._reported: set[str] = set()

    async def is_staff(self, person: Person) -> bool:
        if person.platform != "slack" or not person.home_team or person.team_id != self.team_id:
            return False
        if person.user_id in self.users:
            return True
        if self.usergroup is None:
            return False
        return person.user_id in await self.members()

    async def members(self) -> frozenset[str]:
        """The user group's members, from the cache while it is fresh."""
        if self.usergroup is None:
            return frozenset()
        if self.clock() < self._fresh_until:
            return self._members
        async with self._lock:  # one request when many commands arrive as the cache runs out
            if self.clock() < self._fresh_until:
                return self._members
            await self._refresh(self.usergroup)
            return self._members

    async def _refresh(self, usergroup: str) -> None:
        try:
            response = await self.client.usergroups_users_list(usergroup=usergroup)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            self._failed(usergroup, error, lasting=error in _LASTING)
            return
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self._failed(usergroup, type(exc).__name__, lasting=False)
            return
        self._members = frozenset(response.get("users") or ())
        self._fresh_until = self.clock() + self.ttl_s
        self._reported.clear()
        log.debug("support user group read: %d members", len(self._members))

    def _failed(self, usergroup: str, error: str, *, lasting: bool) -> None:
        if error not in self._reported:
            # Once per kind of failure, not once per command: a free plan would flood the log.
            self._reported.add(error)
            log.warning(
                "support user group %s could not be read (%s); its members are not treated as staff%s",
                usergroup, error, "" if lasting else " until it can be read again",
            )
        if lasting:
            self._members = frozenset()
            self._fresh_until = self.clock() + self.ttl_s
        else:
            # Keep the last good list: a rate limit should not lock staff out mid-incident.
            self._fresh_until = self.clock() + self.retry_after_s
