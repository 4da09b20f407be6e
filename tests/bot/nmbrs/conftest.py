"""Fixtures for the Nmbrs gateway tests: one stand-in server for the session, reset per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.nmbrs import CallLimiter, NmbrsGateway
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from tests.bot.nmbrs.accounts import SUBDOMAIN, TOKEN, USERNAME, GatewayFactory


@pytest.fixture
def nmbrs(nmbrs_server: NmbrsStandIn) -> NmbrsStandIn:
    """The stand-in, emptied, with one accountant login: two debtors and three companies."""
    nmbrs_server.reset()
    nmbrs_server.add_account(
        USERNAME,
        TOKEN,
        SUBDOMAIN,
        debtors=[StandinDebtor(12345, 101, "Acme Holding"), StandinDebtor(12346, 102, "Acme & Zonen")],
        companies=[
            StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345, kvk="12345678"),
            StandinCompany(54614, 2, "Acme Payroll B.V.", debtor_id=12345),
            StandinCompany(54615, 3, "Zonen <Noord> B.V.", debtor_id=12346, period="Week4"),
        ],
    )
    return nmbrs_server


@pytest.fixture
async def make_gateway(nmbrs: NmbrsStandIn) -> AsyncIterator[GatewayFactory]:
    """Gateways against the stand-in with test-sized timeouts and backoff; closed afterwards."""
    made: list[NmbrsGateway] = []

    def make(**options: Any) -> NmbrsGateway:
        settings: dict[str, Any] = {
            "base_url": nmbrs.base_url,
            "limiter": CallLimiter(concurrency=16, rate_per_s=1000),
            "connect_timeout_s": 1.0,
            "read_timeout_s": 1.0,
            "retries": 2,
            "backoff_s": 0.001,
        }
        settings.update(options)
        gateway = NmbrsGateway(**settings)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> NmbrsGateway:
    return make_gateway()
