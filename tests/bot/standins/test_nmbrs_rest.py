"""The Nmbrs identity-server and REST API stand-ins, driven over real HTTP: the consent flow and
token endpoint through Authlib's httpx OAuth 2.0 client, the API through httpx."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, quote_plus, urlencode, urlparse

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    ConsentPageError,
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


def percent_encoded_basic(client, method, uri, headers, body):  # type: ignore[no-untyped-def]
    """RFC 6749 §2.3.1: form-urlencode id and secret, then join and base64 them."""
    pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
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


def authorize_url(nmbrs: NmbrsRestStandIn, *, state: str = "st-1", verifier: str | None = None, **extra: str) -> str:
    params = {"client_id": PRACTICE_CLIENT_ID, "redirect_uri": CALLBACK, "response_type": "code", "scope": SCOPE, "state": state}
    if verifier is not None:
        params |= {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    return f"{nmbrs.authorize_endpoint}?{urlencode(params | extra)}"


def query_of(location: str) -> dict[str, str]:
    assert location.startswith(CALLBACK + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


async def get_code(nmbrs: NmbrsRestStandIn, *, verifier: str | None = None) -> str:
    return query_of(await consent(authorize_url(nmbrs, verifier=verifier), email=EMAIL, password=PASSWORD))["code"]


async def tokens(oauth: AsyncOAuth2Client, nmbrs: NmbrsRestStandIn, **kwargs: str) -> dict:
    code = await get_code(nmbrs, verifier=kwargs.get("code_verifier"))
    return dict(await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code, **kwargs))


async def api(nmbrs: NmbrsRestStandIn, path: str, token: str | None, *, key: str | None = PRACTICE_SUBSCRIPTION_KEY, **params: object) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["X-Subscription-Key"] = key
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(nmbrs.api_url + path, headers=headers, params=params)


async def token_post(nmbrs: NmbrsRestStandIn, data: dict[str, str], *, secret: str = PRACTICE_CLIENT_SECRET) -> httpx.Response:
    pair = f"{quote_plus(PRACTICE_CLIENT_ID)}:{quote_plus(secret)}"
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.post(nmbrs.token_endpoint, data=data, headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()})


def assert_api_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["httpStatus"] == status and body["code"] == code
    assert {"type", "title", "detail", "docUrl"} <= set(body)
    return body


# -- the code flow ------------------------------------------------------------------------------


async def test_code_flow_with_pkce_gives_tokens_that_open_the_api(nmbrs: NmbrsRestStandIn) -> None:
    async with encoded_client(nmbrs, code_challenge_method="S256", scope=SCOPE) as oauth:
        verifier = secrets.token_urlsafe(48)
        url, state = oauth.create_authorization_url(nmbrs.authorize_endpoint, state="s-42", code_verifier=verifier)
        assert "code_challenge=" in url and state == "s-42"
        location = await consent(url, email=EMAIL, password=PASSWORD)
        assert query_of(location)["state"] == "s-42"
        token = await oauth.fetch_token(nmbrs.token_endpoint, authorization_response=location, code_verifier=verifier)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["scope"] == SCOPE and token["refresh_token"]
    answer = await api(nmbrs, "api/user/info", token["access_token"])
    assert answer.status_code == 200
    user = nmbrs.users[EMAIL]
    assert answer.json()["data"] == [
        {"name": "Hanna de Vries", "email": EMAIL, "language": "EN", "debtorId": user.debtor.id, "userId": user.id}
    ]
    assert answer.json()["pagination"]["totalRecords"] == 1
    assert nmbrs.calls["token.authorization_code"] == 1 and nmbrs.calls["user/info"] == 1


async def test_code_flow_without_pkce(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs, redirect_uri=CALLBACK)
    debtors = (await api(nmbrs, "api/debtors", token["access_token"])).json()["data"]
    assert debtors == [{"debtorId": nmbrs.users[EMAIL].debtor.id, "number": "101", "name": "Acme Holding"}]
    info = (await api(nmbrs, "api/debtors/info", token["access_token"])).json()["data"][0]
    assert info["debtor"] == debtors[0] and info["address"]["type"] == "debtorAddress"
    companies = (await api(nmbrs, "api/companies", token["access_token"])).json()["data"]
    assert [(c["number"], c["name"], c["debtorId"]) for c in companies] == [
        ("1", "Acme B.V.", debtors[0]["debtorId"]),
        ("2", "Acme Payroll B.V.", debtors[0]["debtorId"]),
    ]


def test_practice_secret_needs_percent_encoding() -> None:
    assert all(char in PRACTICE_CLIENT_SECRET for char in "*$%:")


async def test_authlib_builtin_basic_is_refused_and_the_encoding_method_passes(nmbrs: NmbrsRestStandIn) -> None:
    code = await get_code(nmbrs)
    async with AsyncOAuth2Client(PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, redirect_uri=CALLBACK, timeout=5) as plain:
        assert plain.token_endpoint_auth_method == "client_secret_basic"
        with pytest.raises(OAuthError) as refused:
            await plain.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert refused.value.error == "invalid_client"
    assert nmbrs.auth_failures == ["the secret was sent without percent-encoding (RFC 6749 §2.3.1)"]
    # A failed client authentication does not touch the code: the right client still redeems it.
    async with encoded_client(nmbrs) as oauth:
        token = await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert token["access_token"]


async def test_client_authentication_other_than_encoded_basic_is_invalid_client(nmbrs: NmbrsRestStandIn) -> None:
    code = await get_code(nmbrs)
    wrong = await token_post(nmbrs, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}, secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["Cache-Control"] == "no-store" and wrong.headers["WWW-Authenticate"].startswith("Basic")
    async with httpx.AsyncClient(timeout=5) as http:
        posted = await http.post(nmbrs.token_endpoint, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
            "client_id": PRACTICE_CLIENT_ID, "client_secret": PRACTICE_CLIENT_SECRET,
        })
    assert posted.status_code == 401 and posted.json()["error"] == "invalid_client"
    assert nmbrs.auth_failures == ["wrong client secret", "client_secret in the body; this server takes HTTP Basic only"]


async def test_a_reused_code_is_refused_and_revokes_what_it_gave(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    code = await get_code(nmbrs)
    first = await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert (await api(nmbrs, "api/user/info", first["access_token"])).status_code == 200
    with pytest.raises(OAuthError) as replay:
        await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert replay.value.error == "invalid_grant"
    assert_api_error(await api(nmbrs, "api/user/info", first["access_token"]), 401, 40102)
    refresh = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


async def test_a_code_lives_five_minutes(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    fresh = await get_code(nmbrs)
    nmbrs.advance(299)
    assert (await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=fresh))["access_token"]
    stale = await get_code(nmbrs)
    nmbrs.advance(301)
    with pytest.raises(OAuthError) as expired:
        await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=stale)
    assert expired.value.error == "invalid_grant" and "expired" in expired.value.description


async def test_the_redirect_uri_must_be_the_one_of_the_authorization(nmbrs: NmbrsRestStandIn) -> None:
    code = await get_code(nmbrs)
    other = await token_post(nmbrs, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK + "/"})
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    missing = await token_post(nmbrs, {"grant_type": "authorization_code", "code": await get_code(nmbrs)})
    assert missing.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "http://127.0.0.1:8765/elsewhere"},
        {"redirect_uri": "https://evil.example/connect/nmbrs/callback"},
        {"client_id": "someone-else"},
    ],
)
async def test_an_unregistered_client_or_redirect_gets_an_error_page_never_a_redirect(
    nmbrs: NmbrsRestStandIn, change: dict[str, str]
) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        page = await http.get(authorize_url(nmbrs, **change))
    assert page.status_code == 400 and "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html") and "error" in page.text.lower()


async def test_request_errors_after_the_redirect_is_known_go_back_to_it(nmbrs: NmbrsRestStandIn) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        bad_scope = await http.get(authorize_url(nmbrs, scope="offline_access payroll.everything"))
        plain_pkce = await http.get(authorize_url(nmbrs, code_challenge="x" * 43, code_challenge_method="plain"))
        token_type = await http.get(authorize_url(nmbrs, response_type="token"))
    assert query_of(bad_scope.headers["location"]) == {"error": "invalid_scope", "error_description": "Unknown scope: payroll.everything", "state": "st-1"}
    assert query_of(plain_pkce.headers["location"])["error"] == "invalid_request"
    assert query_of(token_type.headers["location"])["error"] == "unsupported_response_type"


async def test_pkce_verifier_missing_wrong_or_unasked_is_invalid_grant(nmbrs: NmbrsRestStandIn) -> None:
    verifier = secrets.token_urlsafe(48)
    cases = [
        (await get_code(nmbrs, verifier=verifier), None),
        (await get_code(nmbrs, verifier=verifier), secrets.token_urlsafe(48)),
        (await get_code(nmbrs), verifier),
    ]
    for code, sent in cases:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        if sent is not None:
            data["code_verifier"] = sent
        answer = await token_post(nmbrs, data)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
    good = await token_post(nmbrs, {"grant_type": "authorization_code", "code": await get_code(nmbrs, verifier=verifier),
                                    "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert good.status_code == 200


# -- the consent page ---------------------------------------------------------------------------


async def test_cancel_goes_back_with_access_denied(nmbrs: NmbrsRestStandIn) -> None:
    location = await consent(authorize_url(nmbrs, state="s-9"), button="cancel")
    assert query_of(location) == {"error": "access_denied", "error_description": "The user denied access.", "state": "s-9"}


async def test_a_wrong_password_shows_the_form_again(nmbrs: NmbrsRestStandIn) -> None:
    with pytest.raises(ConsentPageError) as again:
        await consent(authorize_url(nmbrs), email=EMAIL, password="guess")
    assert again.value.status == 200
    assert "Invalid e-mail or password." in again.value.page and f'value="{EMAIL}"' in again.value.page
    assert nmbrs.calls["consent"] == 1 and nmbrs.ledger.codes == {}


async def test_the_consent_page_lists_scopes_and_escapes_what_it_echoes(nmbrs: NmbrsRestStandIn) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        page = (await http.get(authorize_url(nmbrs, state='"><script>alert(1)</script>'))).text
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page
    for scope in SCOPE.split():
        assert f"<code>{scope}</code>" in page
    assert 'name="password"' in page and 'value="allow"' in page and 'value="cancel"' in page


async def test_withheld_scopes_are_not_granted(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    nmbrs.users[EMAIL].withheld_scopes = frozenset({"company.info.read"})
    token = await tokens(oauth, nmbrs)
    assert token["scope"] == "offline_access user.info.read debtor.info.read"
    assert_api_error(await api(nmbrs, "api/companies", token["access_token"]), 403, 40301)


# -- refresh and revocation ---------------------------------------------------------------------


async def test_refresh_rotates_and_the_spent_token_is_dead(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    first = await tokens(oauth, nmbrs)
    second = dict(await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=first["refresh_token"]))
    assert second["refresh_token"] != first["refresh_token"] and second["scope"] == SCOPE
    assert (await api(nmbrs, "api/user/info", second["access_token"])).status_code == 200
    with pytest.raises(OAuthError) as replay:
        await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=first["refresh_token"])
    assert replay.value.error == "invalid_grant"
    third = dict(await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=second["refresh_token"]))
    assert third["access_token"] not in (first["access_token"], second["access_token"])
    assert nmbrs.calls["token.refresh_token"] == 3 and nmbrs.token_errors == {"invalid_grant": 1}
    assert nmbrs.live_refresh_tokens(EMAIL) == 1


async def test_of_two_simultaneous_refreshes_one_wins_the_other_gets_invalid_grant(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.latency_s = 0.2  # both requests are in flight before either is answered
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    answers = await asyncio.gather(token_post(nmbrs, data), token_post(nmbrs, data))
    assert sorted(a.status_code for a in answers) == [200, 400]
    assert nmbrs.max_in_flight == 2 and nmbrs.token_errors == {"invalid_grant": 1}


async def test_refused_mode_also_cuts_kept_alive_connections(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    pair = base64.b64encode(f"{quote_plus(PRACTICE_CLIENT_ID)}:{quote_plus(PRACTICE_CLIENT_SECRET)}".encode()).decode()
    async with httpx.AsyncClient(timeout=2, headers={"Authorization": "Basic " + pair}) as http:
        await http.post(nmbrs.revocation_endpoint, data={"token": "unknown"})  # opens a pooled connection
        nmbrs.set_down("refused")
        with pytest.raises(httpx.TransportError):
            await http.post(nmbrs.token_endpoint, data=data)
    nmbrs.set_down(False)
    assert (await token_post(nmbrs, data)).status_code == 200


async def test_switches_omit_scope_and_refresh_token(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    first = await tokens(oauth, nmbrs)
    nmbrs.omit_scope = True
    nmbrs.omit_refresh_token = True
    answer = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert set(answer.json()) == {"access_token", "expires_in", "token_type"}


async def test_revocation_kills_the_refresh_token_and_its_access_tokens(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    answer = await oauth.revoke_token(nmbrs.revocation_endpoint, token["refresh_token"], token_type_hint="refresh_token")
    assert answer.status_code == 200
    with pytest.raises(OAuthError) as dead:
        await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"])
    assert dead.value.error == "invalid_grant"
    assert_api_error(await api(nmbrs, "api/user/info", token["access_token"]), 401, 40102)
    unknown = await oauth.revoke_token(nmbrs.revocation_endpoint, "never-issued", token_type_hint="refresh_token")
    assert unknown.status_code == 200 and nmbrs.calls["revocation"] == 2


async def test_revocation_checks_the_client_and_the_request(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    async with AsyncOAuth2Client(PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, timeout=5) as plain:
        refused = await plain.revoke_token(nmbrs.revocation_endpoint, token["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert nmbrs.live_refresh_tokens(EMAIL) == 1
    empty = await oauth.revoke_token(nmbrs.revocation_endpoint, "", token_type_hint="refresh_token")
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_request"


async def test_withdrawn_consent_and_expired_access_tokens(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.expire_access_tokens()
    assert_api_error(await api(nmbrs, "api/user/info", token["access_token"]), 401, 40102)
    renewed = dict(await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"]))
    nmbrs.advance(3600)
    assert_api_error(await api(nmbrs, "api/user/info", renewed["access_token"]), 401, 40102)
    assert nmbrs.revoke_consent(EMAIL) == 1
    with pytest.raises(OAuthError) as withdrawn:
        await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=renewed["refresh_token"])
    assert withdrawn.value.error == "invalid_grant"


async def test_a_refresh_token_dies_after_thirty_idle_days(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.advance(29 * 86400)
    kept = dict(await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"]))
    nmbrs.advance(30 * 86400)
    with pytest.raises(OAuthError) as idle:
        await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=kept["refresh_token"])
    assert idle.value.error == "invalid_grant"


async def test_malformed_token_requests(nmbrs: NmbrsRestStandIn) -> None:
    never_issued = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": "a"})
    assert never_issued.json()["error"] == "invalid_grant"
    unknown = await token_post(nmbrs, {"grant_type": "password", "username": EMAIL, "password": PASSWORD})
    assert unknown.json()["error"] == "unsupported_grant_type"
    no_grant = await token_post(nmbrs, {"code": "x"})
    assert no_grant.json()["error"] == "invalid_request"
    async with httpx.AsyncClient(timeout=5) as http:
        as_json = await http.post(nmbrs.token_endpoint, json={"grant_type": "refresh_token", "refresh_token": "a"})
        repeated = await http.post(nmbrs.token_endpoint, content="grant_type=refresh_token&grant_type=refresh_token",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"


# -- the identity server's failures -------------------------------------------------------------


async def test_identity_server_down_answers_503_or_refuses_connections(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.set_down(True)
    down = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert down.status_code == 503 and down.headers["content-type"].startswith("text/html")
    nmbrs.set_down("refused")
    with pytest.raises(httpx.ConnectError):
        await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    nmbrs.set_down(False)
    back = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert back.status_code == 200 and nmbrs.calls["token.refresh_token"] == 2


async def test_a_lost_refresh_answer_has_rotated_the_token(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.hang_s = 0.2
    nmbrs.fail_next("lost", endpoint="token.refresh_token")
    with pytest.raises(httpx.TransportError):
        await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    retried = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert retried.json()["error"] == "invalid_grant" and nmbrs.live_refresh_tokens(EMAIL) == 1
    assert [r.status for r in nmbrs.requests if r.endpoint == "token.refresh_token"] == [None, 400]


@pytest.mark.parametrize(("kind", "status"), [("html", 503), ("http500", 500), ("http502", 502), ("invalid_grant", 400)])
async def test_identity_injections_answer_without_touching_the_token(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, kind: str, status: int
) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.fail_next(kind, endpoint="token")
    failed = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert failed.status_code == status
    assert (await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})).status_code == 200


async def test_identity_timeout_and_reset(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.hang_s = 1.0
    nmbrs.fail_next("timeout", endpoint="token")
    nmbrs.fail_next("reset", endpoint="token")
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    pair = base64.b64encode(f"{quote_plus(PRACTICE_CLIENT_ID)}:{quote_plus(PRACTICE_CLIENT_SECRET)}".encode()).decode()
    async with httpx.AsyncClient(timeout=0.3, headers={"Authorization": "Basic " + pair}) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(nmbrs.token_endpoint, data=data)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await http.post(nmbrs.token_endpoint, data=data)
        assert (await http.post(nmbrs.token_endpoint, data=data)).status_code == 200


async def test_recorded_requests_name_the_grant_and_hide_every_secret(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await get_code(nmbrs, verifier=verifier)
    token = dict(await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code, code_verifier=verifier))
    await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"])
    await api(nmbrs, "api/user/info", token["access_token"])
    printed = repr(nmbrs.requests)
    for secret in (code, verifier, token["refresh_token"], token["access_token"], PASSWORD, PRACTICE_CLIENT_SECRET, PRACTICE_SUBSCRIPTION_KEY):
        assert secret not in printed
    by_endpoint = {r.endpoint: r for r in nmbrs.requests}
    assert by_endpoint["token.refresh_token"].client_id == PRACTICE_CLIENT_ID
    assert by_endpoint["user/info"].auth_scheme == "Bearer" and by_endpoint["user/info"].subscription_key_sent
    assert ("password", "<redacted>") in by_endpoint["consent"].params
    assert nmbrs.calls == {"authorize": 1, "consent": 1, "token.authorization_code": 1, "token.refresh_token": 1, "user/info": 1}


# -- the API's refusals and failures ------------------------------------------------------------


async def test_subscription_key_and_bearer_token_are_required(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    no_key = assert_api_error(await api(nmbrs, "api/user/info", token["access_token"], key=None), 401, 40100)
    assert no_key["type"] == "authenticationError"
    assert_api_error(await api(nmbrs, "api/user/info", token["access_token"], key="0" * 32), 401, 40100)
    missing = await api(nmbrs, "api/user/info", None)
    assert_api_error(missing, 401, 40101)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    made_up = await api(nmbrs, "api/user/info", "made-up")
    assert_api_error(made_up, 401, 40102)
    assert made_up.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    async with httpx.AsyncClient(timeout=5) as http:
        lower = await http.get(nmbrs.api_url + "api/user/info", headers={
            "Authorization": f"bearer {token['access_token']}", "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY})
    assert lower.status_code == 200  # RFC 6750: the scheme is case-insensitive
    assert_api_error(await api(nmbrs, "api/employees", token["access_token"]), 404, 40401)


async def test_a_missing_scope_is_403(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    code = query_of(await consent(authorize_url(nmbrs, scope="offline_access user.info.read"), email=EMAIL, password=PASSWORD))["code"]
    token = await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    for path in ("api/debtors", "api/debtors/info", "api/companies"):
        assert_api_error(await api(nmbrs, path, token["access_token"]), 403, 40301)
    assert (await api(nmbrs, "api/user/info", token["access_token"])).status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("disabled", 403, 40304),
        ("quota", 429, 42909),
        ("throttled", 429, 42908),
        ("invalid_token", 401, 40102),
        ("several_debtors", 403, 40306),
        ("http500", 500, 50001),
        ("http502", 502, 50201),
        ("http503", 503, 50301),
    ],
)
async def test_api_error_injections(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, kind: str, status: int, code: int) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.fail_next(kind, endpoint="companies", retry_after=7)
    assert (await api(nmbrs, "api/user/info", token["access_token"])).status_code == 200
    failed = await api(nmbrs, "api/companies", token["access_token"])
    assert_api_error(failed, status, code)
    assert ("retry-after" in failed.headers) == (kind == "throttled")
    if kind == "throttled":
        assert failed.headers["retry-after"] == "7"
    assert (await api(nmbrs, "api/companies", token["access_token"])).status_code == 200


async def test_api_html_timeout_reset_and_latency(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.fail_next("html", endpoint="api")
    html = await api(nmbrs, "api/debtors", token["access_token"])
    assert html.status_code == 503 and html.headers["content-type"].startswith("text/html")
    nmbrs.hang_s = 1.0
    nmbrs.fail_next("timeout", endpoint="debtors")
    nmbrs.fail_next("reset", endpoint="debtors")
    headers = {"Authorization": f"Bearer {token['access_token']}", "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY}
    async with httpx.AsyncClient(timeout=0.3, headers=headers) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(nmbrs.api_url + "api/debtors")
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await http.get(nmbrs.api_url + "api/debtors")
    nmbrs.latency_s = 0.3
    async with httpx.AsyncClient(timeout=5, headers=headers) as http:
        started = time.monotonic()
        answers = await asyncio.gather(*(http.get(nmbrs.api_url + "api/debtors") for _ in range(10)))
        took = time.monotonic() - started
    assert all(a.status_code == 200 for a in answers)
    # each request waited its own 0.3 s, side by side: latency does not queue requests
    assert 0.3 <= took < 1.5 and nmbrs.max_in_flight >= 5


async def test_a_disabled_environment_stays_disabled(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.set_environment_disabled(EMAIL)
    for _ in range(2):
        assert_api_error(await api(nmbrs, "api/user/info", token["access_token"]), 403, 40304)
    nmbrs.set_environment_disabled(EMAIL, False)
    assert (await api(nmbrs, "api/user/info", token["access_token"])).status_code == 200


async def test_companies_are_paged(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    nmbrs.users[EMAIL].companies = [RestCompany(n, f"Acme {n} B.V.") for n in range(1, 46)]
    token = await tokens(oauth, nmbrs)
    first = (await api(nmbrs, "api/companies", token["access_token"])).json()
    assert len(first["data"]) == 20 and first["pagination"]["previousPage"] is None
    assert first["pagination"]["totalPages"] == 3 and first["pagination"]["totalRecords"] == 45
    seen, url = [], nmbrs.api_url + "api/companies?pageSize=20"
    headers = {"Authorization": f"Bearer {token['access_token']}", "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY}
    async with httpx.AsyncClient(timeout=5, headers=headers) as http:
        while url:
            page = (await http.get(url)).json()
            seen += [c["number"] for c in page["data"]]
            url = page["pagination"]["nextPage"]
    assert seen == [str(n) for n in range(1, 46)]
    last = (await api(nmbrs, "api/companies", token["access_token"], pageNumber=3, pageSize=20)).json()
    assert len(last["data"]) == 5 and last["pagination"]["nextPage"] is None
    beyond = (await api(nmbrs, "api/companies", token["access_token"], pageNumber=9)).json()
    assert beyond["data"] == [] and beyond["pagination"]["nextPage"] is None


@pytest.mark.parametrize(("name", "value"), [("pageSize", 101), ("pageSize", 0), ("pageNumber", 0), ("pageNumber", "two")])
async def test_bad_paging_is_a_validation_error(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, name: str, value: object) -> None:
    token = await tokens(oauth, nmbrs)
    body = assert_api_error(await api(nmbrs, "api/companies", token["access_token"], **{name: value}), 400, 40033)
    assert body["type"] == "validationError" and body["invalid-params"][0]["name"] == name


def test_unknown_injections_are_refused(server: NmbrsRestStandIn) -> None:
    with pytest.raises(ValueError):
        server.fail_next("explode")
