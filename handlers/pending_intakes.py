"""Intakes acknowledged to a chat platform are finished even if this process dies (issue 12 finding 3).

The adapter records the intake (reply target + sealed token) in the same transaction as the
delivery claim, before it acknowledges; a worker then runs it and answers, and deletes the row only
after the answer went out. A worker holds a row under a short, renewed claim; a claim that runs out
means its process died, and any replica's sweep takes the row over. So the customer is answered at
least once, and twice at most (a death between the answer and the delete).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import dm
from handlers.conversations import Conversations
from handlers.intake import Intake, Via
from handlers.model import Person
from handlers.parse import Found
from handlers.text import replies
from handlers.text.replies import Reply
from handlers.trace import correlation_id, new_correlation_id
from storage import pending_intakes as store
from storage.cipher import TokenCipher
from storage.models import utcnow
from storage.pending_intakes import Target

log = logging.getLogger(__name__)

#: Where the intake came from: a chat message (answered like any DM) or the credentials form.
DM, FORM = "dm", "form"
#: Workers that took a row this often and never finished it: answer with an error and drop it.
MAX_ATTEMPTS = 5


class Answerer(Protocol):
    """One platform's way back to the customer."""

    platform: str

    async def person(self, target: Target) -> Person:
        """Who sent it (their language from the platform when it knows it)."""
        ...

    async def answer(self, target: Target, reply: Reply, *, source: str, username: str, notes: Sequence[str]) -> None:
        """Say `reply` where the intake came from (the form, else the chat); raise when it could not."""
        ...


