"""Queries on `intake_attempts`: each time someone sent credentials, for the rate limit and the
"stuck" alert; and the slot a submission reserves before Nmbrs is asked (issue 12 finding 2)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IntakeAttempt

#: The outcome of a row whose submission is still with Nmbrs: it holds one of the hour's slots.
RESERVED = "reserved"
#: The outcome that keeps its slot for the hour.
REJECTED = "rejected"


@dataclass(frozen=True)
class Who:
    """Whose submissions share one limit, as stored in the attempt's platform, team_id and user_id.

    A chat user today; an invitation or a client address later (issue 14) fits the same three
    columns, e.g. `Who("invite", "", invitation_id)`."""

    platform: str
    team_id: str | None
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}\x1f{self.team_id or ''}\x1f{self.user_id}"


@dataclass(frozen=True)
class Full:
    """No slot left: when the slots in use were taken, newest first (the last frees first)."""

    taken: Sequence[datetime]


def _of(who: Who) -> tuple:  # type: ignore[type-arg]
    return (IntakeAttempt.platform == who.platform, IntakeAttempt.team_id == who.team_id,
            IntakeAttempt.user_id == who.user_id)


def _holding(since: datetime, live_since: datetime):  # type: ignore[no-untyped-def]
    """Rows that hold a slot: rejected within the window, or reserved and not yet abandoned."""
    return or_(
        and_(IntakeAttempt.outcome == REJECTED, IntakeAttempt.at >= since),
        and_(IntakeAttempt.outcome == RESERVED, IntakeAttempt.at >= max(since, live_since)),
    )


def lock_key(who: Who) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock, the same in every replica (unlike hash())."""
    return int.from_bytes(hashlib.blake2b(who.key.encode(), digest_size=8).digest(), "big", signed=True)


async def serialise(session: AsyncSession, who: Who) -> None:
    """Make this transaction the only one deciding about `who` until it ends. Must come first.

    PostgreSQL: an advisory lock on `who`, released at commit; under READ COMMITTED the count that
    follows sees what the previous holder committed. SQLite: the sessions begin lazily (pysqlite
    issues a deferred BEGIN before the first write), so two could read the same count and both
    insert; BEGIN IMMEDIATE takes the database's write lock before the count instead."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(who)})
    elif dialect == "sqlite":
        await session.execute(text("BEGIN IMMEDIATE"))
    else:  # pragma: no cover - the engine only makes these two
        raise RuntimeError(f"no reservation lock for {dialect}")


async def holding(
    session: AsyncSession, who: Who, *, since: datetime, live_since: datetime, limit: int
) -> Sequence[datetime]:
    """When the (up to `limit`) latest slot-holding attempts of `who` were taken, newest first."""
    return (await session.scalars(
        select(IntakeAttempt.at)
        .where(*_of(who), _holding(since, live_since))
        .order_by(IntakeAttempt.at.desc())
        .limit(limit)
    )).all()


async def reserve(
    session: AsyncSession, who: Who, *, at: datetime, since: datetime, live_since: datetime, limit: int,
    username: str | None = None,
) -> int | Full:
    """Take one of `who`'s `limit` slots (a `reserved` row), or say none is free. Call it first in
    a fresh transaction: it serialises on `who` (see serialise), so the count and the insert are
    one step across connections and replicas."""
    await serialise(session, who)
    taken = await holding(session, who, since=since, live_since=live_since, limit=limit)
    if len(taken) >= limit:
        return Full(taken)
    row = IntakeAttempt(platform=who.platform, team_id=who.team_id, user_id=who.user_id, at=at,
                        outcome=RESERVED, username=username)
    session.add(row)
    await session.flush()
    return row.id


async def settle(
    session: AsyncSession, attempt_id: int, *, outcome: str, reason: str | None = None, code: int | None = None,
) -> None:
    """What the reserved attempt turned out to be: `rejected` keeps the slot, anything else gives it back.

    A write first, so on SQLite the settling transaction takes the write lock before it reads
    anything (a deferred transaction that read first fails outright if another wrote meanwhile)."""
    await session.execute(
        update(IntakeAttempt).where(IntakeAttempt.id == attempt_id)
        .values(outcome=outcome, reason=reason, fault_code=code)
    )


async def count_rejections(
    session: AsyncSession, *, platform: str, team_id: str | None, user_id: str, since: datetime
) -> int:
    return await session.scalar(
        select(func.count()).select_from(IntakeAttempt).where(
            *_of(Who(platform, team_id, user_id)), IntakeAttempt.outcome == REJECTED, IntakeAttempt.at >= since
        )
    ) or 0


async def count_holding(session: AsyncSession, who: Who, *, since: datetime, live_since: datetime) -> int:
    """How many of `who`'s slots are in use: rejected within the window plus live reservations."""
    return await session.scalar(
        select(func.count()).select_from(IntakeAttempt).where(*_of(who), _holding(since, live_since))
    ) or 0

