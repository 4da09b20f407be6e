"""API keys for the hand-off API: create (the only time the key is seen in clear), list, revoke, verify.

A key reads `td_<id>_<secret>`. The id makes lookup a primary-key read; the secret is 32 random
bytes. Only SHA-256 of the whole key is stored: with 256 bits of entropy there is nothing for a
slow hash (scrypt, argon2) to protect against, and it would cost CPU on every API request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiKey, utcnow

PREFIX = "td_"
_KEY = re.compile(r"^td_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$")
#: last_used_at is written at most this often per key, so reads do not turn into a write each.
TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(Exception):
    """An expected failure of a key command (unknown id, bad name); the message is for the operator."""


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKey
    key: str
    """The key in clear: print it once, it cannot be shown again."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id(presented: str) -> int | None:
    """The id part of a well-formed key, else None (the caller answers 401 without saying why)."""
    match = _KEY.match(presented)
    return int(match.group(1)) if match else None


async def create_key(session: AsyncSession, *, name: str) -> NewApiKey:
    name = name.strip()
    if not name:
        raise ApiKeyError("the key needs a name saying what it is for, e.g. --name 'payroll sync'")
    if len(name) > 100:
        raise ApiKeyError(f"the name is {len(name)} characters long; at most 100")
    record = ApiKey(name=name, secret_hash="", created_at=utcnow())
    session.add(record)
    await session.flush()  # the id is part of the key
    key = f"{PREFIX}{record.id}_{secrets.token_urlsafe(32)}"
    record.secret_hash = hash_key(key)
    await session.flush()
    return NewApiKey(record=record, key=key)


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.id))).all()


async def revoke_key(session: AsyncSession, *, key_id: int) -> ApiKey:
    """Revoke a key; revoking twice is harmless and keeps the first time."""
    record = await session.get(ApiKey, key_id)
    if record is None:
        raise ApiKeyError(f"no API key with id {key_id} (see `tokendesk apikeys list`)")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    return record


async def verify_key(session: AsyncSession, presented: str, *, now: datetime | None = None) -> ApiKey | None:
    """The live key matching `presented`, or None; touches last_used_at (throttled)."""
    kid = key_id(presented)
    if kid is None:
        return None
    record = await session.get(ApiKey, kid)
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.secret_hash, hash_key(presented)):
        return None
    now = now or utcnow()
    if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
        record.last_used_at = now
    return record