class PendingIntakes:
    """Records, runs and takes over pending intakes. One instance per process."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher, intake: Intake,
        conversations: Conversations, answerers: Sequence[Answerer], claim_for: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = utcnow, concurrency: int = 8,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.intake = intake
        self.conversations = conversations
        self.answerers = {answerer.platform: answerer for answerer in answerers}
        self.claim_for = claim_for
        self.clock = clock
        self._running: set[int] = set()
        """Intakes this process holds (running or waiting their turn); their claims are renewed."""
        # At most this many run at once; the rest wait here, held, instead of all writing at once
        # (on SQLite, a crowd of writers starves the acknowledgement's write; Nmbrs takes only so
        # many calls at once anyway).
        self._turns = asyncio.Semaphore(concurrency)

    async def record(self, session: AsyncSession, *, target: Target, username: str, token: str, source: str) -> int:
        """In the adapter's transaction (with the delivery claim), before it acknowledges. The row
        is claimed by this process at once, so another replica's sweep leaves it to us."""
        now = self.clock()
        return await store.add(session, self.cipher, target=target, username=username, token=token, source=source,
                               now=now, claimed_until=now + self.claim_for)

    async def record_many(
        self, session: AsyncSession, intakes: Sequence[tuple[Target, str, str, str]]
    ) -> list[int]:
        """`record` for many (target, username, token, source) at once: the acknowledgement's batch."""
        now = self.clock()
        return await store.add_many(session, self.cipher, intakes=intakes, now=now, claimed_until=now + self.claim_for)

    async def finish(self, intake_id: int, *, claimed: bool = False) -> bool:
        """Run the intake and answer; False when another worker holds it or it is gone.
        `claimed`: this process recorded it (its claim is already held)."""
        if intake_id in self._running:
            return False
        self._running.add(intake_id)
        try:
            if not claimed:
                async with self.sessions() as session, session.begin():
                    if not await store.claim(session, intake_id=intake_id, now=self.clock(), claim_for=self.claim_for):
                        return False
            async with self._turns:
                await self._run(intake_id)
            return True
        finally:
            self._running.discard(intake_id)

    async def _run(self, intake_id: int) -> None:
        async with self.sessions() as session:
            row = await store.get(session, intake_id)
            if row is None:
                return
            target, username, source, attempts = store.target_of(row), row.username, row.source, row.attempts
            token = store.open_token(row, self.cipher)
        answerer = self.answerers.get(target.platform)
        if answerer is None:
            log.error("pending intake %s: no answerer for platform %s; kept", intake_id, target.platform)
            return
        try:
            person = await answerer.person(target)
            via = Via.parse(target.via_invitation, target.via_channel)
            reply, notes = await self._reply(intake_id, person, source, username, token, attempts, via)
            await answerer.answer(target, reply, source=source, username=username, notes=notes)
        except Exception:  # noqa: BLE001 - not answered: the row stays, its claim runs out, a sweep tries again
            log.exception("pending intake %s not answered; tried again when its claim runs out", intake_id)
            return
        async with self.sessions() as session, session.begin():
            await store.remove(session, intake_id=intake_id)
        log.info("pending intake %s answered (%s)", intake_id, source)

    async def _reply(
        self, intake_id: int, person: Person, source: str, username: str, token: str, attempts: int,
        via: Via | None = None,
    ) -> tuple[Reply, list[str]]:
        """The answer: the intake's outcome, or — when it failed on our side — the failure with a
        reference (also in the log line), as the app's error handler would have said it."""
        lang = person.lang
        found = Found(username=username, token=token)
        notes = dm.delete_notes(found, lang) if source == DM else []
        if attempts > MAX_ATTEMPTS:  # every worker so far died on this one: stop trying
            reference = _reference()
            log.error("pending intake %s given up after %d attempts (reference %s)", intake_id, attempts, reference)
            return dm.failed(reference, lang), notes
        try:
            if source == DM:
                reply = await dm.answer(person=person, found=found, intake=self.intake,
                                        conversations=self.conversations)
            else:
                outcome = await self.intake.submit(person=person, username=username, token=token, via=via)
                reply = replies.outcome_reply(outcome, lang)
        except Exception:  # noqa: BLE001 - answered once with a reference instead of retried forever
            reference = _reference()
            log.exception("pending intake %s failed (reference %s)", intake_id, reference)
            return dm.failed(reference, lang), notes
        return reply, notes

    async def renew(self) -> int:
        """Extend the claims of every intake this process is running, in one statement (a slow
        Nmbrs must not look like a dead process); how many."""
        held = sorted(self._running)
        if held:
            async with self.sessions() as session, session.begin():
                await store.renew(session, intake_ids=held, until=self.clock() + self.claim_for)
        return len(held)

    async def sweep(self) -> int:
        """Take over every intake no live worker holds; returns how many were finished."""
        async with self.sessions() as session:
            ids = await store.due(session, now=self.clock())
        # Side by side: the turns (the semaphore) bound how many run at once.
        results = await asyncio.gather(*(self.finish(intake_id) for intake_id in ids), return_exceptions=True)
        for intake_id, result in zip(ids, results):
            if isinstance(result, Exception):  # one bad row must not stop the others
                log.error("pending intake %s: sweep failed (%s)", intake_id, type(result).__name__)
        done = sum(1 for result in results if result is True)
        if done:
            log.info("pending intakes: %d taken over and answered", done)
        return done

    async def run(self, *, every_s: float) -> None:
        """The worker: sweep at start, then every `every_s` seconds, until cancelled; meanwhile
        the claims of the intakes running here are renewed three times per claim period."""
        renewing = asyncio.get_running_loop().create_task(self._renewing())
        try:
            while True:
                try:
                    await self.sweep()
                except Exception:  # noqa: BLE001 - e.g. the database away for a moment; the next pass retries
                    log.exception("pending intakes: sweep failed")
                await asyncio.sleep(every_s)
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)

    async def _renewing(self) -> None:
        while True:
            await asyncio.sleep(self.claim_for.total_seconds() / 3)
            try:
                await self.renew()
            except Exception:  # noqa: BLE001 - the next renewal tries again (a claim lasts three of them)
                log.warning("pending intakes: claims not renewed")


def _reference() -> str:
    """The request's correlation id (in every log line of it) when there is one, else a fresh one."""
    current = correlation_id.get()
    return current if current != "-" else new_correlation_id()
