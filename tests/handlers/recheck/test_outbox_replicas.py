"""Every replica runs an outbox: each queued alert still goes out once, and a link's in order."""

from __future__ import annotations

import asyncio

from handlers.alerts import deliver_pending, queue
from handlers.model import Alert, AlertKind, LinkCard
from tests.handlers.recheck.conftest import RecordingNotifier


class SlowNotifier(RecordingNotifier):
    async def deliver(self, alert: Alert) -> None:
        await asyncio.sleep(0.005)  # a Slack round trip: room for the other replica to race
        await super().deliver(alert)


async def test_two_outboxes_on_one_database_send_each_alert_once(sessions) -> None:  # type: ignore[no-untyped-def]
    from storage.models import Link

    async with sessions() as session, session.begin():
        links = [Link(username=f"u{i}@x.nl", environment=f"e{i}", state="active", platform="slack", debtors=[],
                      companies=[], failed_checks=0) for i in range(3)]
        session.add_all(links)
        await session.flush()
        for n in range(30):
            link = links[n % 3]
            await queue(session, Alert(AlertKind.SCOPE_CHANGED, LinkCard.of(link), {"n": n}), key=f"t:{n}")
        await queue(session, Alert(AlertKind.DIGEST, None, {"n": "digest"}), key="t:digest")
    a, b = SlowNotifier(), SlowNotifier()
    sent = 0
    for _ in range(5):  # a few passes each, at the same time, as two replicas' kicks would
        sent += sum(await asyncio.gather(deliver_pending(sessions, [a]), deliver_pending(sessions, [b])))
    delivered = [alert.details["n"] for alert in a.alerts + b.alerts]
    assert sent == 31 and sorted(map(str, delivered)) == sorted([str(n) for n in range(30)] + ["digest"])
    for notifier in (a, b):  # per link, each replica sent its share in queue order
        for link_id in {alert.link.id for alert in notifier.alerts if alert.link}:
            ns = [alert.details["n"] for alert in notifier.alerts if alert.link and alert.link.id == link_id]
            assert ns == sorted(ns)
