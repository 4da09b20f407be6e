"""A REST link's check: under the link's refresh lease (one worker across replicas) the refresh is
marked as started and committed, sent, and its new tokens committed before the new access token
reads /api/user/info, the debtor and its companies. Also what the hand-off uses for a fresh token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.model import (
    Rejected,
    RejectionCategory,
    RestView,
    TokenAnswer,
    TokenResult,
    Unreachable,
    UnreachableCause,
    Validation,
)
from handlers.ports import NmbrsRest
from storage import rest_links
from storage.cipher import DecryptionError, TokenCipher
from storage.models import Link, LinkState
from storage.revocations import queue_revocation

log = logging.getLogger(__name__)

#: 401 from the API (invalid token).
UNAUTHORIZED = 40102
#: `fresh_since` that accepts any stored access token still valid long enough.
ANY_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)


_T = TypeVar("_T")
#: Attempts of one token transaction when the database is busy.
COMMIT_ATTEMPTS = 5


@dataclass(frozen=True)
class _Taken:
    refresh_token: str = field(repr=False)
    unsettled: datetime | None


@dataclass(frozen=True)
class _Busy:
    pass


@dataclass(frozen=True)
class Fresh:
    """An access token to use now, and whether it came from our own refresh just now."""

    access_token: str = field(repr=False)
    expires_at: datetime
    refreshed_now: bool


class RestTokens:
    """Refreshes REST links one worker at a time. `lease_s` must exceed a refresh call's whole
    budget (timeouts × attempts), so a lease never expires under a refresh still in flight."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher, gateway: NmbrsRest,
        clock: Callable[[], datetime], lease_s: float = 120.0, poll_s: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.sessions, self.cipher, self.gateway, self.clock = sessions, cipher, gateway, clock
        self.hold = timedelta(seconds=lease_s)
        self.poll_s = poll_s
        self.sleep = sleep

    async def fresh(self, link_id: int, *, fresh_since: datetime | None, min_validity: timedelta) -> Fresh | Validation:
        """A usable access token: one another worker refreshed since `fresh_since`, else our own
        refresh. A Rejected/Unreachable when the refresh failed (see `_settle`)."""
        while True:
            now = self.clock()
            taken = await self._retrying(lambda: self._take(link_id, now, fresh_since, min_validity))
            if not isinstance(taken, _Busy):
                break
            # Someone else is refreshing this link: wait for it, then read the row again.
            if fresh_since is None:
                fresh_since = now
            await self.sleep(self.poll_s)
        if not isinstance(taken, _Taken):
            return taken
        # The mark and the lease are committed: a crash from here on leaves evidence behind.
        answer = await self.gateway.refresh(taken.refresh_token)
        # The one commit that must not be lost: Nmbrs has spent the old refresh token by now.
        return await self._retrying(lambda: self._settle(link_id, answer, started=now, unsettled=taken.unsettled))

    async def _take(self, link_id: int, now: datetime, fresh_since: datetime | None,
                    min_validity: timedelta) -> "_Taken | _Busy | Fresh | Validation":
        async with self.sessions() as session, session.begin():
            lease = await rest_links.take_lease(session, link_id, now=now, hold=self.hold,
                                                fresh_since=fresh_since, min_validity=min_validity)
            link = lease.link
            if link is None or link.token_ciphertext is None:
                return Unreachable(UnreachableCause.MISCONFIGURED, "the link holds no refresh token", 0.0)
            if lease.fresh:
                access = rest_links.open_access(link, self.cipher)
                assert access is not None and link.access_expires_at is not None
                return Fresh(access, link.access_expires_at, refreshed_now=False)
            if lease.busy_until is not None:
                return _Busy()
            return _Taken(rest_links.open_refresh(link, self.cipher), lease.unsettled_since)

    async def _retrying(self, work: Callable[[], Awaitable[_T]]) -> _T:
        """A short transaction, tried again when the database is busy (SQLite's lock wait ran out)
        rather than failing the link's check, or losing tokens Nmbrs has already rotated."""
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                return await work()
            except OperationalError as exc:
                if attempt == COMMIT_ATTEMPTS:
                    raise
                log.warning("nmbrs rest: a token transaction failed (%s), attempt %d; again",
                            type(exc).__name__, attempt)
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    async def usable(self, link_id: int, *, min_validity: timedelta) -> Fresh | Validation:
        """For the hand-off: the stored access token when it has `min_validity` left (whoever got
        it), else a refresh under the same lease as the nightly check's."""
        return await self.fresh(link_id, fresh_since=ANY_TIME, min_validity=min_validity)

    async def _settle(self, link_id: int, answer: TokenAnswer | Rejected | Unreachable, *, started: datetime,
                      unsettled: datetime | None) -> Fresh | Validation:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            link = await rest_links.lock_link(session, link_id)
            if link is None:
                return Unreachable(UnreachableCause.MISCONFIGURED, "the link was deleted meanwhile", 0.0)
            if link.state == LinkState.REVOKED:
                return await self._revoked_meanwhile(session, link, answer, now=now)
            if isinstance(answer, TokenAnswer):
                if answer.refresh_token is not None:  # RFC 6749 §6: none given, the old one stays
                    rest_links.seal_refresh(link, answer.refresh_token, self.cipher)
                expires_at = now + timedelta(seconds=answer.expires_in_s)
                rest_links.seal_access(link, answer.access_token, expires_at, self.cipher)
                if answer.scopes is not None:
                    link.scopes = " ".join(answer.scopes)
                link.refreshed_at = now
                rest_links.settle(link, mark=None)
                return Fresh(answer.access_token, expires_at, refreshed_now=True)
            if isinstance(answer, Unreachable) and answer.maybe_delivered:
                # The answer was lost: the token may have rotated. Keep the oldest mark as evidence.
                rest_links.settle(link, mark=unsettled or started)
                log.warning("nmbrs rest: refresh answer for link L%s lost (%s); the next refresh will tell",
                            link_id, answer.cause)
                return answer
            rest_links.settle(link, mark=unsettled)
            if isinstance(answer, Rejected) and answer.category is RejectionCategory.CONSENT:
                rest_links.drop_access(link)
                if unsettled is not None:
                    # We spent this token ourselves in a refresh whose answer never arrived.
                    return Rejected(None, RejectionCategory.LOST, "refresh token lost on our side",
                                    answer.latency_s, operation=answer.operation)
            return answer


    async def _revoked_meanwhile(self, session: AsyncSession, link: Link, answer: TokenResult, *,
                                 now: datetime) -> Validation:
        """Support revoked the link while its refresh was in flight: the tokens it brought are not
        kept, and a new refresh token is queued for revocation at Nmbrs like the one it replaced."""
        rest_links.settle(link, mark=None)
        if isinstance(answer, TokenAnswer) and answer.refresh_token is not None:
            await queue_revocation(session, self.cipher, link_id=link.id, refresh_token=answer.refresh_token, now=now)
            log.info("nmbrs rest: link L%s was revoked during its refresh; the new refresh token is queued for "
                     "revocation", link.id)
        return Unreachable(UnreachableCause.MISCONFIGURED, "the link was revoked meanwhile", 0.0)


