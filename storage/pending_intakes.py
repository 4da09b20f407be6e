"""Queries on `pending_intakes`: intakes acknowledged to a chat platform and not yet answered."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
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
    via_invitation: str | None = None
    """A form opened from a shared channel's Connect message: its invitation (`I7`) and channel."""
    via_channel: str | None = None


async def add(
    session: AsyncSession, cipher: TokenCipher, *, target: Target, username: str, token: str, source: str,
    now: datetime, claimed_until: datetime | None = None,
) -> int:
    """Record an intake; the token is sealed and bound to the new row's id. Returns the id."""
    row = PendingIntake(
        platform=target.platform, team_id=target.team_id, user_id=target.user_id, channel_id=target.channel_id,
        thread_id=target.thread_id, view_id=target.view_id, view_hash=target.view_hash,
        response_target=target.response_target, via_invitation=target.via_invitation,
        via_channel=target.via_channel, lang=target.lang, username=username, token_ciphertext=b"", token_key_id="", source=source,
        received_at=now, claimed_until=claimed_until, attempts=1 if claimed_until else 0,
    )
    session.add(row)
    await session.flush()  # the id is part of the associated data
    sealed = cipher.seal(token, row=intake_row(row.id))
    row.token_ciphertext, row.token_key_id = sealed.ciphertext, sealed.key_id
    await session.flush()
    return row.id


async def add_many(
    session: AsyncSession, cipher: TokenCipher, *, intakes: Sequence[tuple[Target, str, str, str]], now: datetime,
    claimed_until: datetime | None = None,
) -> list[int]:
    """Record many intakes (target, username, token, source) in two statements; their ids, in order.
    Each token is sealed and bound to its row's id, known once the rows exist."""
    if not intakes:
        return []
    # A random placeholder per row tells the returned ids apart (RETURNING's order is not promised).
    marks = [os.urandom(16) for _ in intakes]
    rows = [
        {"platform": t.platform, "team_id": t.team_id, "user_id": t.user_id, "channel_id": t.channel_id,
         "thread_id": t.thread_id, "view_id": t.view_id, "view_hash": t.view_hash,
         "response_target": t.response_target, "via_invitation": t.via_invitation,
         "via_channel": t.via_channel, "lang": t.lang, "username": username, "token_ciphertext": mark,
         "token_key_id": "", "source": source, "received_at": now, "claimed_until": claimed_until,
         "attempts": 1 if claimed_until else 0}
        for (t, username, _token, source), mark in zip(intakes, marks)
    ]
    inserted = await session.execute(
        insert(PendingIntake).values(rows).returning(PendingIntake.id, PendingIntake.token_ciphertext))
    id_of = {bytes(mark): intake_id for intake_id, mark in inserted.all()}
    ids = [id_of[mark] for mark in marks]
    sealed = [cipher.seal(token, row=intake_row(intake_id)) for (_, _, token, _), intake_id in zip(intakes, ids)]
    await session.execute(update(PendingIntake), [
        {"id": intake_id, "token_ciphertext": seal.ciphertext, "token_key_id": seal.key_id}
        for intake_id, seal in zip(ids, sealed)
    ])
    return ids


def target_of(row: PendingIntake) -> Target:
    return Target(
        platform=row.platform, team_id=row.team_id, user_id=row.user_id, channel_id=row.channel_id,
        thread_id=row.thread_id, view_id=row.view_id, view_hash=row.view_hash,
        response_target=row.response_target, lang=row.lang, via_invitation=row.via_invitation,
        via_channel=row.via_channel,
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


async def renew(session: AsyncSession, *, intake_ids: list[int], until: datetime) -> None:
    """Extend the claims a live worker holds (one statement for all of them)."""
    for start in range(0, len(intake_ids), 500):  # bound the IN list
        chunk = intake_ids[start:start + 500]
        await session.execute(update(PendingIntake).where(PendingIntake.id.in_(chunk)).values(claimed_until=until))


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
