"""What the consent tests share: the REST desk of the re-check tests (stand-ins, gateway, SQLite and
PostgreSQL), a Connect use case on it, and a browser-less walk through ticket, start, Nmbrs' consent
form and callback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from bot.standins.nmbrs_rest import PRACTICE_CLIENT_ID, consent
from handlers.connect import AfterConsent, Connect, ConsentOutcome, Started, Tickets
from handlers.model import Person
from storage.cipher import TokenCipher
from storage.models import AlertRecord, Link
from tests.bot.standins.rest_helpers import CALLBACK, SCOPE
from tests.handlers.recheck.conftest import any_desk, desk, gateway, nmbrs, sqlite_sessions  # noqa: F401
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    PASSWORD,
    RestDesk,
    email_for,
    rest_desk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
)

PUBLIC_URL = "http://127.0.0.1:8765"
CUSTOMER = Person(platform="slack", team_id="T1", user_id="U1", lang="en")


def make_connect(rest: RestDesk, *, pkce: bool = True, after_consent: tuple[AfterConsent, ...] = (),
                 scopes: str = SCOPE, cipher: TokenCipher | None = None) -> Connect:
    tickets = Tickets(sessions=rest.desk.sessions, public_url=PUBLIC_URL, clock=rest.desk.time.clock)
    return Connect(tickets=tickets, cipher=cipher or rest.desk.cipher, gateway=rest.gateway, outbox=None,
                   authorize_endpoint=rest.gateway.authorize_endpoint, client_id=PRACTICE_CLIENT_ID,
                   redirect_uri=CALLBACK, scopes=scopes.split(), pkce=pkce, after_consent=after_consent)


def ticket_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/connect/nmbrs/start?t="), url
    return parse_qs(urlparse(url).query)["t"][0]


def callback_query(location: str) -> dict[str, str]:
    assert location.startswith(CALLBACK + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


@dataclass
class Visit:
    """One browser's trip: what start gave it and where Nmbrs sent it back."""

    started: Started
    query: dict[str, str]

    async def back(self, connect: Connect, *, cookie: str | None | Literal["own"] = "own") -> ConsentOutcome:
        return await connect.callback(state=self.query.get("state"),
                                      cookie=self.started.cookie if cookie == "own" else cookie,
                                      code=self.query.get("code"), error=self.query.get("error"))


async def visit(connect: Connect, n: int, *, person: Person = CUSTOMER, button: Literal["allow", "cancel"] = "allow",
                **ticket: Any) -> Visit:
    started = await connect.start(ticket_of(await connect.ticket_url(person, **ticket)))
    assert isinstance(started, Started), started
    location = await consent(started.authorize_url, email=email_for(n), password=PASSWORD, button=button)
    return Visit(started, callback_query(location))


async def count(rest: RestDesk, model: Any) -> int:
    async with rest.desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def links(rest: RestDesk) -> list[Link]:
    async with rest.desk.sessions() as session:
        return list((await session.scalars(select(Link).order_by(Link.id))).all())



async def alerts(rest: RestDesk) -> list[AlertRecord]:
    async with rest.desk.sessions() as session:
        return list((await session.scalars(select(AlertRecord).order_by(AlertRecord.id))).all())


def kinds(records: list[AlertRecord]) -> list[str]:
    return [r.kind for r in records]
