"""The check pipeline: load links → (decrypt, ask Nmbrs) × concurrency → write answers in batches,
each answer applied to its link's locked row (handlers.recheck.step)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox
from handlers.model import InvalidInput, Person, SoapLogin
from handlers.ports import Nmbrs
from handlers.recheck.rest import RestCheck
from handlers.recheck.step import Step
from handlers.recheck.values import Answer, CheckReport, Failure, RecheckPolicy
from storage import links as link_store
from storage.cipher import DecryptionError, TokenCipher
from storage.links import open_token
from storage.models import CHECKED_STATES, Link

log = logging.getLogger(__name__)

#: Links loaded from the database at a time; the queue in front of the workers holds about as many.
LOAD_BATCH = 200
#: Most check results written in one transaction (the writer takes what has piled up, up to this).
WRITE_BATCH = 100


class Pipeline:
    """Asks Nmbrs about links, many at a time, and records each answer where it belongs."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        gateway: Nmbrs,
        outbox: Outbox,
        policy: RecheckPolicy,
        clock: Callable[[], datetime],
        concurrency: int,
        rest: RestCheck | None = None,
    ) -> None:
        self.rest = rest
        self.sessions = sessions
        self.cipher = cipher
        self.gateway = gateway
        self.outbox = outbox
        self.policy = policy
        self.clock = clock
        self.concurrency = concurrency

    async def check_ids(
        self,
        ids: Sequence[int],
        *,
        trigger: str,
        run_id: int | None,
        on_done: Callable[[int], Awaitable[None]] | None = None,
        nights: bool = True,
    ) -> None:
        """Check these links; `nights`: unanswered checks of this run count toward the unverified rule."""
        if not ids:
            return
        began = self.clock()  # a REST link refreshed since (by another replica) is not refreshed again
        workers = min(self.concurrency, len(ids))
        work: asyncio.Queue[Link | None] = asyncio.Queue(maxsize=2 * LOAD_BATCH)
        answers: asyncio.Queue[tuple[Link, Answer] | None] = asyncio.Queue(maxsize=4 * WRITE_BATCH)

        async def feed() -> None:
            for start in range(0, len(ids), LOAD_BATCH):
                chunk = ids[start:start + LOAD_BATCH]
                async with self.sessions() as session:
                    links = await link_store.load_checkable(session, ids=chunk)
                gone = len(chunk) - len(links)  # revoked or deleted since the run started
                if gone and on_done is not None:
                    await on_done(gone)
                for link in links:
                    await work.put(link)
            for _ in range(workers):
                await work.put(None)

        async def ask() -> None:
            while (link := await work.get()) is not None:
                await answers.put((link, await self.ask(link, began=began)))

        async def asking() -> None:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(ask())
            await answers.put(None)

        async def write() -> None:
            finished = False
            while not finished:
                item = await answers.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < WRITE_BATCH:
                    try:
                        more = answers.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                    if more is None:
                        finished = True
                        break
                    batch.append(more)
                await self.write(batch, trigger=trigger, run_id=run_id, nights=nights)
                self.outbox.kick()
                if on_done is not None:
                    await on_done(len(batch))

        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            group.create_task(asking())
            group.create_task(write())

    async def ask(self, link: Link, *, began: datetime | None = None) -> Answer:
        """Decrypt and validate one link; anything that goes wrong is this link's failure only."""
        if link.is_rest:
            return await self._ask_rest(link, began=began or self.clock())
        try:
            token = open_token(link, self.cipher)
        except DecryptionError as exc:
            log.error("recheck: token of link %s cannot be decrypted: %s", link.short_id, exc)
            return Failure("decryption", str(exc))
        except ValueError:
            return Failure("no_token", "the link holds no token")
        try:
            return await self.gateway.check(SoapLogin(link.username, token))
        except InvalidInput as exc:
            log.error("recheck: stored credentials of link %s refused before asking Nmbrs (%s)", link.short_id, exc.reason)
            return Failure("invalid_input", exc.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one link's surprise must not stop the run
            log.error("recheck: checking link %s failed unexpectedly (%s)", link.short_id, type(exc).__name__)
            return Failure("unexpected", type(exc).__name__)
        finally:
            token = ""

    async def _ask_rest(self, link: Link, *, began: datetime) -> Answer:
        if self.rest is None:
            return Failure("rest_off", "REST links are not configured on this desk")
        try:
            return await self.rest.check(link.id, began=began)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one link's surprise must not stop the run
            log.error("recheck: checking REST link %s failed unexpectedly (%s)", link.short_id, type(exc).__name__)
            return Failure("unexpected", type(exc).__name__)

    async def write(
        self,
        batch: Sequence[tuple[Link, Answer]],
        *,
        trigger: str,
        run_id: int | None,
        actor: Person | None = None,
        nights: bool = True,
    ) -> list[CheckReport | None]:
        """Apply answers in one transaction; if that fails, one by one so a bad row stays alone."""
        try:
            async with self.sessions() as session, session.begin():
                return [await self._apply(session, link, answer, trigger=trigger, run_id=run_id, actor=actor,
                                          nights=nights)
                        for link, answer in batch]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried per link below, so the rest still lands
            if len(batch) == 1:
                return [await self._write_failed(batch[0][0], exc, trigger=trigger, run_id=run_id, nights=nights)]
            log.warning("recheck: writing %d results failed (%s); writing them one by one", len(batch), type(exc).__name__)
        reports: list[CheckReport | None] = []
        for item in batch:
            reports.extend(await self.write([item], trigger=trigger, run_id=run_id, actor=actor, nights=nights))
        return reports

    async def _write_failed(
        self, link: Link, exc: Exception, *, trigger: str, run_id: int | None, nights: bool
    ) -> CheckReport | None:
        log.error("recheck: result for link %s could not be stored (%s)", link.short_id, type(exc).__name__)
        try:
            async with self.sessions() as session, session.begin():
                return await self._apply(
                    session, link, Failure("store_failed", type(exc).__name__), trigger=trigger, run_id=run_id, actor=None,
                    nights=nights,
                )
        except asyncio.CancelledError:
            raise
        except Exception as again:  # noqa: BLE001 - the link is simply checked again next time
            log.error("recheck: failure of link %s could not be recorded either (%s)", link.short_id, type(again).__name__)
            return None

    async def _apply(
        self,
        session: AsyncSession,
        seen: Link,
        answer: Answer,
        *,
        trigger: str,
        run_id: int | None,
        actor: Person | None,
        nights: bool,
    ) -> CheckReport | None:
        """Record one answer and move the link accordingly; None when the link changed meanwhile."""
        link = await link_store.lock_for_check(session, link_id=seen.id)
        # A REST link's refresh token rotates during its own check, so only its loss counts there.
        changed = (link.token_ciphertext is None if link is not None and link.is_rest
                   else link is None or link.token_ciphertext != seen.token_ciphertext)
        if link is None or changed or link.state not in CHECKED_STATES:
            log.info("recheck: link %s changed while it was checked; answer dropped", seen.short_id)
            return None
        now = self.clock()
        step = Step(session, link, answer, cipher=self.cipher, policy=self.policy, trigger=trigger, run_id=run_id, now=now, actor=actor, nights=nights)
        return await step.apply()
