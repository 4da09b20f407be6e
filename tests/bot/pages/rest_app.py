"""The whole app with REST consent on: Slack and SOAP stand-ins as for the invitation pages, the
identity + REST API stand-ins, and TOKENDESK_PUBLIC_URL known before the server starts (the
stand-in must know the redirect URI)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from bot.app import build_desk, build_slack_runtime
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
    RestCompany,
    RestDebtor,
    start_rest_standin,
)
from bot.standins.slack.server import SlackStandIn
from handlers.connect import Connect
from handlers.model import Person
from bot.standins.slack.workspace import TEAM_ID
from tests.bot.slack.conftest import ENGLISH, Served, free_socket, make_settings, serving

EMAIL, PASSWORD = "hr@acme.nl", "Welkom*01"
CUSTOMER = Person(platform="slack", team_id=TEAM_ID, user_id=ENGLISH, lang="en")


@pytest.fixture(scope="module")
def rest_server() -> Iterator[NmbrsRestStandIn]:
    with start_rest_standin() as standin:
        yield standin


@pytest.fixture
def rest_nmbrs(rest_server: NmbrsRestStandIn) -> NmbrsRestStandIn:
    rest_server.reset()
    rest_server.add_user(EMAIL, PASSWORD, name="Hanna de Vries", language="en",
                         debtor=RestDebtor(101, "Acme Holding"),
                         companies=[RestCompany(1, "Acme B.V."), RestCompany(2, "Acme Payroll B.V.")])
    return rest_server


@dataclass
class RestServed:
    served: Served
    rest: NmbrsRestStandIn

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def connect(self) -> Connect:
        assert self.served.ctx.connect is not None
        return self.served.ctx.connect

    async def start_path(self, person: Person = CUSTOMER, **ticket: object) -> str:
        """A fresh ticket's start path and query, as a chat button would carry it."""
        url = await self.connect.ticket_url(person, **ticket)  # type: ignore[arg-type]
        assert url.startswith(self.url + "/connect/nmbrs/start?t=")
        return url.removeprefix(self.url)


@pytest.fixture
async def rest_app(request: pytest.FixtureRequest, tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn,
                   template_db: Path, rest_nmbrs: NmbrsRestStandIn) -> AsyncIterator[RestServed]:
    """Parametrize indirectly with more settings, and `clock` for the desk's today (Desk.clock)."""
    options = dict(getattr(request, "param", None) or {})
    clock = options.pop("clock", None)
    sock = free_socket()
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    rest_nmbrs.add_client(PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, [public_url + "/connect/nmbrs/callback"])
    shutil.copy(template_db, tmp_path / "tokendesk.db")
    settings = make_settings(
        tmp_path, slack, nmbrs, public_url=public_url, brand_name="Loonkoppeling & Co", support_users=["U0STAFF"],
        nmbrs_client_id=PRACTICE_CLIENT_ID, nmbrs_client_secret=PRACTICE_CLIENT_SECRET,
        nmbrs_subscription_key=PRACTICE_SUBSCRIPTION_KEY, nmbrs_identity_url=rest_nmbrs.identity_url,
        nmbrs_rest_url=rest_nmbrs.api_url, **options)
    desk = await build_desk(settings, clock=clock) if clock is not None else None
    runtime = await build_slack_runtime(settings, desk=desk)
    try:
        async with serving(runtime.web_app, sock=sock) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            served = Served(url=url, runtime=runtime, http=http, slack=slack, nmbrs=nmbrs)
            await served.settle()
            slack.reset()
            yield RestServed(served=served, rest=rest_nmbrs)
            await served.settle()
    finally:
        await runtime.aclose()
        if desk is not None:
            await desk.aclose()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


#: The SOAP stop date of the REST-only tests, and moments either side of it (UTC).
SOAP_UNTIL = date(2027, 3, 1)
DAY_BEFORE = datetime(2027, 2, 28, 23, 59, tzinfo=timezone.utc)
ON_THE_DAY = datetime(2027, 3, 1, 0, 0, tzinfo=timezone.utc)


class Clock:
    """The desk's today, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
