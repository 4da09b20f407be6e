"""What the REST re-check tests share: the REST stand-ins, a REST gateway on them, consented links
stored through `store_rest_link`, and Recheck instances that check both kinds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.nmbrs import CallLimiter
from bot.nmbrs.rest import RestGateway
from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
    RestCompany,
    RestDebtor,
    consent,
    start_rest_standin,
)
from handlers.model import RestView, TokenAnswer
from handlers.recheck import Recheck, RecheckPolicy
from handlers.recheck.rest import RestCheck, RestTokens
from handlers.revocations import Revocations
from storage.cipher import TokenCipher
from storage.models import utcnow
from storage.rest_links import open_refresh, store_rest_link
from tests.bot.standins.rest_helpers import CALLBACK, authorize_url, query_of
from tests.handlers.recheck.conftest import Desk

PASSWORD = "Welkom*01"
LEASE_S = 60.0


def email_for(n: int) -> str:
    return f"hr{n}@rest{n}.nl"


@pytest.fixture(scope="module")
def rest_server() -> Iterator[NmbrsRestStandIn]:
    with start_rest_standin(redirect_uris=[CALLBACK]) as standin:
        yield standin


@pytest.fixture
def rest_nmbrs(rest_server: NmbrsRestStandIn) -> NmbrsRestStandIn:
    rest_server.reset()
    return rest_server


@pytest.fixture
async def rest_gateway(rest_nmbrs: NmbrsRestStandIn) -> AsyncIterator[RestGateway]:
    gateway = make_gateway(rest_nmbrs)
    yield gateway
    await gateway.aclose()


def make_gateway(nmbrs: NmbrsRestStandIn, **options: Any) -> RestGateway:
    values: dict[str, Any] = {"connect_timeout_s": 1, "read_timeout_s": 2, "retries": 1}
    values.update(options)
    return RestGateway(identity_url=nmbrs.identity_url, api_url=nmbrs.api_url, client_id=PRACTICE_CLIENT_ID,
                       client_secret=PRACTICE_CLIENT_SECRET, subscription_key=PRACTICE_SUBSCRIPTION_KEY,
                       redirect_uri=CALLBACK, limiter=CallLimiter(16, 1000), **values)


ACME = "hr@acme-rest.nl"


def add_acme(nmbrs: NmbrsRestStandIn) -> str:
    """One customer who can consent (English, one debtor, one company); their e-mail address."""
    nmbrs.add_user(ACME, PASSWORD, language="en", debtor=RestDebtor(101, "Acme Holding"),
                   companies=[RestCompany(1, "Acme B.V.")])
    return ACME


def rest_settings(nmbrs: NmbrsRestStandIn) -> dict[str, Any]:
    """Settings that turn REST links on against the stand-ins (the callback is CALLBACK's)."""
    return {"nmbrs_client_id": PRACTICE_CLIENT_ID, "nmbrs_client_secret": PRACTICE_CLIENT_SECRET,
            "nmbrs_subscription_key": PRACTICE_SUBSCRIPTION_KEY, "public_url": CALLBACK.split("/connect/")[0],
            "nmbrs_identity_url": nmbrs.identity_url, "nmbrs_rest_url": nmbrs.api_url}


async def consented_link(
    nmbrs: NmbrsRestStandIn, gateway: RestGateway, sessions: Any, cipher: TokenCipher, *, email: str,
    password: str = PASSWORD, state: str = "s1", user_id: str | None = "U1", team_id: str = "T1",
    platform: str = "slack", now: datetime | None = None,
) -> int:
    """A REST link as the consent leaves it: the stand-in's consent page, the code exchanged, what
    the token reaches read, the link stored (three days old)."""
    location = await consent(authorize_url(nmbrs, state=state), email=email, password=password)
    tokens = await gateway.exchange(query_of(location)["code"], code_verifier=None)
    assert isinstance(tokens, TokenAnswer) and tokens.refresh_token
    view = await gateway.inspect(tokens.access_token)
    assert isinstance(view, RestView), view
    valid = view.as_valid()
    now = now or utcnow()
    async with sessions() as session, session.begin():
        stored = await store_rest_link(
            session, cipher, debtor_id=str(view.debtor.id), debtor_number=str(view.debtor.number),
            debtor_name=view.debtor.name, user_email=view.user.email, rest_user_id=view.user.user_id,
            scopes=tokens.scopes or (), refresh_token=tokens.refresh_token, access_token=tokens.access_token,
            access_expires_at=now + timedelta(seconds=tokens.expires_in_s),
            companies=[c.to_dict() for c in valid.companies], scope_digest=valid.scope_digest,
            platform=platform, team_id=team_id, user_id=user_id, now=now - timedelta(days=3),
        )
        return stored.link.id


@dataclass
class RestDesk:
    desk: Desk
    nmbrs: NmbrsRestStandIn
    gateway: RestGateway

    def tokens(self, gateway: RestGateway | None = None, sessions: Any = None, **options: Any) -> RestTokens:
        return RestTokens(sessions=sessions or self.desk.sessions, cipher=self.desk.cipher,
                          gateway=gateway or self.gateway, clock=self.desk.time.clock, lease_s=LEASE_S,
                          poll_s=0.02, **options)

    def revocations(self) -> Revocations:
        return Revocations(sessions=self.desk.sessions, cipher=self.desk.cipher, gateway=self.gateway,
                           outbox=self.desk.outbox, clock=self.desk.time.clock)

    def recheck(self, *, holder: str = "test:1", **policy: Any) -> Recheck:
        values: dict[str, Any] = {"confirm_delay_s": 300.0, "unverified_after": 2, "notify_customers": True,
                                  "digest": "changes", "language": "en"}
        values.update(policy)
        recheck = Recheck(
            sessions=self.desk.sessions, cipher=self.desk.cipher, gateway=self.desk.gateway,
            outbox=self.desk.outbox, policy=RecheckPolicy(**values), holder=holder, clock=self.desk.time.clock,
            sleep=self.desk.time.sleep, concurrency=4, rest=RestCheck(self.tokens()),
        )
        self.desk.made.append(recheck)
        return recheck

    def user(self, n: int, *, companies: int = 1) -> None:
        self.nmbrs.add_user(email_for(n), PASSWORD, name=f"User {n}", language="en",
                            debtor=RestDebtor(100 + n, f"Debtor {n}", id=f"00000000-0000-4000-8000-{n:012d}"),
                            companies=[RestCompany(i + 1, f"Company {n}.{i}",
                                                   id=f"00000000-0000-4000-9000-{n * 100 + i:012d}")
                                       for i in range(companies)])

    async def link(self, n: int, *, user_id: str | None = "U1") -> int:
        """Consent in the stand-in's pages, exchange the code, read what it reaches, store the link."""
        return await consented_link(self.nmbrs, self.gateway, self.desk.sessions, self.desk.cipher, email=email_for(n),
                                    state=f"s{n}", user_id=user_id, now=self.desk.time.now)

    async def refresh_token_of(self, link_id: int) -> str:
        link = await self.desk.get(link_id)
        assert link is not None
        return open_refresh(link, self.desk.cipher)


@pytest.fixture
def rest_desk(any_desk: Desk, rest_nmbrs: NmbrsRestStandIn, rest_gateway: RestGateway) -> RestDesk:
    """On SQLite and PostgreSQL."""
    return RestDesk(any_desk, rest_nmbrs, rest_gateway)


@pytest.fixture
def rest_sqlite_desk(desk: Desk, rest_nmbrs: NmbrsRestStandIn, rest_gateway: RestGateway) -> RestDesk:
    return RestDesk(desk, rest_nmbrs, rest_gateway)
