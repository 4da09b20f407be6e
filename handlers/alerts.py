"""What support and customers are told about links, as neutral alerts, and the outbox that sends them.

An alert is queued in the same transaction as the change it announces, under a key naming that
change; delivery happens afterwards. So a crash never loses an alert and a re-run never repeats one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import undelivered
from handlers.events import DESK_EVENT_TYPES, EVENT_TYPES, record_desk_event, record_link_event
from handlers.model import CUSTOMER_KINDS, Alert, AlertKind
from handlers.ports import Notifier, Undeliverable
from storage import alerts as alert_store
from storage.models import AlertRecord, utcnow

log = logging.getLogger(__name__)

#: How long a replica may take to send one alert before another may try it (it died meanwhile).
CLAIM_FOR = timedelta(minutes=2)
#: In a queued alert's payload: the platforms that have it already (the next attempt skips them).
DELIVERED_TO = "delivered_to"
#: Support alerts whose delivery makes one-time URLs: told in one support channel only.
ONE_SUPPORT_CHANNEL = frozenset({AlertKind.MIGRATION_UNDELIVERED})


async def queue(session: AsyncSession, alert: Alert, *, key: str) -> bool:
    """Put an alert in the outbox unless one with the same key exists; True when it is new."""
    new = await alert_store.add(session, key=key, kind=str(alert.kind), link_id=alert.link.id if alert.link else None,
                                payload=alert.to_dict())
    if new and str(alert.kind) in EVENT_TYPES:
        # The integration's webhook event rides in the same transaction, under the same key.
        await record_link_event(session, alert, key)
    elif new and str(alert.kind) in DESK_EVENT_TYPES:
        await record_desk_event(session, alert, key)
    return new


async def deliver_pending(
    sessions: async_sessionmaker[AsyncSession],
    notifiers: Sequence[Notifier],
    *,
    max_attempts: int = 8,
    limit: int = 500,
    on_sent: Callable[[str], None] | None = None,
) -> int:
    """Send queued alerts in order; returns how many were sent.

    Alerts of one link go out in order: after a failure, that link's later alerts wait for the
    next pass. Each alert goes to the notifier of the link's platform (all notifiers for
    support-channel alerts without a link). Every replica runs an outbox: an alert is claimed
    in the database before it is sent, so only one of them sends it, and a link whose alert
    another replica is sending waits (its thread's order, and its one parent message).
    A customer alert its platform refused for good (Undeliverable) is settled, and support is told
    instead where its kind has such a message (handlers.undelivered), in this same pass.
    `on_sent(kind)` is told of each alert sent (the metrics count them)."""
    if not notifiers:
        return 0
    sent = 0
    blocked_links: set[int] = set()
    after = 0
    while True:
        async with sessions() as session:
            pending = await alert_store.unsent(session, max_attempts=max_attempts, limit=limit, after_id=after)
        redirected = False
        for record in pending:
            if record.link_id is not None and record.link_id in blocked_links:
                continue
            if not await _claim(sessions, record.id):
                if record.link_id is not None:
                    blocked_links.add(record.link_id)
                continue
            done, told_instead = await _deliver(sessions, record, notifiers)
            redirected = redirected or told_instead
            if done:
                sent += 1
                if on_sent is not None:  # counted once committed
                    on_sent(str(record.kind))
            elif not told_instead and record.link_id is not None:
                blocked_links.add(record.link_id)
        if not redirected or not pending:
            return sent
        after = pending[-1].id  # support's messages queued in place of refused ones go out now too


async def _deliver(
    sessions: async_sessionmaker[AsyncSession], record: AlertRecord, notifiers: Sequence[Notifier],
) -> tuple[bool, bool]:
    """Send one claimed alert and settle it: (sent, support told instead)."""
    alert = Alert.from_dict(record.payload)
    error: str | None = None
    refused: Undeliverable | None = None
    # With several platforms, one that fails must not make the others post the alert again.
    delivered = set(record.payload.get(DELIVERED_TO) or ())
    for notifier in _targets(alert, notifiers):
        if notifier.platform in delivered:
            continue
        try:
            await notifier.deliver(alert)
            delivered.add(notifier.platform)
        except Exception as exc:  # noqa: BLE001 - any delivery failure keeps the alert queued
            refused = exc if isinstance(exc, Undeliverable) else None
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("alert %s (%s) not delivered on %s: %s", record.id, record.kind, notifier.platform, error)
    told = undelivered.instead(alert, refused) if refused is not None and error is not None else None
    async with sessions() as session, session.begin():
        row = await session.get(AlertRecord, record.id)
        if row is None:
            return False, False
        row.attempts += 1
        row.claimed_until = None
        if error is None:
            row.sent_at = utcnow()
            row.last_error = None
        elif told is not None and refused is not None:
            # Settled: retrying cannot reach the customer; support gets it instead, once per key.
            row.sent_at = utcnow()
            row.last_error = error
            if await queue(session, told, key=undelivered.key_of(alert)):
                undelivered.record(session, alert, refused)
            log.info("alert %s (%s) refused for good (%s); support told instead", record.id, record.kind,
                     refused.code)
        else:
            row.last_error = error
            row.payload = {**row.payload, DELIVERED_TO: sorted(delivered)}
    return error is None, told is not None


async def _claim(sessions: async_sessionmaker[AsyncSession], alert_id: int) -> bool:
    """Take an unsent alert for CLAIM_FOR; False when another replica holds it or sent it."""
    async with sessions() as session, session.begin():
        return await alert_store.claim(session, alert_id=alert_id, now=utcnow(), claim_for=CLAIM_FOR)


def _targets(alert: Alert, notifiers: Sequence[Notifier]) -> list[Notifier]:
    """Support alerts reach every configured support channel; a customer only on their own platform.
    An alert whose delivery makes one-time URLs reaches one support channel: the customer's platform's
    if support is there, else the first that has one (a second would renew the URLs the first showed)."""
    platform = str(alert.details.get("platform") or (alert.link.platform if alert.link else ""))
    if alert.kind in ONE_SUPPORT_CHANNEL:
        heard = [n for n in notifiers if n.support_channel]
        return [n for n in heard if n.platform == platform][:1] or heard[:1]
    if alert.kind not in CUSTOMER_KINDS:
        return list(notifiers)
    return [n for n in notifiers if n.platform == platform]


class Outbox:
    """Delivers queued alerts in the background after each commit; one delivery pass at a time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifiers: Sequence[Notifier],
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.notifiers = list(notifiers)
        self.on_sent = on_sent
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def kick(self) -> None:
        """Ask for a delivery pass soon; cheap to call after every commit."""
        if not self.notifiers:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await deliver_pending(self.sessions, self.notifiers, on_sent=self.on_sent)
            except Exception:  # noqa: BLE001 - the outbox keeps the alerts; the next kick retries
                log.exception("alert delivery pass failed")
            if not self._again:
                return

    async def drain(self) -> int:
        """Deliver everything now (used by `tokendesk recheck` and at shutdown)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        return await deliver_pending(self.sessions, self.notifiers, on_sent=self.on_sent)
