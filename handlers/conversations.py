"""Credentials sent in two messages: one half is remembered for a short while until the other comes.

The e-mail is kept as is; a token is sealed like a link's token (bound to its row), and every
row is gone after REMEMBER_FOR, so a token sent without its e-mail never lingers in clear or long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.model import Person
from storage import pending_conversations as halves
from storage.cipher import DecryptionError, Sealed, TokenCipher, pending_row
from storage.models import PendingConversation, utcnow

log = logging.getLogger(__name__)

REMEMBER_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Complete:
    """Both halves are known now; the remembered one is forgotten."""

    username: str
    token: str

    def __repr__(self) -> str:
        return f"Complete(username={self.username!r}, token=…{self.token[-4:]})"


@dataclass(frozen=True)
class Waiting:
    """One half is remembered until `expires_at`; `missing` says which half to ask for."""

    missing: Literal["username", "token"]
    username: str | None
    token_last4: str | None
    expires_at: datetime


Half = Complete | Waiting


class Conversations:
    """Remembers half-sent credentials per person. `clock` is injectable for tests."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        clock: Callable[[], datetime] = utcnow,
        remember_for: timedelta = REMEMBER_FOR,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.clock = clock
        self.remember_for = remember_for

    async def take(self, *, person: Person, username: str | None = None, token: str | None = None) -> Half:
        """Add what this message held to what is remembered.

        Returns Complete when both halves are known (and forgets the remembered one), else
        Waiting for the missing half. A new half replaces an older one of the same kind."""
        if username is None and token is None:
            raise ValueError("take needs a username or a token")
        if username is not None and token is not None:
            await self.forget(person=person)
            return Complete(username, token)
        for attempt in range(2):
            try:
                return await self._merge(person, username, token)
            except IntegrityError:
                # Two messages of one person at once both inserted a row; the second try sees it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def waiting(self, *, person: Person) -> Waiting | None:
        """What is remembered for this person, if anything (without changing it)."""
        now = self.clock()
        async with self.sessions() as session:
            row = await self._row(session, person, now)
            return None if row is None else self._waiting(row)

    async def forget(self, *, person: Person) -> None:
        async with self.sessions() as session, session.begin():
            await halves.forget(session, **self._mine(person))

    async def forget_expired(self) -> int:
        """Delete every expired row (called on each take; the housekeeping job prunes them too)."""
        async with self.sessions() as session, session.begin():
            return await halves.forget_expired(session, now=self.clock())

    async def _merge(self, person: Person, username: str | None, token: str | None) -> Half:
        now = self.clock()
        await self.forget_expired()
        async with self.sessions() as session, session.begin():
            row = await self._row(session, person, now)
            if row is not None:
                if username is not None and row.token_ciphertext is not None:
                    remembered = self._open(row)
                    await session.delete(row)
                    if remembered is not None:
                        return Complete(username, remembered)
                    await session.flush()  # the unique row must be gone before its successor
                    row = None
                elif token is not None and row.username is not None:
                    remembered_username = row.username
                    await session.delete(row)
                    return Complete(remembered_username, token)
            if row is None:
                row = PendingConversation(
                    platform=person.platform, team_id=person.team_id, user_id=person.user_id,
                    expires_at=now + self.remember_for, updated_at=now,
                )
                session.add(row)
                await session.flush()
            row.expires_at = now + self.remember_for
            row.updated_at = now
            if username is not None:
                row.username = username
            if token is not None:
                sealed = self.cipher.seal(token, row=pending_row(row.id))
                row.token_ciphertext, row.token_key_id = sealed.ciphertext, sealed.key_id
            await session.flush()
            return self._waiting(row, token_last4=token[-4:] if token else None)

    def _open(self, row: PendingConversation) -> str | None:
        assert row.token_ciphertext is not None and row.token_key_id is not None
        try:
            return self.cipher.open(Sealed(row.token_key_id, row.token_ciphertext), row=pending_row(row.id))
        except DecryptionError as exc:
            # A key removed from TOKENDESK_KEYS since: the half is lost, ask for it again.
            log.warning("remembered token could not be opened: %s", exc)
            return None

    def _waiting(self, row: PendingConversation, *, token_last4: str | None = None) -> Waiting:
        if row.token_ciphertext is not None:
            if token_last4 is None:
                opened = self._open(row)
                token_last4 = opened[-4:] if opened else None
            return Waiting(missing="username", username=None, token_last4=token_last4, expires_at=row.expires_at)
        return Waiting(missing="token", username=row.username, token_last4=None, expires_at=row.expires_at)

    async def _row(self, session: AsyncSession, person: Person, now: datetime) -> PendingConversation | None:
        return await halves.current(session, **self._mine(person), now=now)

    @staticmethod
    def _mine(person: Person) -> dict[str, str | None]:
        return {"platform": person.platform, "team_id": person.team_id, "user_id": person.user_id}
