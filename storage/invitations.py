"""Queries on `invitations`: create (the only time the secret is seen), find an open one by its secret,
list, revoke, spend; and the per-address rejection record of the invitation page's limit.

The secret is 32 random bytes (256 bits) in the URL; only its SHA-256 is stored, so a copy of the
database opens no invitation page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IntakeAttempt, Invitation, utcnow

#: A secret as it appears in the URL (token_urlsafe of 32 bytes).
SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SHORT_ID = re.compile(r"^[Ii]([1-9][0-9]{0,9})$")


@dataclass(frozen=True)
class NewInvitation:
    record: Invitation
    secret: str
    """In clear, for the URL: shown once, never stored."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_short_id(text: str) -> int | None:
    match = _SHORT_ID.match(text.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ForPerson:
    """Whom the desk made an invitation for: one chat user who pressed a shared channel's Connect
    button and could not get the form, that channel and the invitation of its Connect message."""

    platform: str
    team_id: str | None
    user_id: str
    channel_id: str
    via_id: int


@dataclass(frozen=True)
class MigrationTarget:
    """The SOAP debtor an invitation of `/nmbrs migration invite` is for, and that invite's round."""

    link_id: int
    debtor_id: int
    round: str


async def create(
    session: AsyncSession, *, name: str, email: str | None, ttl: timedelta,
    platform: str, team_id: str | None, user_id: str, for_person: ForPerson | None = None,
    migration: MigrationTarget | None = None,
) -> NewInvitation:
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    record = Invitation(
        secret_hash=hash_secret(secret), name=name, email=email, created_at=now, expires_at=now + ttl,
        created_platform=platform, created_team=team_id, created_by=user_id,
    )
    if for_person is not None:
        record.for_platform, record.for_team, record.for_user = for_person.platform, for_person.team_id, for_person.user_id
        record.channel_id, record.via_id = for_person.channel_id, for_person.via_id
    if migration is not None:
        record.migration_link_id, record.migration_debtor_id = migration.link_id, migration.debtor_id
        record.migration_round = migration.round
    session.add(record)
    await session.flush()
    return NewInvitation(record=record, secret=secret)


async def find_open(session: AsyncSession, *, secret: str, now: datetime) -> Invitation | None:
    """The invitation of this secret if it can still be used; None for unknown, expired, used or revoked."""
    if not SECRET.match(secret):
        return None
    found = await session.scalar(select(Invitation).where(Invitation.secret_hash == hash_secret(secret)))
    return found if found is not None and found.is_open(now) else None


async def find_live(session: AsyncSession, *, invitation_id: int, now: datetime) -> Invitation | None:
    """The invitation if it is neither revoked nor expired (a used one still counts: its Connect
    message in a shared channel stays for the customer's colleagues until support revokes it)."""
    found = await session.get(Invitation, invitation_id)
    return found if found is not None and found.revoked_at is None and found.expires_at > now else None


async def find_open_for(session: AsyncSession, *, person: ForPerson, now: datetime) -> Invitation | None:
    """The open invitation the desk made earlier for this person through this Connect message."""
    return await session.scalar(
        select(Invitation)
        .where(Invitation.for_platform == person.platform, Invitation.for_team == person.team_id,
               Invitation.for_user == person.user_id, Invitation.via_id == person.via_id,
               Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.id.desc())
        .limit(1)
        .with_for_update()
    )


async def find_open_migration(session: AsyncSession, *, target: MigrationTarget, now: datetime) -> Invitation | None:
    """The open invitation an invite round made for this SOAP debtor (a retried delivery renews it)."""
    return await session.scalar(
        select(Invitation)
        .where(Invitation.migration_link_id == target.link_id, Invitation.migration_debtor_id == target.debtor_id,
               Invitation.migration_round == target.round, Invitation.used_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.id.desc())
        .limit(1)
        .with_for_update()
    )


async def rekey(session: AsyncSession, invitation: Invitation) -> str:
    """A new secret for an open invitation (the old URL stops working); the new one, in clear, once."""
    secret = secrets.token_urlsafe(32)
    invitation.secret_hash = hash_secret(secret)
    await session.flush()
    return secret


async def list_open(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[Invitation]:
    return (await session.scalars(
        select(Invitation)
        .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.id)
        .limit(limit)
    )).all()


async def revoke(session: AsyncSession, *, invitation_id: int, by: str, now: datetime) -> bool:
    """True when this call ended an invitation that was still open."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def spend(session: AsyncSession, *, invitation_id: int, link_id: int, now: datetime) -> bool:
    """Mark the invitation used by this link; False when another submission spent it first (one row
    update with the condition in it, so two concurrent successes cannot both claim it)."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(used_at=now, link_id=link_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def rejected_from_address(*, address: str, username: str | None, reason: str | None, code: int | None) -> IntakeAttempt:
    """A rejection counted against a client address (the invitation's own is recorded by intake)."""
    return IntakeAttempt(platform="web", team_id="address", user_id=address[:128], at=utcnow(),
                         outcome="rejected", reason=reason, fault_code=code, username=username)


async def get_open(session: AsyncSession, *, invitation_id: int, now: datetime) -> Invitation | None:
    """The invitation by its id if it can still be used (a consent ticket bound to it)."""
    found = await session.get(Invitation, invitation_id, populate_existing=True)
    return found if found is not None and found.is_open(now) else None
