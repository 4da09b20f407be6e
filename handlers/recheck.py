"""The nightly re-check: every link that holds a token, checked against Nmbrs and moved through the
link state machine of DESIGN.md, with exactly one alert per transition.

A run is a row in `recheck_runs`; each link checked in it gets a `checks` row with the run's id, so
a run that dies half-way is finished by the next lease holder without checking anyone twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from sqlalchemy import distinct, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import correlation_id
from bot.nmbrs import InvalidInput, NmbrsGateway, Rejected, Unreachable, Valid, Validation, explain
from handlers.alerts import Alert, AlertKind, LinkCard, Outbox, queue
from handlers.ports import Person
from handlers.scope import scope_change
from storage.audit import audit
from storage.cipher import DecryptionError, TokenCipher
from storage.lease import DatabaseLease, LeaseHeld
from storage.links import count_by_state, open_token, seal_onto, set_state
from storage.models import CHECKED_STATES, Check, Link, LinkState, RecheckRun, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "recheck"
#: Links loaded from the database at a time; the queue in front of the workers holds about as many.
LOAD_BATCH = 200
#: Most check results written in one transaction (the writer takes what has piled up, up to this).
WRITE_BATCH = 100
#: An unfinished run older than this is given up instead of resumed: its night has passed.
STALE_RUN = timedelta(hours=20)
#: How many broken links, changes and failures a digest names; the rest are counted.
DIGEST_ITEMS = 50
#: Progress is reported at most this often (seconds).
PROGRESS_EVERY_S = 1.0
#: Runs started by support (`/nmbrs check all`): their transient failures are not a night.
MANUAL_TRIGGERS = frozenset({"manual"})

_HOLDS_TOKEN = (Link.state.in_([s.value for s in CHECKED_STATES]), Link.token_ciphertext.is_not(None))
_CONFIRMABLE = (LinkState.ACTIVE, LinkState.UNVERIFIED)


@dataclass(frozen=True)
class RecheckPolicy:
    """The settings that shape the state machine and what people are told."""

    confirm_delay_s: float
    unverified_after: int
    notify_customers: bool
    digest: str
    """always, changes or off."""
    language: str = "nl"
    """For customers whose language is unknown (TOKENDESK_LANGUAGE)."""

    @classmethod
    def from_settings(cls, settings: Any) -> "RecheckPolicy":
        return cls(
            confirm_delay_s=settings.confirm_delay_s, unverified_after=settings.unverified_after,
            notify_customers=settings.notify_customers, digest=settings.digest, language=settings.language,
        )


@dataclass(frozen=True)
class RunProgress:
    done: int
    total: int


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    checked: int
    """Links checked in this run (confirming attempts not counted)."""
    counts: dict[str, int]
    """Links by state after the run."""
    changes: list[dict[str, Any]]
    """Transitions in this run and by single checks since the previous run."""
    failed: int
    """Links that could not be checked because of a fault on our side (decryption, unexpected)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    confirmations: int = 0
    broken: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    trigger: str = "schedule"
    resumed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "trigger": self.trigger, "resumed": self.resumed,
            "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at),
            "checked": self.checked, "failed": self.failed, "confirmations": self.confirmations,
            "counts": self.counts, "outcomes": self.outcomes, "changes": self.changes,
            "broken": self.broken, "failures": self.failures,
        }


@dataclass(frozen=True)
class CheckReport:
    link: LinkCard
    outcome: str
    """valid, rejected, unreachable, error (our side), skipped (holds no token) or stale (changed meanwhile)."""
    transition: str | None
    """activated, rejected, rotated, broken, restored, unverified, scope_changed, confirming, or None."""
    reason: str | None
    """Rejection category, unreachable cause or error reason."""
    fault_code: int | None = None
    confirm_due_at: datetime | None = None
    result: Validation | None = None


class RecheckBusy(Exception):
    """A run (or the scheduler's sweep) is going on already, here or in another replica."""

    def __init__(self, holder: str | None, expires_at: datetime | None = None) -> None:
        self.holder = holder
        self.expires_at = expires_at
        super().__init__(f"a check is already running ({holder or 'this process'})")


class LinkNotFound(LookupError):
    def __init__(self, link_id: int) -> None:
        self.link_id = link_id
        super().__init__(f"no link L{link_id}")


@dataclass(frozen=True)
class _Failure:
    """A link that could not be asked about because of something on our side."""

    reason: str  # decryption, no_token, invalid_input, unexpected
    detail: str


_Answer: TypeAlias = Validation | _Failure


