"""The hand-off of a REST link over HTTP: an access token with at least 5 minutes left, refreshed
under the link's lease when needed, never the refresh token; 503 + Retry-After when Nmbrs' identity
server is down and no valid access token is left; every read audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from bot.api import api_mount, build_api
from bot.nmbrs.rest import RestGateway
from bot.standins.nmbrs_rest import NmbrsRestStandIn, RestCompany, RestDebtor, consent, start_rest_standin
from handlers.commands import Commands, Revoked
from handlers.model import Person, RestView, TokenAnswer
from handlers.revocations import Revocations
from handlers.staff import FixedStaff
from handlers.recheck.rest import RestTokens
from storage.apikeys import create_key
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.models import AuditEntry, Link, utcnow
from storage.rest_links import open_refresh, store_rest_link
from tests.bot.api.conftest import Api
from tests.bot.api.server import serving
from tests.bot.standins.rest_helpers import CALLBACK, authorize_url, query_of
from tests.handlers.recheck.rest_desk import make_gateway

EMAIL, PASSWORD = "hr@acme.nl", "Welkom*01"
SUPPORT = Person(platform="slack", team_id="T1", user_id="US", lang="en")


@pytest.fixture(scope="module")
def rest_server() -> Iterator[NmbrsRestStandIn]:
    with start_rest_standin(redirect_uris=[CALLBACK]) as standin:
        yield standin


@pytest.fixture
def nmbrs(rest_server: NmbrsRestStandIn) -> NmbrsRestStandIn:
    rest_server.reset()
    rest_server.add_user(EMAIL, PASSWORD, debtor=RestDebtor(101, "Acme Holding"), companies=[RestCompany(1, "Acme B.V.")])
    return rest_server


@pytest.fixture
async def rest_api(database_url: str, cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> AsyncIterator[Api]:
    engine = create_engine(database_url)
    holder: dict[str, RestGateway] = {}

    async def shutdown() -> None:
        if "gateway" in holder:
            await holder["gateway"].aclose()
        await engine.dispose()

    gateway = make_gateway(nmbrs, retries=0)
    holder["gateway"] = gateway
    tokens = RestTokens(sessions=session_factory(engine), cipher=cipher, gateway=gateway, clock=utcnow, lease_s=30)
    app = FastAPI()
    reads: list[str] = []
    app.router.routes.append(api_mount(build_api(sessions=session_factory(engine), cipher=cipher,
                                                 on_credentials_read=reads.append, rest_tokens=tokens)))
    with serving(app, on_shutdown=shutdown) as base:
        yield Api(url=f"{base}/api/v1", reads=reads)


async def _rest_link(sessions, cipher: TokenCipher, nmbrs: NmbrsRestStandIn, *, expires_in: timedelta) -> int:  # type: ignore[no-untyped-def]
    gateway = make_gateway(nmbrs)
    try:
        location = await consent(authorize_url(nmbrs), email=EMAIL, password=PASSWORD)
        answer = await gateway.exchange(query_of(location)["code"], code_verifier=None)
        assert isinstance(answer, TokenAnswer) and answer.refresh_token
        view = await gateway.inspect(answer.access_token)
        assert isinstance(view, RestView)
    finally:
        await gateway.aclose()
    async with sessions() as session, session.begin():
        stored = await store_rest_link(
            session, cipher, debtor_id=str(view.debtor.id), debtor_number="101", debtor_name="Acme Holding",
            user_email=EMAIL, rest_user_id=view.user.user_id, scopes=answer.scopes or (),
            refresh_token=answer.refresh_token, access_token=answer.access_token,
            access_expires_at=utcnow() + expires_in, companies=[], scope_digest=None,
            platform="slack", team_id="T1", user_id="U1")
        return stored.link.id


@pytest.fixture
async def key(sessions) -> str:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        return (await create_key(session, name="payroll sync")).key


async def test_a_valid_access_token_is_handed_over_without_a_refresh(rest_api: Api, key: str, sessions,  # type: ignore[no-untyped-def]
                                                                     cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> None:
    link_id = await _rest_link(sessions, cipher, nmbrs, expires_in=timedelta(minutes=50))
    async with rest_api.client(key) as client:
        response = await client.get(f"/links/L{link_id}/credentials")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "rest" and body["link_id"] == link_id and set(body) == {
        "kind", "link_id", "short_id", "state", "access_token", "expires_at", "debtor_id", "scopes"}
    assert "offline_access" in body["scopes"] and nmbrs.calls["token.refresh_token"] == 0
    assert response.headers["cache-control"] == "no-store"
    async with sessions() as session:
        link = await session.get(Link, link_id)
        assert link is not None and open_refresh(link, cipher) not in response.text
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.link_id == link_id))).all()
        assert entry.action == "credentials.read" and entry.result == "ok" and entry.detail["kind"] == "rest"
    # The token works at the API.
    gateway = make_gateway(nmbrs)
    try:
        assert isinstance(await gateway.inspect(body["access_token"]), RestView)
    finally:
        await gateway.aclose()


async def test_a_token_about_to_expire_is_refreshed_first(rest_api: Api, key: str, sessions,  # type: ignore[no-untyped-def]
                                                          cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> None:
    link_id = await _rest_link(sessions, cipher, nmbrs, expires_in=timedelta(minutes=3))
    async with rest_api.client(key) as client:
        response = await client.get(f"/links/{link_id}/credentials")
    assert response.status_code == 200, response.text
    assert nmbrs.calls["token.refresh_token"] == 1
    async with sessions() as session:
        link = await session.get(Link, link_id)
        assert link is not None and link.access_expires_at is not None
        assert link.access_expires_at > utcnow() + timedelta(minutes=50)
        assert nmbrs.live_refresh_tokens(EMAIL) == 1 and open_refresh(link, cipher) not in response.text


async def test_identity_server_down_and_no_valid_token_is_503_with_retry_after(  # type: ignore[no-untyped-def]
        rest_api: Api, key: str, sessions, cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> None:
    link_id = await _rest_link(sessions, cipher, nmbrs, expires_in=timedelta(minutes=2))
    nmbrs.set_down("503")
    try:
        async with rest_api.client(key) as client:
            response = await client.get(f"/links/{link_id}/credentials")
    finally:
        nmbrs.set_down(False)
    assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
    assert response.json()["error"] == "unavailable" and rest_api.reads == ["failed"]
    async with sessions() as session, session.begin():
        await session.execute(update(Link).where(Link.id == link_id).values(refresh_lease_until=None))


async def test_a_revoked_rest_link_gets_409_as_a_revoked_soap_link_does(  # type: ignore[no-untyped-def]
        rest_api: Api, key: str, sessions, cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> None:
    link_id = await _rest_link(sessions, cipher, nmbrs, expires_in=timedelta(minutes=50))
    async with rest_api.client(key) as client:
        assert (await client.get(f"/links/L{link_id}/credentials")).status_code == 200
        gateway = make_gateway(nmbrs)
        try:
            revocations = Revocations(sessions=sessions, cipher=cipher, gateway=gateway)
            done = await Commands(sessions=sessions, staff=FixedStaff({("slack", "T1", "US")}),
                                  revocations=revocations).confirm_revoke(person=SUPPORT, link_id=link_id)
        finally:
            await gateway.aclose()
        assert isinstance(done, Revoked) and done.at_nmbrs is True
        response = await client.get(f"/links/L{link_id}/credentials")
    # The desk hands out no more tokens at once; the same answer and words as for a revoked SOAP link.
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "link_not_usable" and body["state"] == "revoked"
    assert body["message"] == f"link L{link_id} is revoked: it was revoked and its token destroyed"
    assert rest_api.reads == ["served", "refused"] and nmbrs.calls["token.refresh_token"] == 0


async def test_a_withdrawn_consent_gets_409_not_503(  # type: ignore[no-untyped-def]
        rest_api: Api, key: str, sessions, cipher: TokenCipher, nmbrs: NmbrsRestStandIn) -> None:
    link_id = await _rest_link(sessions, cipher, nmbrs, expires_in=timedelta(minutes=2))
    nmbrs.revoke_consent(EMAIL)
    async with rest_api.client(key) as client:
        response = await client.get(f"/links/{link_id}/credentials")
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "link_not_usable" and body["reason"] == "consent" and "retry-after" not in response.headers
    assert rest_api.reads == ["failed"] and nmbrs.calls["token.refresh_token"] == 1
