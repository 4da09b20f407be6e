"""Revoking REST refresh tokens at Nmbrs (RFC 7009): queued sealed in the same transaction as the
change that gives them up (`/nmbrs revoke`, a replaced consent), tried once at once by the command,
then by the scheduler's sweep with backoff for up to 30 days. When one that failed before goes
through or is given up, the link's support thread is told, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox, queue
from handlers.model import Alert, AlertKind, LinkCard
from handlers.ports import NmbrsRest
from storage import revocations as queue_store
from storage.cipher import DecryptionError, TokenCipher
from storage.models import Link, LinkState, PendingRevocation, utcnow
from storage.revocations import FIRST_BACKOFF, Settled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationReport:
    """One pass of the retry worker."""

    revoked: int = 0
    left: int = 0
    given_up: int = 0


class Revocations:
    """The revocation queue's use cases; one per process (stateless apart from its parts)."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher, gateway: NmbrsRest,
        outbox: Outbox | None = None, clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.cipher, self.gateway, self.outbox, self.clock = sessions, cipher, gateway, outbox, clock

    async def queue(self, session: AsyncSession, *, link_id: int, refresh_token: str) -> int:
        """In the caller's transaction: the token queued sealed, its first attempt the caller's
        (`attempt` after the commit); the worker takes it only if that never happens (a crash)."""
        now = self.clock()
        entry = await queue_store.queue_revocation(session, self.cipher, link_id=link_id, refresh_token=refresh_token,
                                                   now=now, first_attempt_at=now + FIRST_BACKOFF)
        return entry.id

    async def attempt(self, entry_id: int) -> bool:
        """The first attempt of a queued entry, now: True when Nmbrs confirmed the revocation."""
        async with self.sessions() as session:
            entry = await session.get(PendingRevocation, entry_id)
            token = self._open(entry) if entry is not None else None
        if token is None:
            return False
        return await self._try(entry_id, token)

    async def run_due(self) -> RevocationReport:
        """The retry worker (the scheduler's sweep, under the re-check lease): give up what is 30
        days old, try what is due; each entry on its own, a failure never stops the others."""
        async with self.sessions() as session, session.begin():
            gone = await queue_store.give_up_expired(session, now=self.clock())
            for settled in gone:
                await self._tell(session, settled, AlertKind.REVOCATION_GIVEN_UP)
            due = [(entry.id, self._open(entry)) for entry in await queue_store.due_revocations(session, now=self.clock())]
        revoked = 0
        for entry_id, token in due:
            if token is not None and await self._try(entry_id, token):
                revoked += 1
            elif token is None:
                async with self.sessions() as session, session.begin():
                    await queue_store.settle_revocation(session, entry_id, revoked=False, now=self.clock(),
                                                        error="cannot be decrypted")
        report = RevocationReport(revoked=revoked, left=len(due) - revoked, given_up=len(gone))
        if due or gone:
            log.info("revocations: %d refresh tokens revoked at Nmbrs, %d left for later, %d given up after %d days",
                     report.revoked, report.left, report.given_up, queue_store.REVOCATION_DAYS)
        if (revoked or gone) and self.outbox is not None:
            self.outbox.kick()
        return report

    def _open(self, entry: PendingRevocation) -> str | None:
        try:
            return queue_store.open_revocation(entry, self.cipher)
        except DecryptionError as exc:
            log.error("revocations: queued token %s cannot be decrypted: %s", entry.id, exc)
            return None

    async def _try(self, entry_id: int, token: str) -> bool:
        revoked = await self.gateway.revoke(token)
        async with self.sessions() as session, session.begin():
            settled = await queue_store.settle_revocation(session, entry_id, revoked=revoked, now=self.clock())
            if settled is not None and settled.attempts > 0:
                # Support was told it was queued (or never heard of it): now it went through.
                await self._tell(session, settled, AlertKind.REVOCATION_DONE)
        return revoked

    async def _tell(self, session: AsyncSession, settled: Settled, kind: AlertKind) -> None:
        """The link's thread hears how a queued revocation ended; keyed by the entry, so once."""
        link = await session.get(Link, settled.link_id) if settled.link_id is not None else None
        if link is None:
            return
        details = {"attempts": settled.attempts + (1 if kind is AlertKind.REVOCATION_DONE else 0),
                   "queued_at": settled.created_at.isoformat(),
                   # Not revoked: the token of a consent the customer has since replaced.
                   "earlier_consent": link.state != LinkState.REVOKED}
        await queue(session, Alert(kind, LinkCard.of(link), details), key=f"revocation:{settled.id}:{kind}")