@dataclass(frozen=True)
class SweepReport:
    """What one scheduler tick did."""

    run: RunSummary | None = None
    confirmed: int = 0
    retried: int = 0


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class Recheck:
    """Checks links against Nmbrs: whole runs under a database lease, or one link on demand."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        gateway: NmbrsGateway,
        outbox: Outbox,
        policy: RecheckPolicy,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        concurrency: int = 8,
        lease_ttl_s: float = 60.0,
        retry_pending_after_s: float = 600.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.sessions = sessions
        self.cipher = cipher
        self.gateway = gateway
        self.outbox = outbox
        self.policy = policy
        self.holder = holder
        self.clock = clock
        self.sleep = sleep
        self.concurrency = concurrency
        self.retry_pending_after = timedelta(seconds=retry_pending_after_s)
        self.lease = DatabaseLease(sessions, name=LEASE_NAME, holder=holder, ttl_s=lease_ttl_s, clock=clock)
        # One run or sweep at a time in this process; the lease does the same across processes.
        self._busy = asyncio.Lock()
        # Whether the run going on counts as a night for the unverified rule: a support person's
        # `check all` does not, the schedule and `tokendesk recheck` (the nightly check, now) do.
        self._nights = True

    # -- public use cases ------------------------------------------------------------------------

    async def run(
        self, *, trigger: str = "schedule", progress: Callable[[RunProgress], Awaitable[None]] | None = None
    ) -> RunSummary:
        """Check every link now (or finish the run that is unfinished) and return its summary.

        Raises RecheckBusy when a run is going on already, in this process or another."""
        async with self._exclusive():
            run_id, resumed = await self._open_run(trigger=trigger, create=True)
            assert run_id is not None
            return await self._execute(run_id, resumed=resumed, progress=progress)

    async def request_slot(self, slot: str, *, trigger: str = "schedule") -> bool:
        """Ask for the run of a scheduled slot; every replica may ask, one run is recorded.

        True when this call created it. The run is done by whoever holds the lease next (sweep)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = (
                insert(RecheckRun)
                .values(started_at=now, status="queued", trigger=trigger[:16], slot=slot, counts={})
                .on_conflict_do_nothing(index_elements=["slot"])
                .returning(RecheckRun.id)
            )
            created = (await session.execute(statement)).scalar_one_or_none() is not None
        if created:
            log.info("recheck: run requested for %s", slot)
        return created

    async def sweep(self) -> SweepReport | None:
        """The scheduler's frequent tick: finish an unfinished run, else confirm due failures and
        retry pending links. None when another process (or a run here) holds the lease."""
        try:
            async with self._exclusive():
                run_id, resumed = await self._open_run(trigger="resume", create=False)
                if run_id is not None:
                    return SweepReport(run=await self._execute(run_id, resumed=resumed, progress=None))
                now = self.clock()
                async with self.sessions() as session:
                    due = (await session.scalars(
                        select(Link.id).where(*_HOLDS_TOKEN, Link.confirm_due_at <= now).order_by(Link.id)
                    )).all()
                    retry = (await session.scalars(
                        select(Link.id).where(
                            *_HOLDS_TOKEN, Link.state == LinkState.PENDING,
                            (Link.last_checked_at.is_(None)) | (Link.last_checked_at <= now - self.retry_pending_after),
                        ).order_by(Link.id)
                    )).all()
                if due:
                    await self._check_ids(list(due), trigger="confirm", run_id=None)
                confirmed = set(due)
                pending = [link_id for link_id in retry if link_id not in confirmed]
                if pending:
                    await self._check_ids(pending, trigger="retry", run_id=None)
                return SweepReport(confirmed=len(due), retried=len(pending))
        except RecheckBusy:
            return None

    async def check_one(self, link_id: int, *, trigger: str = "manual", actor: Person | None = None) -> CheckReport:
        """Check one link now. A definitive failure on a working link is not confirmed here: the
        report says `confirming`, and the scheduler's sweep confirms it after the delay."""
        async with self.sessions() as session:
            link = await session.get(Link, link_id)
        if link is None:
            raise LinkNotFound(link_id)
        if not link.holds_token or link.state not in CHECKED_STATES:
            return CheckReport(LinkCard.of(link), "skipped", None, str(link.state))
        answer = await self._ask(link)
        [report] = await self._write([(link, answer)], trigger=trigger, run_id=None, actor=actor)
        self.outbox.kick()
        if report is None:
            return CheckReport(LinkCard.of(link), "stale", None, "changed while it was being checked")
        return report

    async def last_run(self) -> RecheckRun | None:
        """The last finished run (for `/nmbrs list` and the App Home)."""
        async with self.sessions() as session:
            return await session.scalar(
                select(RecheckRun).where(RecheckRun.status == "finished")
                .order_by(RecheckRun.finished_at.desc(), RecheckRun.id.desc()).limit(1)
            )

    async def unfinished_run(self) -> RecheckRun | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(RecheckRun).where(RecheckRun.status.in_(("queued", "running"))).order_by(RecheckRun.id).limit(1)
            )

    # -- runs --------------------------------------------------------------------------------------

    def _exclusive(self) -> "_Exclusive":
        return _Exclusive(self)

    async def _open_run(self, *, trigger: str, create: bool) -> tuple[int | None, bool]:
        """The run to work on: the oldest unfinished one (resumed), else a new one if `create`."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            unfinished = (await session.scalars(
                select(RecheckRun).where(RecheckRun.status.in_(("queued", "running"))).order_by(RecheckRun.id)
            )).all()
            run: RecheckRun | None = None
            for candidate in unfinished:
                if candidate.started_at < now - STALE_RUN:
                    candidate.status, candidate.finished_at = "abandoned", now
                    log.warning("recheck: run %s from %s abandoned unfinished", candidate.id, candidate.started_at)
                elif run is None:
                    run = candidate
            resumed = False
            if run is None:
                if not create:
                    return None, False
                run = RecheckRun(started_at=now, status="running", trigger=trigger[:16], holder=self.holder, counts={})
                session.add(run)
            elif run.status == "queued":
                run.status, run.started_at, run.holder = "running", now, self.holder
            else:
                resumed = True
                log.warning("recheck: resuming run %s left unfinished by %s", run.id, run.holder)
                run.holder = self.holder
            await session.flush()
            return run.id, resumed

    async def _execute(
        self, run_id: int, *, resumed: bool, progress: Callable[[RunProgress], Awaitable[None]] | None
    ) -> RunSummary:
        # Every line of a run, and of the alerts it hands to the outbox, carries the run's id; the
        # caller (a command, the CLI) gets its own id back afterwards.
        previous = correlation_id.set(f"run-{run_id}")
        try:
            return await self._check_links(run_id, resumed=resumed, progress=progress)
        finally:
            correlation_id.reset(previous)

    async def _check_links(
        self, run_id: int, *, resumed: bool, progress: Callable[[RunProgress], Awaitable[None]] | None
    ) -> RunSummary:
        async with self.sessions() as session:
            run_trigger = await session.scalar(select(RecheckRun.trigger).where(RecheckRun.id == run_id))
            self._nights = run_trigger not in MANUAL_TRIGGERS
            already = await session.scalar(
                select(func.count(distinct(Check.link_id))).where(Check.run_id == run_id, Check.trigger == "recheck")
            ) or 0
            done_in_run = exists().where(
                Check.link_id == Link.id, Check.run_id == run_id, Check.trigger == "recheck"
            )
            ids = list((await session.scalars(
                select(Link.id).where(*_HOLDS_TOKEN, ~done_in_run).order_by(Link.id)
            )).all())
        total = already + len(ids)
        log.info("recheck: run %s checking %d links (%d done before)", run_id, len(ids), already)
        reporter = _Progress(progress, already, total)
        await reporter.report(force=True)
        await self._check_ids(ids, trigger="recheck", run_id=run_id, on_done=reporter.advance)
        await reporter.report(force=True)
        await self._confirmations(run_id)
        return await self._finish(run_id, resumed=resumed)

    async def _confirmations(self, run_id: int) -> None:
        """Give every definitive failure on a working link its one more attempt, after the delay."""
        attempted: set[int] = set()
        while True:
            async with self.sessions() as session:
                rows = (await session.execute(
                    select(Link.id, Link.confirm_due_at)
                    .where(*_HOLDS_TOKEN, Link.confirm_due_at.is_not(None))
                    .order_by(Link.confirm_due_at, Link.id)
                )).all()
            rows = [row for row in rows if row.id not in attempted]
            if not rows:
                return
            first_due = rows[0].confirm_due_at
            wait = (first_due - self.clock()).total_seconds()
            if wait > 0:
                log.info("recheck: waiting %.0f s to confirm %d failures", wait, len(rows))
                await self.sleep(wait)
            horizon = max(self.clock(), first_due)
            due = [row.id for row in rows if row.confirm_due_at <= horizon]
            attempted.update(due)
            await self._check_ids(due, trigger="confirm", run_id=run_id)

    async def _finish(self, run_id: int, *, resumed: bool) -> RunSummary:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            run = await session.get(RecheckRun, run_id, with_for_update=True)
            assert run is not None
            summary = await self._summary(session, run, now, resumed=resumed)
            run.status, run.finished_at = "finished", now
            run.counts = {
                "states": summary.counts, "outcomes": summary.outcomes, "checked": summary.checked,
                "failed": summary.failed, "changes": len(summary.changes), "confirmations": summary.confirmations,
            }
            if self._wants_digest(summary):
                await queue(session, Alert(AlertKind.DIGEST, None, _digest_details(summary)), key=f"digest:run:{run_id}")
        self.outbox.kick()
        log.info(
            "recheck: run %s finished: %d checked, %d failed, %d changes, states %s",
            run_id, summary.checked, summary.failed, len(summary.changes), summary.counts,
        )
        return summary

    def _wants_digest(self, summary: RunSummary) -> bool:
        if self.policy.digest == "always":
            return True
        if self.policy.digest == "changes":
            return bool(summary.changes or summary.counts.get(LinkState.BROKEN, 0) or summary.failed)
        return False

    async def _summary(self, session: AsyncSession, run: RecheckRun, now: datetime, *, resumed: bool) -> RunSummary:
        in_run = (Check.run_id == run.id)
        checked = await session.scalar(
            select(func.count(distinct(Check.link_id))).where(in_run, Check.trigger == "recheck")
        ) or 0
        outcomes = dict((await session.execute(
            select(Check.outcome, func.count()).where(in_run, Check.trigger == "recheck").group_by(Check.outcome)
        )).all())
        confirmations = await session.scalar(
            select(func.count()).select_from(Check).where(in_run, Check.trigger == "confirm")
        ) or 0
        previous = await session.scalar(
            select(RecheckRun.finished_at).where(RecheckRun.status == "finished", RecheckRun.id != run.id)
            .order_by(RecheckRun.finished_at.desc()).limit(1)
        )
        between = Check.run_id.is_(None)
        if previous is not None:
            between = between & (Check.checked_at > previous)
        change_rows = (await session.execute(
            select(Check.checked_at, Check.transition, Check.trigger, Check.reason, Link.id, Link.username,
                   Link.environment, Link.state)
            .join(Link, Link.id == Check.link_id)
            .where(Check.transition.is_not(None), in_run | between)
            .order_by(Check.checked_at, Check.id)
        )).all()
        changes = [
            {"link_id": row.id, "link": f"L{row.id}", "username": row.username, "environment": row.environment,
             "transition": row.transition, "state": row.state, "reason": row.reason, "trigger": row.trigger,
             "at": _iso(row.checked_at)}
            for row in change_rows
        ]
        failure_rows = (await session.execute(
            select(Check.link_id, Check.reason, Link.username, Link.environment)
            .join(Link, Link.id == Check.link_id)
            .where(in_run, Check.outcome == "error").order_by(Check.link_id)
        )).all()
        failures = [
            {"link_id": row.link_id, "link": f"L{row.link_id}", "username": row.username,
             "environment": row.environment, "reason": row.reason}
            for row in failure_rows
        ]
        broken_rows = (await session.execute(
            select(Link.id, Link.username, Link.environment, Link.last_reason, Link.last_fault_code,
                   Link.state_changed_at, Link.token_last4)
            .where(Link.state == LinkState.BROKEN).order_by(Link.state_changed_at, Link.id)
        )).all()
        broken = [
            {"link_id": row.id, "link": f"L{row.id}", "username": row.username, "environment": row.environment,
             "reason": row.last_reason, "code": row.last_fault_code, "since": _iso(row.state_changed_at),
             "token_last4": row.token_last4}
            for row in broken_rows
        ]
        return RunSummary(
            run_id=run.id, started_at=run.started_at, finished_at=now, checked=checked,
            counts=await count_by_state(session), changes=changes, failed=len(failures),
            outcomes={str(k): int(v) for k, v in outcomes.items()}, confirmations=confirmations,
            broken=broken, failures=failures, trigger=run.trigger, resumed=resumed,
        )

    # -- the check pipeline: load → (decrypt, ask Nmbrs) × concurrency → write in batches ------------

    async def _check_ids(
        self,
        ids: Sequence[int],
        *,
        trigger: str,
        run_id: int | None,
        on_done: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        if not ids:
            return
        workers = min(self.concurrency, len(ids))
        work: asyncio.Queue[Link | None] = asyncio.Queue(maxsize=2 * LOAD_BATCH)
        answers: asyncio.Queue[tuple[Link, _Answer] | None] = asyncio.Queue(maxsize=4 * WRITE_BATCH)

        async def feed() -> None:
            for start in range(0, len(ids), LOAD_BATCH):
                chunk = ids[start:start + LOAD_BATCH]
                async with self.sessions() as session:
                    links = (await session.scalars(
                        select(Link).where(Link.id.in_(chunk), *_HOLDS_TOKEN).order_by(Link.id)
                    )).all()
                gone = len(chunk) - len(links)  # revoked or deleted since the run started
                if gone and on_done is not None:
                    await on_done(gone)
                for link in links:
                    await work.put(link)
            for _ in range(workers):
                await work.put(None)

        async def ask() -> None:
            while (link := await work.get()) is not None:
                await answers.put((link, await self._ask(link)))

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
                await self._write(batch, trigger=trigger, run_id=run_id)
                self.outbox.kick()
                if on_done is not None:
                    await on_done(len(batch))

        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            group.create_task(asking())
            group.create_task(write())

    async def _ask(self, link: Link) -> _Answer:
        """Decrypt and validate one link; anything that goes wrong is this link's failure only."""
        try:
            token = open_token(link, self.cipher)
        except DecryptionError as exc:
            log.error("recheck: token of link %s cannot be decrypted: %s", link.short_id, exc)
            return _Failure("decryption", str(exc))
        except ValueError:
            return _Failure("no_token", "the link holds no token")
        try:
            return await self.gateway.validate(link.username, token)
        except InvalidInput as exc:
            log.error("recheck: stored credentials of link %s refused before asking Nmbrs (%s)", link.short_id, exc.reason)
            return _Failure("invalid_input", exc.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one link's surprise must not stop the run
            log.error("recheck: checking link %s failed unexpectedly (%s)", link.short_id, type(exc).__name__)
            return _Failure("unexpected", type(exc).__name__)
        finally:
            token = ""

    async def _write(
        self,
        batch: Sequence[tuple[Link, _Answer]],
        *,
        trigger: str,
        run_id: int | None,
        actor: Person | None = None,
    ) -> list[CheckReport | None]:
        """Apply answers in one transaction; if that fails, one by one so a bad row stays alone."""
        try:
            async with self.sessions() as session, session.begin():
                return [await self._apply(session, link, answer, trigger=trigger, run_id=run_id, actor=actor)
                        for link, answer in batch]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried per link below, so the rest still lands
            if len(batch) == 1:
                return [await self._write_failed(batch[0][0], exc, trigger=trigger, run_id=run_id)]
            log.warning("recheck: writing %d results failed (%s); writing them one by one", len(batch), type(exc).__name__)
        reports: list[CheckReport | None] = []
        for item in batch:
            reports.extend(await self._write([item], trigger=trigger, run_id=run_id, actor=actor))
        return reports

    async def _write_failed(self, link: Link, exc: Exception, *, trigger: str, run_id: int | None) -> CheckReport | None:
        log.error("recheck: result for link %s could not be stored (%s)", link.short_id, type(exc).__name__)
        try:
            async with self.sessions() as session, session.begin():
                return await self._apply(
                    session, link, _Failure("store_failed", type(exc).__name__), trigger=trigger, run_id=run_id, actor=None
                )
        except asyncio.CancelledError:
            raise
        except Exception as again:  # noqa: BLE001 - the link is simply checked again next time
            log.error("recheck: failure of link %s could not be recorded either (%s)", link.short_id, type(again).__name__)
            return None

    # -- the state machine ------------------------------------------------------------------------

    async def _lock(self, session: AsyncSession, link_id: int) -> Link | None:
        """The link's current row, locked until commit: a transition happens once even when a run
        and a single check (or two replicas) race. On SQLite a no-op write takes the write lock
        before the read, since SQLite transactions start only at the first write."""
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                update(Link).where(Link.id == link_id).values(failed_checks=Link.failed_checks)
                .execution_options(synchronize_session=False)
            )
        return await session.scalar(
            select(Link).where(Link.id == link_id).with_for_update().execution_options(populate_existing=True)
        )

    async def _apply(
        self,
        session: AsyncSession,
        seen: Link,
        answer: _Answer,
        *,
        trigger: str,
        run_id: int | None,
        actor: Person | None,
    ) -> CheckReport | None:
        """Record one answer and move the link accordingly; None when the link changed meanwhile."""
        link = await self._lock(session, seen.id)
        if (link is None or link.token_ciphertext != seen.token_ciphertext
                or link.state not in CHECKED_STATES):
            log.info("recheck: link %s changed while it was checked; answer dropped", seen.short_id)
            return None
        now = self.clock()
        step = _Step(self, session, link, answer, trigger=trigger, run_id=run_id, now=now, actor=actor)
        return await step.apply()


