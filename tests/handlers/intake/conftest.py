"""Fixtures for handler tests: the Nmbrs stand-in, a real gateway, and a notifier that records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.alerts import Outbox
from handlers.model import Alert

TOKEN = "3f2a9c7e5b1d4f60a8e2c4b6d8f01a2b"
USER = "hr@acme.nl"


class RecordingNotifier:
    platform = "slack"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.fail = False

    async def deliver(self, alert: Alert) -> None:
        if self.fail:
            raise RuntimeError("slack said channel_not_found")
        self.alerts.append(alert)

    def kinds(self) -> list[str]:
        return [str(a.kind) for a in self.alerts]


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    nmbrs_server.reset()
    nmbrs_server.add_account(
        USER, TOKEN, "acme",
        debtors=[StandinDebtor(12345, 101, "Acme Holding")],
        companies=[StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345), StandinCompany(54614, 2, "<!channel> B.V.", debtor_id=12345)],
    )
    return nmbrs_server


@pytest.fixture
async def gateway(nmbrs: NmbrsStandIn) -> AsyncIterator[NmbrsGateway]:
    gw = NmbrsGateway(base_url=nmbrs.base_url, limiter=CallLimiter(8, 100), retries=1, backoff_s=0.01,
                      connect_timeout_s=5, read_timeout_s=5)  # generous: no intake test waits for a timeout
    yield gw
    await gw.aclose()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def outbox(sessions, notifier: RecordingNotifier) -> Outbox:  # type: ignore[no-untyped-def]
    return Outbox(sessions, [notifier])
