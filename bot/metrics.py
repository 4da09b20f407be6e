"""Prometheus metrics: one registry per process, held by a Metrics object that is passed around.

Counters and the Nmbrs histogram count what this process did (sum them over replicas). Metrics
that mirror the database (links, checks, the last nightly run) are read at scrape time by
refreshers, so every replica shows the same truth of the shared database (take max, not sum).
Label values are fixed sets (states, kinds, operations, outcomes): never a username or a token.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.model import AlertKind
from handlers.recheck import MANUAL_TRIGGERS
from storage.links import count_by_state
from storage import checks, runs
from storage.models import utcnow

log = logging.getLogger(__name__)

Refresher = Callable[[], Awaitable[None]]

#: Nmbrs answers in 0.1–2 s; the read timeout is 20 s by default.
NMBRS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)


class CheckTally:
    """Checks recorded in the database by trigger and outcome, without recounting the whole table
    at every scrape: checks older than `settle` are counted once (the checked_at index), only the
    recent ones again. A check committed more than `settle` after its checked_at would be missed;
    no transaction that writes checks lasts that long."""

    def __init__(self, *, settle: timedelta = timedelta(minutes=10), clock: Callable[[], datetime] = utcnow) -> None:
        self.settle = settle
        self.clock = clock
        self._settled: Tally[tuple[str, str]] = Tally()
        self._settled_until: datetime | None = None
        self.current: dict[tuple[str, str], int] = {}

    async def refresh(self, session: AsyncSession) -> None:
        horizon = self.clock() - self.settle
        settled_rows = await checks.count_by_trigger_and_outcome(session, since=self._settled_until, before=horizon)
        recent_rows = await checks.count_by_trigger_and_outcome(session, since=horizon)
        # Both read before anything changes: a failed scrape leaves the tally as it was.
        for trigger, outcome, n in settled_rows:
            self._settled[(trigger, outcome)] += n
        self._settled_until = horizon
        current = Tally(self._settled)
        for trigger, outcome, n in recent_rows:
            current[(trigger, outcome)] += n
        self.current = dict(current)


class _ChecksCollector(Collector):
    """Exposes the tally as the counter tokendesk_checks_total{trigger,outcome}."""

    def __init__(self, tally: CheckTally) -> None:
        self.tally = tally

    def describe(self) -> list[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for (trigger, outcome), n in sorted(self.tally.current.items()):
            family.add_metric([trigger, outcome], n)
        yield family

    @staticmethod
    def _family() -> CounterMetricFamily:
        return CounterMetricFamily(
            "tokendesk_checks", "Checks of credentials against Nmbrs recorded in the database, by trigger "
            "(intake, recheck, confirm, retry, manual) and outcome (valid, rejected, unreachable).",
            labels=["trigger", "outcome"],
        )


class Metrics:
    """The collectors of tokendesk. Others add theirs on `registry` and, if they mirror the
    database, a refresher with `on_scrape`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.slack_requests = Counter(
            "tokendesk_slack_requests", "Requests received on /slack/events, by kind (event, command, action, "
            "view_submission, view_closed, shortcut, url_verification, ssl_check, other; unknown when refused "
            "before parsing) and HTTP status.",
            ["kind", "status"], registry=self.registry,
        )
        self.links = Gauge(
            "tokendesk_links", "Links by state (read from the database at scrape time).",
            ["state"], registry=self.registry,
        )
        self.credentials_reads = Counter(
            "tokendesk_credentials_reads", "Credentials requests on /api/v1, by result "
            "(served, refused, not_found, failed).", ["result"], registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "tokendesk_webhook_deliveries", "Webhook delivery attempts, by result (delivered, error, gave_up).",
            ["result"], registry=self.registry,
        )
        self.nmbrs_calls = Histogram(
            "tokendesk_nmbrs_call_seconds", "Nmbrs SOAP calls (each HTTP attempt) by operation and outcome "
            "(ok, or the rejection category or unreachable cause).",
            ["operation", "outcome"], buckets=NMBRS_BUCKETS, registry=self.registry,
        )
        self.alerts_sent = Counter(
            "tokendesk_alerts_sent", "Alerts delivered from the outbox (support channel and customer DMs), by kind.",
            ["kind"], registry=self.registry,
        )
        for kind in AlertKind:
            self.alerts_sent.labels(kind=str(kind))
        self.recheck_last_finished = Gauge(
            "tokendesk_recheck_last_finished_timestamp_seconds", "When the last nightly re-check run (scheduled "
            "or `tokendesk recheck`, not a support person's check all) finished, in Unix time; 0 before the first.",
            registry=self.registry,
        )
        self.checks = CheckTally()
        self.registry.register(_ChecksCollector(self.checks))
        self._refreshers: list[Refresher] = []

    # -- hooks for the parts that do the work ----------------------------------------------------

    def nmbrs_call(self, operation: str, outcome: str, latency_s: float) -> None:
        """The gateway's `on_call` hook: one observation per HTTP attempt."""
        self.nmbrs_calls.labels(operation=operation, outcome=outcome).observe(latency_s)

    def alert_sent(self, kind: str) -> None:
        """The outbox's `on_sent` hook."""
        self.alerts_sent.labels(kind=kind).inc()

    # -- the database, read at scrape time -------------------------------------------------------

    def on_scrape(self, refresher: Refresher) -> None:
        self._refreshers.append(refresher)

    def watch_database(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Refresh links by state, the checks tally and the last nightly run at every scrape."""
        self.watch_links(sessions)

        async def refresh() -> None:
            async with sessions() as session:
                await self.checks.refresh(session)
                finished = await runs.last_finished_at(session, excluding_triggers=MANUAL_TRIGGERS)
            self.recheck_last_finished.set(finished.timestamp() if finished is not None else 0)

        self.on_scrape(refresh)

    def watch_links(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Refresh tokendesk_links from the database at every scrape."""

        async def refresh() -> None:
            async with sessions() as session:
                counts = await count_by_state(session)
            for state, count in counts.items():
                self.links.labels(state=state).set(count)

        self.on_scrape(refresh)

    async def render(self) -> bytes:
        """The text exposition; a refresher that fails leaves its gauges at their last value."""
        for refresh in self._refreshers:
            try:
                await refresh()
            except Exception:  # noqa: BLE001 - a scrape must still answer when the database is down
                log.warning("metrics refresh failed", exc_info=True)
        return generate_latest(self.registry)