class _Step:
    """One answer applied to one locked link: the transition, its check row and its alerts."""

    def __init__(
        self, recheck: Recheck, session: AsyncSession, link: Link, answer: _Answer, *,
        trigger: str, run_id: int | None, now: datetime, actor: Person | None,
    ) -> None:
        self.r = recheck
        self.policy = recheck.policy
        self.session = session
        self.link = link
        self.answer = answer
        self.trigger = trigger
        self.run_id = run_id
        self.now = now
        self.actor = actor
        self.check: Check | None = None

    async def apply(self) -> CheckReport:
        answer = self.answer
        if isinstance(answer, _Failure):
            await self._record(outcome="error", reason=answer.reason)
            return self._report("error", None, answer.reason)
        self.link.last_checked_at = self.now
        if isinstance(answer, Valid):
            return await self._valid(answer)
        if isinstance(answer, Rejected):
            if answer.unexpected:  # issue 12 finding 5
                return await self._unexpected(answer)
            return await self._rejected(answer)
        return await self._unreachable(answer)

    # -- outcomes -----------------------------------------------------------------------------

    async def _valid(self, result: Valid) -> CheckReport:
        link = self.link
        if link.state == LinkState.PENDING:
            other = await self.session.scalar(
                select(Link).where(
                    Link.username == link.username, Link.environment == result.environment, Link.id != link.id
                ).with_for_update()
            )
            if other is not None:
                return await self._rotate(into=other, result=result)
            link.environment = result.environment
            self._scope(link, result)
            self._clear(link)
            set_state(link, LinkState.ACTIVE, at=self.now)
            await self._record(outcome="valid", scope_digest=result.scope_digest, transition="activated",
                               latency_s=result.latency_s)
            card = LinkCard.of(link)
            await self._alert(AlertKind.ACTIVATED, card, {**self._sender(link), "via": self.trigger},
                              key=f"link:{link.id}:activated")
            await self._customer_result(card, link, result)
            log.info("recheck: pending link %s is active", link.short_id)
            return self._report("valid", "activated", None, result=result)

        was = link.state
        old_debtors, old_companies, old_digest = list(link.debtors or []), list(link.companies or []), link.scope_digest
        self._scope(link, result)
        self._clear(link)
        transition = None
        if was in (LinkState.BROKEN, LinkState.UNVERIFIED):
            since = link.state_changed_at
            set_state(link, LinkState.ACTIVE, at=self.now)
            transition = "restored"
        change = scope_change(old_debtors, link.debtors, old_companies, link.companies)
        scope_changed = old_digest is not None and old_digest != result.scope_digest and bool(change)
        if scope_changed and transition is None:
            transition = "scope_changed"
        await self._record(outcome="valid", scope_digest=result.scope_digest, transition=transition,
                           latency_s=result.latency_s)
        card = LinkCard.of(link)
        if transition == "restored":
            await self._alert(AlertKind.RESTORED, card,
                              {"previous_state": str(was), "since": _iso(since), "via": self.trigger, **self._by()},
                              key=f"link:{link.id}:restored:{self._check_id}")
            log.info("recheck: link %s restored (was %s)", link.short_id, was)
        if scope_changed:
            await self._alert(AlertKind.SCOPE_CHANGED, card, {**change.to_dict(), "via": self.trigger},
                              key=f"link:{link.id}:scope:{self._check_id}")
            log.info("recheck: scope of link %s changed", link.short_id)
        return self._report("valid", transition, None, result=result)

    async def _rotate(self, *, into: Link, result: Valid) -> CheckReport:
        """A pending link turned out to be a new token for an existing link: move it there."""
        pending = self.link
        token = open_token(pending, self.r.cipher)
        was = into.state
        old_debtors, old_companies = list(into.debtors or []), list(into.companies or [])
        seal_onto(into, token, self.r.cipher)
        token = ""
        into.platform, into.team_id, into.user_id = pending.platform, pending.team_id, pending.user_id
        self._scope(into, result)
        self._clear(into)
        into.last_checked_at = self.now
        since = into.state_changed_at
        set_state(into, LinkState.ACTIVE, at=self.now)
        self.link = into
        await self.session.delete(pending)
        await self._record(outcome="valid", scope_digest=result.scope_digest, transition="rotated",
                           latency_s=result.latency_s)
        card = LinkCard.of(into)
        who = {**self._sender(into), "via": self.trigger}
        await self._alert(AlertKind.ACTIVATED, card, who, key=f"link:{into.id}:activated")
        await self._alert(AlertKind.TOKEN_REPLACED, card, {**who, "previous_state": str(was)},
                          key=f"link:{into.id}:replaced:{self._check_id}")
        if was in (LinkState.BROKEN, LinkState.UNVERIFIED):
            await self._alert(AlertKind.RESTORED, card, {"previous_state": str(was), "since": _iso(since), **who},
                              key=f"link:{into.id}:restored:{self._check_id}")
        change = scope_change(old_debtors, into.debtors, old_companies, into.companies)
        if change and was not in (LinkState.PENDING, LinkState.REVOKED, LinkState.REJECTED):
            await self._alert(AlertKind.SCOPE_CHANGED, card, {**change.to_dict(), "via": self.trigger},
                              key=f"link:{into.id}:scope:{self._check_id}")
        await self._customer_result(card, into, result)
        audit(self.session, platform="system", actor="recheck", action="link.rotate", link_id=into.id,
              detail={"from_pending": f"L{pending.id}", "previous_state": str(was)})
        log.info("recheck: pending link %s was a new token for link %s", pending.short_id, into.short_id)
        return self._report("valid", "rotated", None, result=result)

    async def _rejected(self, result: Rejected) -> CheckReport:
        link = self.link
        reason = str(result.category)
        link.failed_checks = 0
        link.last_fault_code, link.last_reason = result.code, reason
        if link.state == LinkState.PENDING:
            link.token_ciphertext = None
            link.token_key_id = None
            link.confirm_due_at = None
            set_state(link, LinkState.REJECTED, at=self.now)
            await self._record(outcome="rejected", reason=reason, code=result.code, transition="rejected",
                               latency_s=result.latency_s)
            card = LinkCard.of(link)
            await self._customer_result(card, link, result)
            log.info("recheck: pending link %s rejected by Nmbrs (%s); token destroyed", link.short_id, reason)
            return self._report("rejected", "rejected", reason, code=result.code, result=result)
        if link.state == LinkState.BROKEN:
            await self._record(outcome="rejected", reason=reason, code=result.code, latency_s=result.latency_s)
            return self._report("rejected", None, reason, code=result.code, result=result)

        # Active or unverified: a definitive failure is believed only when one more attempt,
        # after the delay, says the same.
        first = link.confirm_due_at
        confirmed = first is not None and (self.trigger == "confirm" or self.now >= first)
        if not confirmed:
            if first is None:
                link.confirm_due_at = self.now + timedelta(seconds=self.policy.confirm_delay_s)
                log.info("recheck: link %s failed definitively (%s); confirming after %.0f s",
                         link.short_id, reason, self.policy.confirm_delay_s)
            await self._record(outcome="rejected", reason=reason, code=result.code, latency_s=result.latency_s)
            return self._report("rejected", "confirming", reason, code=result.code, result=result,
                                due=link.confirm_due_at)
        link.confirm_due_at = None
        was = link.state
        set_state(link, LinkState.BROKEN, at=self.now)
        await self._record(outcome="rejected", reason=reason, code=result.code, transition="broken",
                           latency_s=result.latency_s)
        card = LinkCard.of(link)
        told = self.policy.notify_customers and bool(link.user_id)
        support = explain(result, "en")
        await self._alert(AlertKind.BROKEN, card, {
            "reason": reason, "code": result.code, "message": result.message, "operation": result.operation,
            "headline": support.headline, "detail": support.detail, "action": support.action,
            "previous_state": str(was), "customer_notified": told, "via": self.trigger, **self._by(),
        }, key=f"link:{link.id}:broken:{self._check_id}")
        if told:
            lang = self.policy.language
            words = explain(result, lang)
            await self._alert(AlertKind.CUSTOMER_BROKEN, card, {
                **self._customer(link), "lang": lang, "reason": reason, "code": result.code,
                "message": result.message, "environment": link.environment, "token_last4": link.token_last4,
                "headline": words.headline, "detail": words.detail, "action": words.action,
            }, key=f"link:{link.id}:customer_broken:{self._check_id}", lang=lang)
        log.warning("recheck: link %s is broken (%s, code %s)", link.short_id, reason, result.code)
        return self._report("rejected", "broken", reason, code=result.code, result=result)

    async def _unexpected(self, result: Rejected) -> CheckReport:
        """A fault code outside 1001-1004: no verdict on the login. The link keeps its state (and
        its token keeps being served); support hears of each such code once per link."""
        link = self.link
        reason = "unexpected"
        link.last_fault_code, link.last_reason = result.code, reason
        await self._record(outcome="unexpected", reason=reason, code=result.code, latency_s=result.latency_s)
        words = explain(result, "en")
        fresh = await queue(self.session, Alert(AlertKind.UNVERIFIED, LinkCard.of(link), {
            "cause": "nmbrs_error", "code": result.code, "nmbrs_said": result.message,
            "operation": result.operation, "headline": words.headline, "explanation": words.detail,
            "via": self.trigger,
        }), key=f"link:{link.id}:unexpected:{result.code}")
        log.warning("recheck: link %s got unexpected Nmbrs fault %s; state kept (%s)%s",
                    link.short_id, result.code, link.state, "" if fresh else ", support already told")
        return self._report("unexpected", None, reason, code=result.code, result=result)

    async def _unreachable(self, result: Unreachable) -> CheckReport:
        link = self.link
        cause = str(result.cause)
        link.last_fault_code, link.last_reason = result.code, cause
        if self.trigger == "confirm" and link.confirm_due_at is not None:
            # No verdict on the confirming attempt: ask again after another delay.
            link.confirm_due_at = self.now + timedelta(seconds=self.policy.confirm_delay_s)
        transition = None
        if (self.trigger == "recheck" and self.r._nights
                and link.state in (LinkState.ACTIVE, LinkState.UNVERIFIED, LinkState.PENDING)):
            link.failed_checks = (link.failed_checks or 0) + 1  # one per run: nights in a row
            if link.state == LinkState.ACTIVE and link.failed_checks >= self.policy.unverified_after:
                set_state(link, LinkState.UNVERIFIED, at=self.now)
                transition = "unverified"
        await self._record(outcome="unreachable", reason=cause, code=result.code, transition=transition,
                           latency_s=result.latency_s)
        if transition is not None:
            words = explain(result, "en")
            await self._alert(AlertKind.UNVERIFIED, LinkCard.of(link), {
                "nights": link.failed_checks, "cause": cause, "code": result.code, "detail": result.detail,
                "headline": words.headline, "explanation": words.detail,
            }, key=f"link:{link.id}:unverified:{self._check_id}")
            log.warning("recheck: link %s could not be checked for %d nights", link.short_id, link.failed_checks)
        return self._report("unreachable", transition, cause, code=result.code, result=result)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _scope(link: Link, result: Valid) -> None:
        link.debtors = [d.to_dict() for d in result.debtors]
        link.companies = [c.to_dict() for c in result.companies]
        link.scope_digest = result.scope_digest

    @staticmethod
    def _clear(link: Link) -> None:
        link.failed_checks = 0
        link.confirm_due_at = None
        link.last_fault_code = None
        link.last_reason = None

    async def _record(
        self, *, outcome: str, reason: str | None = None, code: int | None = None, scope_digest: str | None = None,
        transition: str | None = None, latency_s: float = 0.0,
    ) -> None:
        self.check = Check(
            link_id=self.link.id, checked_at=self.now, trigger=self.trigger[:16], outcome=outcome,
            reason=reason[:32] if reason else None, fault_code=code, latency_ms=round(latency_s * 1000),
            scope_digest=scope_digest, run_id=self.run_id, transition=transition,
        )
        self.session.add(self.check)
        await self.session.flush()

    @property
    def _check_id(self) -> int:
        assert self.check is not None
        return self.check.id

    async def _alert(self, kind: AlertKind, card: LinkCard, details: dict[str, Any], *, key: str,
                     lang: str | None = None) -> None:
        await queue(self.session, Alert(kind, card, details, lang=lang), key=key)

    def _by(self) -> dict[str, Any]:
        if self.actor is None:
            return {}
        return {"by": self.actor.user_id, "by_platform": self.actor.platform, "by_team": self.actor.team_id}

    @staticmethod
    def _sender(link: Link) -> dict[str, Any]:
        return {"by": link.user_id, "by_platform": link.platform, "by_team": link.team_id}

    @staticmethod
    def _customer(link: Link) -> dict[str, Any]:
        return {"platform": link.platform, "team_id": link.team_id, "user_id": link.user_id}

    async def _customer_result(self, card: LinkCard, link: Link, result: Valid | Rejected) -> None:
        """Tell the customer whose check hit an outage how it ended."""
        if not link.user_id:
            return
        lang = self.policy.language
        words = explain(result, lang)
        details = {
            **self._customer(link), "lang": lang, "outcome": result.outcome,
            "headline": words.headline, "detail": words.detail, "action": words.action,
            "environment": link.environment, "token_last4": link.token_last4,
        }
        if isinstance(result, Rejected):
            details.update(reason=str(result.category), code=result.code, message=result.message)
        await self._alert(AlertKind.CUSTOMER_RESULT, card, details,
                          key=f"link:{link.id}:customer_result:{self._check_id}", lang=lang)

    def _report(
        self, outcome: str, transition: str | None, reason: str | None, *, code: int | None = None,
        result: Validation | None = None, due: datetime | None = None,
    ) -> CheckReport:
        return CheckReport(LinkCard.of(self.link), outcome, transition, reason, fault_code=code,
                           confirm_due_at=due, result=result)


