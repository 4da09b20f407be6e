"""The revocation queue: refresh tokens to revoke at Nmbrs (RFC 7009), sealed to their row, tried
again with backoff and destroyed unrevoked after 30 days (the refresh token has expired by then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cipher import Sealed, TokenCipher, revocation_row
from storage.models import PendingRevocation

#: A refresh token queued for revocation is given up (destroyed) after this: it has expired anyway.
REVOCATION_DAYS = 30
#: The wait after the first failed attempt; it doubles with each failure, up to MAX_BACKOFF.
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Settled:
    """What a queue entry was when it left the queue (revoked or given up)."""

    id: int
    link_id: int | None
    attempts: int
    created_at: datetime


def _settled(entry: PendingRevocation) -> Settled:
    return Settled(entry.id, entry.link_id, entry.attempts, entry.created_at)


async def queue_revocation(
    session: AsyncSession, cipher: TokenCipher, *, link_id: int | None, refresh_token: str, now: datetime,
    first_attempt_at: datetime | None = None,
) -> PendingRevocation:
    """Queue a refresh token, sealed. `first_attempt_at` later than now keeps the retry worker off
    an entry whose first attempt the caller makes itself, right after its commit."""
    entry = PendingRevocation(link_id=link_id, token_ciphertext=b"", token_key_id="", attempts=0,
                              created_at=now, next_attempt_at=first_attempt_at or now)
    session.add(entry)
    await session.flush()
    sealed = cipher.seal(refresh_token, row=revocation_row(entry.id))
    entry.token_ciphertext, entry.token_key_id = sealed.ciphertext, sealed.key_id
    await session.flush()
    return entry


def open_revocation(entry: PendingRevocation, cipher: TokenCipher) -> str:
    return cipher.open(Sealed(entry.token_key_id, entry.token_ciphertext), row=revocation_row(entry.id),
                       label=f"revocation {entry.id}")


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(days=REVOCATION_DAYS)


async def due_revocations(session: AsyncSession, *, now: datetime, limit: int = 100) -> Sequence[PendingRevocation]:
    """Those due for an attempt and not yet 30 days old, locked until commit."""
    return (await session.scalars(
        select(PendingRevocation)
        .where(PendingRevocation.next_attempt_at <= now, PendingRevocation.created_at >= _cutoff(now))
        .order_by(PendingRevocation.id).limit(limit).with_for_update())).all()


async def give_up_expired(session: AsyncSession, *, now: datetime) -> list[Settled]:
    """Destroy, unrevoked, the entries queued more than 30 days ago; what they were."""
    expired = (await session.scalars(select(PendingRevocation).where(PendingRevocation.created_at < _cutoff(now))
                                     .order_by(PendingRevocation.id).with_for_update())).all()
    gone = [_settled(entry) for entry in expired]
    if gone:
        await session.execute(delete(PendingRevocation).where(PendingRevocation.id.in_([g.id for g in gone])))
    return gone


def revocation_failed(entry: PendingRevocation, *, now: datetime, error: str) -> None:
    entry.attempts += 1
    entry.last_error = error[:64]
    entry.next_attempt_at = now + min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** min(entry.attempts, 8))


async def settle_revocation(
    session: AsyncSession, entry_id: int, *, revoked: bool, now: datetime, error: str = "not confirmed by Nmbrs",
) -> Settled | None:
    """After one attempt: a revoked entry is destroyed (returned, as it was); a failed one gets its
    next attempt time (None returned). None too when the entry is gone already."""
    entry = await session.get(PendingRevocation, entry_id, with_for_update=True)
    if entry is None:
        return None
    if not revoked:
        revocation_failed(entry, now=now, error=error)
        return None
    done = _settled(entry)
    await session.delete(entry)
    return done


async def pending_for_link(session: AsyncSession, link_id: int) -> int:
    """How many of a link's refresh tokens still wait to be revoked at Nmbrs."""
    return len((await session.scalars(select(PendingRevocation.id).where(PendingRevocation.link_id == link_id))).all())