class RestCheck:
    """The nightly (and on-demand) check of one REST link: refresh, then read what it reaches."""

    def __init__(self, tokens: RestTokens) -> None:
        self.tokens = tokens

    async def check(self, link_id: int, *, began: datetime) -> Validation:
        try:
            return await self._check(link_id, began=began)
        except DecryptionError as exc:
            log.error("recheck: tokens of link L%s cannot be decrypted: %s", link_id, exc)
            return Unreachable(UnreachableCause.MISCONFIGURED, "stored tokens cannot be decrypted", 0.0)

    async def _check(self, link_id: int, *, began: datetime) -> Validation:
        got = await self.tokens.fresh(link_id, fresh_since=began, min_validity=timedelta(minutes=5))
        if not isinstance(got, Fresh):
            return got
        view = await self.tokens.gateway.inspect(got.access_token)
        if isinstance(view, Rejected) and view.code == UNAUTHORIZED and not got.refreshed_now:
            # A token another worker got: one refresh of our own, and only a 401 after it counts.
            got = await self.tokens.fresh(link_id, fresh_since=None, min_validity=timedelta(minutes=5))
            if not isinstance(got, Fresh):
                return got
            view = await self.tokens.gateway.inspect(got.access_token)
        if isinstance(view, RestView):
            return view.as_valid()
        return view