class _Exclusive:
    """`async with`: this process's lock and the database lease, or RecheckBusy."""

    def __init__(self, recheck: Recheck) -> None:
        self.recheck = recheck
        self._lease_cm: Any = None

    async def __aenter__(self) -> None:
        lock = self.recheck._busy
        if lock.locked():
            raise RecheckBusy(self.recheck.holder)
        await lock.acquire()
        try:
            self._lease_cm = self.recheck.lease.held()
            await self._lease_cm.__aenter__()
        except LeaseHeld as exc:
            lock.release()
            raise RecheckBusy(exc.holder, exc.expires_at) from None
        except BaseException:
            lock.release()
            raise

    async def __aexit__(self, *exc: Any) -> bool | None:
        try:
            return await self._lease_cm.__aexit__(*exc)
        finally:
            self.recheck._busy.release()


class _Progress:
    """Counts done links and tells the caller, at most once a second."""

    def __init__(self, callback: Callable[[RunProgress], Awaitable[None]] | None, done: int, total: int) -> None:
        self.callback = callback
        self.done = done
        self.total = total
        self._last = 0.0

    async def advance(self, n: int) -> None:
        self.done += n
        await self.report()

    async def report(self, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        try:
            await self.callback(RunProgress(done=min(self.done, self.total), total=self.total))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed progress message must not stop the run
            log.warning("recheck: progress callback failed", exc_info=True)


def _digest_details(summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.run_id, "trigger": summary.trigger,
        "started_at": _iso(summary.started_at), "finished_at": _iso(summary.finished_at),
        "checked": summary.checked, "counts": summary.counts, "outcomes": summary.outcomes,
        "changes": summary.changes[:DIGEST_ITEMS], "changes_total": len(summary.changes),
        "broken": summary.broken[:DIGEST_ITEMS], "broken_total": len(summary.broken),
        "failures": summary.failures[:DIGEST_ITEMS], "failed": summary.failed,
    }


__all__ = [
    "CheckReport", "LinkNotFound", "Recheck", "RecheckBusy", "RecheckPolicy", "RunProgress", "RunSummary",
    "SweepReport",
]
