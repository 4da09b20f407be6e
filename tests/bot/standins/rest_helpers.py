"""What the REST stand-in tests share: the running stand-ins (one per test module, emptied per
test), an Authlib client with percent-encoded Basic authentication, and small HTTP helpers."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, quote_plus, urlencode, urlparse

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client

from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
    RestCompany,
    RestDebtor,
    consent,
    s256,
    start_rest_standin,
)

CALLBACK = "http://127.0.0.1:8765/connect/nmbrs/callback"
SCOPE = "offline_access user.info.read debtor.info.read company.info.read"
EMAIL = "hr@acme.nl"
PASSWORD = "Welkom*01"
ENCODED_BASIC = "client_secret_basic_encoded"


def basic(client_id: str = PRACTICE_CLIENT_ID, secret: str = PRACTICE_CLIENT_SECRET) -> str:
    """RFC 6749 §2.3.1: form-urlencode id and secret, then join and base64 them."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def percent_encoded_basic(client, method, uri, headers, body):  # type: ignore[no-untyped-def]
    """The client authentication method registered with Authlib in place of its Basic one."""
    headers["Authorization"] = basic(client.client_id, client.client_secret)
    return uri, headers, body


@pytest.fixture(scope="module")
def server() -> Iterator[NmbrsRestStandIn]:
    with start_rest_standin(redirect_uris=[CALLBACK]) as standin:
        yield standin


@pytest.fixture
def nmbrs(server: NmbrsRestStandIn) -> NmbrsRestStandIn:
    server.reset()
    server.add_user(
        EMAIL,
        PASSWORD,
        name="Hanna de Vries",
        language="en",
        debtor=RestDebtor(101, "Acme Holding"),
        companies=[RestCompany(1, "Acme B.V."), RestCompany(2, "Acme Payroll B.V.")],
    )
    return server


@pytest.fixture
async def oauth(nmbrs: NmbrsRestStandIn) -> AsyncIterator[AsyncOAuth2Client]:
    async with encoded_client(nmbrs) as client:
        yield client


def encoded_client(nmbrs: NmbrsRestStandIn, **kwargs: object) -> AsyncOAuth2Client:
    client = AsyncOAuth2Client(
        client_id=PRACTICE_CLIENT_ID,
        client_secret=PRACTICE_CLIENT_SECRET,
        redirect_uri=CALLBACK,
        token_endpoint_auth_method=ENCODED_BASIC,
        revocation_endpoint_auth_method=ENCODED_BASIC,
        timeout=5,
        **kwargs,
    )
    client.register_client_auth_method((ENCODED_BASIC, percent_encoded_basic))
    return client


def authorize_url(
    nmbrs: NmbrsRestStandIn, *, state: str = "st-1", verifier: str | None = None, **extra: str
) -> str:
    params = {
        "client_id": PRACTICE_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": SCOPE,
        "state": state,
    }
    if verifier is not None:
        params |= {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    return f"{nmbrs.authorize_endpoint}?{urlencode(params | extra)}"


def query_of(location: str) -> dict[str, str]:
    assert location.startswith(CALLBACK + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


async def get_code(nmbrs: NmbrsRestStandIn, *, verifier: str | None = None) -> str:
    return query_of(await consent(authorize_url(nmbrs, verifier=verifier), email=EMAIL, password=PASSWORD))[
        "code"
    ]


async def tokens(oauth: AsyncOAuth2Client, nmbrs: NmbrsRestStandIn, **kwargs: str) -> dict:
    code = await get_code(nmbrs, verifier=kwargs.get("code_verifier"))
    return dict(
        await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code, **kwargs)
    )


async def api(
    nmbrs: NmbrsRestStandIn,
    path: str,
    token: str | None,
    *,
    key: str | None = PRACTICE_SUBSCRIPTION_KEY,
    **params: object,
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["X-Subscription-Key"] = key
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(nmbrs.api_url + path, headers=headers, params=params)


async def token_post(
    nmbrs: NmbrsRestStandIn, data: dict[str, str], *, secret: str = PRACTICE_CLIENT_SECRET
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.post(
            nmbrs.token_endpoint,
            data=data,
            headers={"Authorization": basic(secret=secret)},
        )


def assert_api_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["httpStatus"] == status and body["code"] == code
    assert {"type", "title", "detail", "docUrl"} <= set(body)
    return body
