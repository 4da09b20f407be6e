"""APScheduler wiring for the nightly re-check: the cron slot, a frequent sweep, hourly housekeeping, health.

Every replica runs this scheduler. The cron job only *asks* for the night's run (one row per
slot, whoever asks first); the sweep, every minute, does whatever is due while holding the
database lease: that run, a run a dead replica left unfinished, due confirmations, pending links.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.desk import Desk, rest_tokens, revocations_for
from bot.config import Settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox
from storage.pending_conversations import forget_expired as prune_conversations
from handlers.recheck import Recheck, RecheckPolicy
from handlers.migration import days_left
from handlers.recheck.rest import RestCheck
from handlers.recheck.values import MigrationNumbers, MigrationSummary
from storage import migration as migration_store
from handlers.trace import correlation_id, new_correlation_id
from storage.deliveries import prune as prune_deliveries
from storage.lease import DatabaseLease, LeaseHeld, holder_id
from storage.models import utcnow

log = logging.getLogger(__name__)

#: How often the sweep looks for work (unfinished runs, due confirmations, pending links).
TICK_S = 60.0
#: A nightly job may still start this late (e.g. the process was busy or restarting).
MISFIRE_GRACE_S = 3600
#: Sweeps failing in a row before /healthz reports the scheduler as failing.
FAILING_AFTER = 3
#: How often delivery ids and expired conversations are pruned (issue 12 finding 9).
HOUSEKEEPING_S = 3600.0
HOUSEKEEPING_LEASE = "housekeeping"


class Housekeeping:
    """Prunes the tables that only grow: delivery ids and expired half-finished conversations.

    One replica at a time (its own lease, so it never waits for a night's re-check)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, holder: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lease = DatabaseLease(sessions, name=HOUSEKEEPING_LEASE, holder=holder, ttl_s=300.0, clock=clock)

    async def run(self) -> dict[str, int] | None:
        """The rows deleted per table, or None when another replica holds the lease."""
        try:
            async with self.lease.held():
                async with self.sessions() as session, session.begin():
                    pruned = {"inbound_deliveries": await prune_deliveries(session),
                              "pending_conversations": await prune_conversations(session, now=self.clock())}
        except LeaseHeld:
            return None
        log.info("housekeeping: pruned %d delivery ids and %d expired conversations",
                 pruned["inbound_deliveries"], pruned["pending_conversations"])
        return pruned


def build_recheck(desk: Desk, outbox: Outbox, *, holder: str | None = None, **options: Any) -> Recheck:
    """The one Recheck of a process, from the desk's settings, database, cipher and gateway."""
    tokens = rest_tokens(desk, **options)
    rest = RestCheck(tokens) if tokens is not None else None
    options.setdefault("migration_summary", migration_summary(desk))
    return Recheck(
        sessions=desk.sessions, cipher=desk.cipher, gateway=desk.gateway, outbox=outbox, rest=rest,
        revocations=revocations_for(desk, outbox, **options),
        policy=RecheckPolicy.from_settings(desk.settings), holder=holder or holder_id(),
        concurrency=desk.settings.recheck_concurrency, **options,
    )


def migration_summary(desk: Desk) -> MigrationSummary:
    """The migration tracker's numbers for the "SOAP looks switched off" alert, read when it is sent."""

    async def summary() -> MigrationNumbers:
        async with desk.sessions() as session:
            totals = migration_store.totals(await migration_store.link_moves(session))
        return MigrationNumbers(soap_links=totals.soap_links, debtors_to_move=totals.to_move,
                                debtors_covered=totals.covered + totals.not_needed,
                                days_left=days_left(desk.settings.nmbrs_soap_until, utcnow().date()))

    return summary


def previous_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest time at or before `now` the cron fires (None if it never fired in a year)."""
    for lookback in (timedelta(hours=2), timedelta(days=2), timedelta(days=32), timedelta(days=367)):
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is None or fire > now:
            continue
        while True:
            following = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))
            if following is None or following > now:
                return fire
            fire = following
    return None


def slot_key(fire_time: datetime) -> str:
    return "schedule:" + fire_time.astimezone(timezone.utc).isoformat()


class RecheckScheduler:
    """Owns the APScheduler instance; `start()` and `shutdown()` from serve's lifespan."""

    def __init__(
        self,
        *,
        recheck: Recheck,
        settings: Settings,
        tick_s: float = TICK_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.recheck = recheck
        self.settings = settings
        self.tick_s = tick_s
        self.clock = clock
        self.trigger = CronTrigger.from_crontab(settings.recheck_cron, timezone=settings.timezone)
        self._scheduler: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._failures = 0
        self._last_error: str | None = None
        self._stopping = False
        self.housekeeping = Housekeeping(recheck.sessions, holder=recheck.lease.holder, clock=clock)

    async def start(self) -> None:
        if self._scheduler is not None:
            return
        # APScheduler logs two INFO lines per job run: with a sweep every minute that drowns the log.
        quiet = logging.getLogger("apscheduler")
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(timezone=self.settings.timezone)
        common = {"coalesce": True, "max_instances": 1}
        scheduler.add_job(self._nightly, self.trigger, id="recheck-nightly", name="nightly re-check",
                          misfire_grace_time=MISFIRE_GRACE_S, **common)
        scheduler.add_job(self._sweep, IntervalTrigger(seconds=self.tick_s, timezone=self.settings.timezone),
                          id="recheck-sweep", name="re-check sweep", misfire_grace_time=int(self.tick_s), **common)
        scheduler.add_job(self._housekeep, IntervalTrigger(seconds=HOUSEKEEPING_S, timezone=self.settings.timezone),
                          id="housekeeping", name="housekeeping", misfire_grace_time=int(HOUSEKEEPING_S),
                          next_run_time=datetime.now(timezone.utc) + timedelta(seconds=self.tick_s), **common)
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler: nightly re-check at '%s' (%s), next %s", self.settings.recheck_cron,
                 self.settings.timezone, self.next_run())
        if self.settings.recheck_on_start:
            self._spawn(self._catch_up())

    async def shutdown(self) -> None:
        """Stop the jobs; a run in progress stops where it is and its lease is released, so
        another replica (or the next start) finishes it without checking anyone twice."""
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._scheduler = None

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """For build_web_app's `lifespans`: started with the app, stopped before it."""
        await self.start()
        try:
            yield
        finally:
            await self.shutdown()

    def next_run(self) -> datetime | None:
        job = self._scheduler.get_job("recheck-nightly") if self._scheduler else None
        return job.next_run_time if job else None

    def healthy(self) -> tuple[bool, str]:
        """For /healthz: is the scheduler running and is its work getting done?"""
        if self._scheduler is None or not self._scheduler.running:
            return False, "scheduler not running"
        if self._failures >= FAILING_AFTER:
            return False, f"re-check sweep failed {self._failures} times in a row ({self._last_error})"
        if self.recheck.lease.renew_failures >= 2:
            return False, "cannot renew the re-check lease in the database"
        upcoming = self.next_run()
        return True, f"next check {upcoming.isoformat(timespec='minutes') if upcoming else 'not planned'}"

    # -- jobs ----------------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        # The job's own correlation id, set in a copy of this context so it stays with the task
        # (a run then logs under `run-N` while it checks links).
        context = contextvars.copy_context()
        context.run(correlation_id.set, f"job-{new_correlation_id()}")
        task = asyncio.get_running_loop().create_task(coroutine, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _nightly(self) -> None:
        fire = previous_fire_time(self.trigger, self.clock())
        if fire is not None:
            await self._guarded(self._request(fire))
        await self._sweep()

    async def _catch_up(self) -> None:
        fire = previous_fire_time(self.trigger, self.clock())
        if fire is None:
            return
        if await self._guarded(self._request(fire)):
            log.info("scheduler: the check of %s never ran; running it now", fire.isoformat())
        await self._sweep()

    async def _request(self, fire: datetime) -> bool:
        return await self.recheck.request_slot(slot_key(fire))

    async def _sweep(self) -> None:
        if self._stopping:
            return
        await self._guarded(self.recheck.sweep())

    async def _housekeep(self) -> None:
        if self._stopping:
            return
        await self._guarded(self.housekeeping.run())

    async def _guarded(self, work: Any) -> Any:
        """Run a job's work as a task shutdown can cancel; failures are counted for /healthz."""
        task = self._spawn(work)
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - a job's failure is logged, counted and retried next tick
            self._failures += 1
            self._last_error = type(exc).__name__
            log.error("scheduler: re-check job failed (%s), %d in a row", type(exc).__name__, self._failures,
                      exc_info=exc)
            return None
        self._failures = 0
        self._last_error = None
        return result
