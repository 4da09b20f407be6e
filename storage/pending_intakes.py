"""Queries on `pending_intakes`: intakes acknowledged to a chat platform and not yet answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cipher import Sealed, TokenCipher, intake_row
from storage.models import PendingIntake


@dataclass(frozen=True)
class Target:
    """Where and how to answer: the reply target the adapter recorded before acknowledging."""

    platform: str
    team_id: str | None
    user_id: str
    channel_id: str | None = None
    thread_id: str | None = None
    view_id: str | None = None
    view_hash: str | None = None
    response_target: str | None = None
    lang: str | None = None


async def add(
    session: AsyncSession, cipher: TokenCipher, *, target: Target, username: str, token: str, source: str,
    now: datetime, claimed_until: datetime | None = None,
) -> int:
    """Record an intake; the token is sealed and bound to the new row's id. Returns the id."""
    row = PendingIntake(
        platform=target.platform, team_id=target.team_id, user_id=target.user_id, channel_id=target.channel_id,
        thread_id=target.thread_id, view_id=target.view_id, view_hash=target.view_hash,
        response_target=target.response_target,
        lang=target.lang, username=username, token_ciphertext=b"", token_key_id="", source=source,
        received_at=now, claimed_until=claimed_until, attempts=1 if claimed_until else 0,
    )
    session.add(row)
    await session.flush()  # the id is part of the associated data
    sealed = cipher.seal(token, row=intake_row(row.id))
    row.token_ciphertext, row.token_key_id = sealed.ciphertext, sealed.key_id
    await session.flush()
    return row.id


def target_of(row: PendingIntake) -> Target:
    return Target(
        platform=row.platform, team_id=row.team_id, user_id=row.user_id, channel_id=row.channel_id,
        thread_id=row.thread_id, view_id=row.view_id, view_hash=row.view_hash,
        response_target=row.response_target, lang=row.lang,
    )


def open_token(row: PendingIntake, cipher: TokenCipher) -> str:
    return cipher.open(Sealed(row.token_key_id, row.token_ciphertext), row=intake_row(row.id),
                       label=f"pending intake {row.id}")


def reseal(row: PendingIntake, cipher: TokenCipher) -> None:
    """Re-encrypt under the primary key (key rotation)."""
    sealed = cipher.seal(open_token(row, cipher), row=intake_row(row.id))
    row.token_ciphertext, row.token_key_id = sealed.ciphertext, sealed.key_id


async def claim(session: AsyncSession, *, intake_id: int, now: datetime, claim_for: timedelta) -> bool:
    """Take the intake until now + claim_for unless a live worker holds it; atomic across replicas."""
    result = await session.execute(
        update(PendingIntake)
        .where(PendingIntake.id == intake_id,
               or_(PendingIntake.claimed_until.is_(None), PendingIntake.claimed_until <= now))
        .values(claimed_until=now + claim_for, attempts=PendingIntake.attempts + 1)
    )
    return (result.rowcount or 0) == 1


async def renew(session: AsyncSession, *, intake_id: int, until: datetime) -> None:
    await session.execute(update(PendingIntake).where(PendingIntake.id == intake_id).values(claimed_until=until))


async def due(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[int]:
    """Intakes no live worker holds (never taken, or their worker died), oldest first."""
    rows = await session.scalars(
        select(PendingIntake.id)
        .where(or_(PendingIntake.claimed_until.is_(None), PendingIntake.claimed_until <= now))
        .order_by(PendingIntake.id).limit(limit)
    )
    return list(rows)


async def get(session: AsyncSession, intake_id: int) -> PendingIntake | None:
    return await session.get(PendingIntake, intake_id)


async def remove(session: AsyncSession, *, intake_id: int) -> None:
    await session.execute(delete(PendingIntake).where(PendingIntake.id == intake_id))


async def count(session: AsyncSession) -> int:
    return len(list(await session.scalars(select(PendingIntake.id))))
