"""Prometheus metrics: one registry per process, held by a Metrics object that is passed around.

Gauges that mirror the database are refreshed at scrape time by `refreshers` (async callables),
so a scrape always shows the truth of the shared database, whichever replica answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.links import count_by_state

log = logging.getLogger(__name__)

Refresher = Callable[[], Awaitable[None]]


class Metrics:
    """The collectors of tokendesk. Others add theirs on `registry` and, if they mirror the
    database, a refresher with `on_scrape`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.slack_requests = Counter(
            "tokendesk_slack_requests", "Requests received on /slack/events, by kind and HTTP status.",
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
        self._refreshers: list[Refresher] = []

    def on_scrape(self, refresher: Refresher) -> None:
        self._refreshers.append(refresher)

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
