"""The nightly re-check's use cases: whole runs under a database lease, the scheduler's sweep and
single checks; every link that holds a token is checked and moved through the state machine.

A run is a row in `recheck_runs`; each link checked in it gets a `checks` row with the run's id, so
a run that dies half-way is finished by the next lease holder without checking anyone twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox, queue
from handlers.migration import reminders as migration_reminders
from handlers.model import Alert, AlertKind, LinkCard, Person
from handlers.ports import Nmbrs
from handlers.recheck import switchoff
from handlers.recheck.pipeline import Pipeline
from handlers.recheck.rest import RestCheck
from handlers.revocations import Revocations
from handlers.recheck.values import (
    MANUAL_TRIGGERS,
    CheckReport,
    LinkNotFound,
    MigrationSummary,
    RecheckBusy,
    RecheckPolicy,
    RunProgress,
    RunSummary,
    SweepReport,
    iso,
)
from handlers.trace import correlation_id
from storage import checks, runs, soap_signs
from storage import links as link_store
from storage.cipher import TokenCipher
from storage.lease import DatabaseLease, LeaseHeld
from storage.links import count_by_state
from storage.models import CHECKED_STATES, Link, LinkState, RecheckRun, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "recheck"
#: An unfinished run older than this is given up instead of resumed: its night has passed.
STALE_RUN = timedelta(hours=20)
#: How many broken links, changes and failures a digest names; the rest are counted.
DIGEST_ITEMS = 50
#: Progress is reported at most this often (seconds).
PROGRESS_EVERY_S = 1.0


class Recheck:
    """Checks links against Nmbrs: whole runs under a database lease, or one link on demand."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        gateway: Nmbrs,
        outbox: Outbox,
        policy: RecheckPolicy,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        concurrency: int = 8,
        lease_ttl_s: float = 60.0,
        retry_pending_after_s: float = 600.0,
        rest: RestCheck | None = None,
        migration_summary: MigrationSummary | None = None,
        revocations: Revocations | None = None,
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
        # The migration tracker's numbers for the "SOAP looks switched off" alert (None: not wired).
        self.migration_summary = migration_summary
        self.lease = DatabaseLease(sessions, name=LEASE_NAME, holder=holder, ttl_s=lease_ttl_s, clock=clock)
        self.pipeline = Pipeline(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox, policy=policy,
                                 clock=clock, concurrency=concurrency, rest=rest)
        if revocations is None and rest is not None:
            revocations = Revocations(sessions=sessions, cipher=cipher, gateway=rest.tokens.gateway, outbox=outbox,
                                      clock=clock)
        #: The retry worker of the revocation queue, run by the sweep (under the lease, so once).
        self.revocations = revocations
        # One run or sweep at a time in this process; the lease does the same across processes.
        self._busy = asyncio.Lock()

    # -- public use cases ------------------------------------------------------------------------

    async def run(
        self, *, trigger: str = "schedule", progress: Callable[[RunProgress], Awaitable[None]] | None = None
    ) -> RunSummary:
        """Check every link now (or finish the run that is unfinished) and return its summary.

        Raises RecheckBusy when a run is going on already, in this process or another."""
        async with self._exclusive():
            run_id, resumed = await self._open_run(trigger=trigger, create=True)
            assert run_id is not None
            return await self._perform(run_id, resumed=resumed, progress=progress)

    async def request_slot(self, slot: str, *, trigger: str = "schedule") -> bool:
        """Ask for the run of a scheduled slot; every replica may ask, one run is recorded.

        True when this call created it. The run is done by whoever holds the lease next (sweep)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            created = await runs.request(session, slot=slot, trigger=trigger, now=now)
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
                    return SweepReport(run=await self._perform(run_id, resumed=resumed, progress=None))
                now = self.clock()
                async with self.sessions() as session:
                    due = await link_store.confirmations_due(session, now=now)
                    retry = await link_store.pending_to_retry(session, checked_before=now - self.retry_pending_after)
                if due:
                    await self.pipeline.check_ids(list(due), trigger="confirm", run_id=None)
                confirmed = set(due)
                pending = [link_id for link_id in retry if link_id not in confirmed]
                if pending:
                    await self.pipeline.check_ids(pending, trigger="retry", run_id=None)
                if self.revocations is not None:
                    await self.revocations.run_due()
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
        answer = await self.pipeline.ask(link)
        [report] = await self.pipeline.write([(link, answer)], trigger=trigger, run_id=None, actor=actor)
        self.outbox.kick()
        if report is None:
            return CheckReport(LinkCard.of(link), "stale", None, "changed while it was being checked")
        return report

    async def last_run(self) -> RecheckRun | None:
        """The last finished run (for `/nmbrs list` and the App Home)."""
        async with self.sessions() as session:
            return await runs.last_finished(session)

    async def unfinished_run(self) -> RecheckRun | None:
        async with self.sessions() as session:
            return await runs.first_unfinished(session)

    # -- runs --------------------------------------------------------------------------------------

    def _exclusive(self) -> "_Exclusive":
        return _Exclusive(self)

    async def _open_run(self, *, trigger: str, create: bool) -> tuple[int | None, bool]:
        """The run to work on: the oldest unfinished one (resumed), else a new one if `create`."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            unfinished = await runs.unfinished(session)
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

    async def _perform(
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
            # Whether this run counts as a night for the unverified rule: a support person's
            # `check all` does not, the schedule and `tokendesk recheck` (the nightly check, now) do.
            nights = await runs.trigger_of(session, run_id=run_id) not in MANUAL_TRIGGERS
            already = await checks.links_checked_in_run(session, run_id=run_id)
            ids = await runs.links_left(session, run_id=run_id)
        total = already + len(ids)
        log.info("recheck: run %s checking %d links (%d done before)", run_id, len(ids), already)
        reporter = _Progress(progress, already, total)
        await reporter.report(force=True)
        await self.pipeline.check_ids(ids, trigger="recheck", run_id=run_id, on_done=reporter.advance,
                                      nights=nights)
        await reporter.report(force=True)
        await self._confirmations(run_id)
        return await self._finish(run_id, resumed=resumed)

    async def _confirmations(self, run_id: int) -> None:
        """Give every definitive failure on a working link its one more attempt, after the delay."""
        attempted: set[int] = set()
        while True:
            async with self.sessions() as session:
                rows = await link_store.confirmations_waiting(session)
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
            await self.pipeline.check_ids(due, trigger="confirm", run_id=run_id)

    async def _finish(self, run_id: int, *, resumed: bool) -> RunSummary:
        now = self.clock()
        async with self.sessions() as session:
            verdict = await switchoff.verdict_of(session, run_id=run_id, policy=self.policy)
        numbers = None
        if verdict.news is not None:  # asked outside the transaction: it reads on its own
            numbers = await switchoff.migration_numbers(self.migration_summary)
        async with self.sessions() as session, session.begin():
            run = await session.get(RecheckRun, run_id, with_for_update=True)
            assert run is not None
            # The switch-off signs wait for this verdict; settled in the run's last transaction, so a crash
            # before it leaves them waiting for the resumed run, never settled twice.
            await switchoff.settle(session, run, verdict, cipher=self.cipher, policy=self.policy, now=now,
                                   nights=run.trigger not in MANUAL_TRIGGERS)
            summary = replace(await self._summary(session, run, now, resumed=resumed), soap=verdict.to_counts())
            run.status, run.finished_at = "finished", now
            run.counts = {
                "states": summary.counts, "outcomes": summary.outcomes, "checked": summary.checked,
                "failed": summary.failed, "changes": len(summary.changes), "confirmations": summary.confirmations,
                soap_signs.COUNTS_KEY: verdict.to_counts(),
            }
            await switchoff.announce(session, run, verdict, migration=numbers)
            # The migration's reminder (when one is due) rides in this transaction; its progress in the digest.
            migration = await migration_reminders.nightly(session, soap_until=self.policy.soap_until, today=now.date())
            if self._wants_digest(summary):
                details = _digest_details(summary)
                if migration is not None:
                    details["migration"] = migration
                await queue(session, Alert(AlertKind.DIGEST, None, details), key=f"digest:run:{run_id}")
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
        previous = await runs.finished_before(session, run_id=run.id)
        changes = [
            {"link_id": row.id, "link": f"L{row.id}", "username": row.username, "environment": row.environment,
             "transition": row.transition, "state": row.state, "reason": row.reason, "trigger": row.trigger,
             "at": iso(row.checked_at), **_kind(row.kind)}
            for row in await checks.transitions(session, run_id=run.id, single_since=previous)
        ]
        failures = [
            {"link_id": row.link_id, "link": f"L{row.link_id}", "username": row.username,
             "environment": row.environment, "reason": row.reason, **_kind(row.kind)}
            for row in await checks.errors_in_run(session, run_id=run.id)
        ]
        broken = [
            {"link_id": row.id, "link": f"L{row.id}", "username": row.username, "environment": row.environment,
             "reason": row.last_reason, "code": row.last_fault_code, "since": iso(row.state_changed_at),
             "token_last4": row.token_last4, **_kind(row.kind)}
            for row in await link_store.broken(session)
        ]
        return RunSummary(
            run_id=run.id, started_at=run.started_at, finished_at=now,
            checked=await checks.links_checked_in_run(session, run_id=run.id),
            counts=await count_by_state(session), changes=changes, failed=len(failures),
            outcomes=await checks.outcomes_in_run(session, run_id=run.id),
            confirmations=await checks.confirmations_in_run(session, run_id=run.id),
            broken=broken, failures=failures, trigger=run.trigger, resumed=resumed,
        )


def _kind(kind: str | None) -> dict[str, str]:
    # Only REST items say so: SOAP digests keep their exact shape (and stored digests their bytes).
    return {"kind": "rest"} if kind == "rest" else {}


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
        "started_at": iso(summary.started_at), "finished_at": iso(summary.finished_at),
        "checked": summary.checked, "counts": summary.counts, "outcomes": summary.outcomes,
        "changes": summary.changes[:DIGEST_ITEMS], "changes_total": len(summary.changes),
        "broken": summary.broken[:DIGEST_ITEMS], "broken_total": len(summary.broken),
        "failures": summary.failures[:DIGEST_ITEMS], "failed": summary.failed,
    }


__all__ = [
    "CheckReport", "LinkNotFound", "Recheck", "RecheckBusy", "RecheckPolicy", "RunProgress", "RunSummary",
    "SweepReport",
]
