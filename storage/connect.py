"""Queries on `connect_tickets` and `oauth_states`: make a ticket (the only time it is seen), find a
live one, open a state for one visit (cookie and sealed PKCE verifier), claim a state exactly once,
and prune what has expired. Tickets, states and cookies are 256 random bits; only hashes are kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cipher import Sealed, TokenCipher
from storage.models import ConnectTicket, OAuthState

#: A ticket, state or cookie as it travels (token_urlsafe of 32 bytes).
VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: Rows are kept this long after they expired (support may look at a failed consent), then pruned.
KEEP_EXPIRED = timedelta(days=1)


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def state_row(state_id: int) -> str:
    """The associated data of a state's sealed PKCE verifier."""
    return f"oauth_state:{state_id}"


@dataclass(frozen=True)
class NewTicket:
    record: ConnectTicket
    ticket: str
    """In clear, for the URL; never stored."""


@dataclass(frozen=True)
class NewState:
    record: OAuthState
    state: str
    cookie: str


@dataclass(frozen=True)
class ClaimedState:
    """A state this call marked used; `ticket` is None when the ticket was pruned meanwhile."""

    record: OAuthState
    ticket: ConnectTicket | None


async def create_ticket(
    session: AsyncSession, *, platform: str, team_id: str | None, user_id: str, language: str, now: datetime,
    ttl: timedelta, invitation_id: int | None = None, migration_link_id: int | None = None,
    migration_debtor_id: int | None = None,
) -> NewTicket:
    ticket = secrets.token_urlsafe(32)
    record = ConnectTicket(
        ticket_hash=hash_value(ticket), created_at=now, expires_at=now + ttl, platform=platform, team_id=team_id,
        user_id=user_id, language=language, invitation_id=invitation_id, migration_link_id=migration_link_id,
        migration_debtor_id=migration_debtor_id,
    )
    session.add(record)
    await session.flush()
    return NewTicket(record=record, ticket=ticket)


async def find_ticket(session: AsyncSession, *, ticket: str, now: datetime) -> ConnectTicket | None:
    """The live ticket of this value; None for unknown, malformed or expired."""
    if not VALUE.match(ticket):
        return None
    found = await session.scalar(select(ConnectTicket).where(ConnectTicket.ticket_hash == hash_value(ticket)))
    return found if found is not None and found.expires_at > now else None


async def create_state(
    session: AsyncSession, cipher: TokenCipher, *, ticket_id: int, verifier: str | None, now: datetime,
    ttl: timedelta,
) -> NewState:
    state, cookie = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    record = OAuthState(state_hash=hash_value(state), ticket_id=ticket_id, cookie_hash=hash_value(cookie),
                        created_at=now, expires_at=now + ttl)
    session.add(record)
    await session.flush()
    if verifier is not None:
        sealed = cipher.seal(verifier, row=state_row(record.id))
        record.verifier_ciphertext, record.verifier_key_id = sealed.ciphertext, sealed.key_id
        await session.flush()
    return NewState(record=record, state=state, cookie=cookie)


async def claim_state(session: AsyncSession, *, state: str, now: datetime) -> ClaimedState | None:
    """Mark the state used, once: one conditional UPDATE, so of two callbacks racing with the same
    state only one sees a row changed. None for unknown, malformed, used or expired states."""
    if not VALUE.match(state):
        return None
    result = await session.execute(
        update(OAuthState)
        .where(OAuthState.state_hash == hash_value(state), OAuthState.used_at.is_(None), OAuthState.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    record = await session.scalar(select(OAuthState).where(OAuthState.state_hash == hash_value(state)))
    if record is None:
        return None
    return ClaimedState(record=record, ticket=await session.get(ConnectTicket, record.ticket_id))


def open_verifier(record: OAuthState, cipher: TokenCipher) -> str | None:
    if record.verifier_ciphertext is None or record.verifier_key_id is None:
        return None
    return cipher.open(Sealed(record.verifier_key_id, record.verifier_ciphertext), row=state_row(record.id),
                       label=f"oauth state {record.id} (PKCE verifier)")


async def prune(session: AsyncSession, *, now: datetime) -> None:
    """Delete states and tickets that expired more than KEEP_EXPIRED ago (states first: SQLite
    enforces no cascade unless told to)."""
    before = now - KEEP_EXPIRED
    old_tickets = select(ConnectTicket.id).where(ConnectTicket.expires_at < before).scalar_subquery()
    await session.execute(delete(OAuthState).where(
        (OAuthState.expires_at < before) | OAuthState.ticket_id.in_(old_tickets)))
    await session.execute(delete(ConnectTicket).where(ConnectTicket.expires_at < before))


async def reseal_verifiers(session: AsyncSession, cipher: TokenCipher) -> int:
    """`keys rotate`: the PKCE verifiers not yet under the primary key, sealed again (a consent in
    progress survives a rotation that retires the old key afterwards). Returns how many."""
    records = (await session.scalars(select(OAuthState).where(
        OAuthState.verifier_ciphertext.is_not(None), OAuthState.verifier_key_id != cipher.primary_key_id,
    ).with_for_update())).all()
    for record in records:
        sealed = cipher.seal(open_verifier(record, cipher) or "", row=state_row(record.id))
        record.verifier_ciphertext, record.verifier_key_id = sealed.ciphertext, sealed.key_id
    return len(records)
