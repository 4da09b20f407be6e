"""A named lease in the database, so that one process among several replicas does a job.

Taking a lease is one atomic upsert on SQLite and PostgreSQL alike: it succeeds when the lease
is free, expired, or already ours. A holder renews it while it works; when the holder dies, the
lease expires and the next process takes it over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Lease, utcnow
from storage.upsert import insert_or_update

log = logging.getLogger(__name__)


class LeaseHeld(Exception):
    """Another process holds the lease; `holder` and `expires_at` say who and until when."""

    def __init__(self, name: str, holder: str | None, expires_at: datetime | None) -> None:
        self.name = name
        self.holder = holder
        self.expires_at = expires_at
        until = f" until {expires_at.isoformat(timespec='seconds')}" if expires_at else ""
        super().__init__(f"lease {name} is held by {holder or 'another process'}{until}")


class LeaseLost(Exception):
    """The lease expired and was taken over while we worked (we stalled past its expiry)."""


@dataclass(frozen=True)
class LeaseState:
    name: str
    holder: str
    expires_at: datetime


def holder_id() -> str:
    """`hostname:pid:random`: unique per process, readable in logs and in the leases table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def try_acquire(session: AsyncSession, *, name: str, holder: str, ttl_s: float, now: datetime) -> bool:
    """Take or extend the lease when it is free, expired or ours; True when we hold it after."""
    expires = now + timedelta(seconds=ttl_s)
    taken = await insert_or_update(
        session, Lease, values={"name": name, "holder": holder, "expires_at": expires}, index_elements=["name"],
        set_={"holder": holder, "expires_at": expires},
        where=(Lease.expires_at < now) | (Lease.holder == holder), returning=Lease.holder,
    )
    return taken == holder


async def renew(session: AsyncSession, *, name: str, holder: str, ttl_s: float, now: datetime) -> bool:
    """Push our lease's expiry out; False when it is no longer ours (taken over)."""
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=now + timedelta(seconds=ttl_s))
        .returning(Lease.name)
    )
    return result.scalar_one_or_none() is not None


async def release(session: AsyncSession, *, name: str, holder: str) -> bool:
    """Give the lease up at once (only if it is ours), so a successor need not wait for expiry."""
    result = await session.execute(
        delete(Lease).where(Lease.name == name, Lease.holder == holder).returning(Lease.name)
    )
    return result.scalar_one_or_none() is not None


async def current(session: AsyncSession, *, name: str, now: datetime) -> LeaseState | None:
    """Who holds the lease now, or None when it is free or expired."""
    row = await session.scalar(select(Lease).where(Lease.name == name))
    if row is None or row.expires_at < now:
        return None
    return LeaseState(name=row.name, holder=row.holder, expires_at=row.expires_at)


class DatabaseLease:
    """One process's handle on a named lease: acquire, renew in the background, release."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        name: str,
        holder: str,
        ttl_s: float = 60.0,
        renew_every_s: float | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self.sessions = sessions
        self.name = name
        self.holder = holder
        self.ttl_s = ttl_s
        self.renew_every_s = renew_every_s if renew_every_s is not None else ttl_s / 3
        self.clock = clock
        self.renew_failures = 0
        """Consecutive renewals that could not reach the database (for health checks)."""

    async def acquire(self) -> bool:
        async with self.sessions() as session, session.begin():
            return await try_acquire(session, name=self.name, holder=self.holder, ttl_s=self.ttl_s, now=self.clock())

    async def renew(self) -> bool:
        async with self.sessions() as session, session.begin():
            return await renew(session, name=self.name, holder=self.holder, ttl_s=self.ttl_s, now=self.clock())

    async def release(self) -> bool:
        async with self.sessions() as session, session.begin():
            return await release(session, name=self.name, holder=self.holder)

    async def current(self) -> LeaseState | None:
        async with self.sessions() as session:
            return await current(session, name=self.name, now=self.clock())

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold the lease for the block, renewing it; raises LeaseHeld if another process has it.

        If a renewal finds the lease taken over, the block is cancelled and LeaseLost raised:
        two holders must never work at once. The lease is released when the block ends.
        """
        if not await self.acquire():
            state = await self.current()
            raise LeaseHeld(self.name, state.holder if state else None, state.expires_at if state else None)
        body = asyncio.current_task()
        assert body is not None
        lost = asyncio.Event()
        renewer = asyncio.get_running_loop().create_task(self._keep(body, lost), name=f"lease-{self.name}")
        try:
            yield
        except asyncio.CancelledError:
            if lost.is_set() and body.uncancel() == 0:
                raise LeaseLost(f"lease {self.name} was taken over by another process") from None
            raise
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            if not lost.is_set():
                try:
                    await asyncio.shield(self.release())
                except Exception:  # noqa: BLE001 - the lease expires by itself; never mask the block's outcome
                    log.warning("lease %s not released; it expires by itself", self.name)

    async def _keep(self, body: asyncio.Task[object], lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.renew_every_s)
            try:
                ours = await self.renew()
            except Exception:  # noqa: BLE001 - a database hiccup: try again before the lease runs out
                self.renew_failures += 1
                log.warning("lease %s renewal failed (%d in a row)", self.name, self.renew_failures)
                continue
            self.renew_failures = 0
            if not ours:
                log.error("lease %s was taken over; stopping the work it guarded", self.name)
                lost.set()
                body.cancel()
                return
