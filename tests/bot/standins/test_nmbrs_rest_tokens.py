"""The Nmbrs identity stand-in's refresh rotation, revocation, outages and injected failures,
and what it records, over real HTTP through Authlib's httpx OAuth 2.0 client."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
    RestDebtor,
    start_rest_standin,
)
from tests.bot.standins.rest_helpers import (  # noqa: F401 - fixtures are found by name
    CALLBACK,
    EMAIL,
    PASSWORD,
    SCOPE,
    api,
    assert_api_error,
    authorize_url,
    basic,
    encoded_client,
    get_code,
    nmbrs,
    oauth,
    query_of,
    server,
    token_post,
    tokens,
)

# -- refresh and revocation ---------------------------------------------------------------------


async def test_refresh_rotates_and_the_spent_token_is_dead(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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


async def test_refused_mode_also_cuts_kept_alive_connections(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    token = await tokens(oauth, nmbrs)
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    async with httpx.AsyncClient(timeout=2, headers={"Authorization": basic()}) as http:
        await http.post(nmbrs.revocation_endpoint, data={"token": "unknown"})  # opens a pooled connection
        nmbrs.set_down("refused")
        with pytest.raises(httpx.TransportError):
            await http.post(nmbrs.token_endpoint, data=data)
    nmbrs.set_down(False)
    assert (await token_post(nmbrs, data)).status_code == 200


async def test_switches_omit_scope_and_refresh_token(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    first = await tokens(oauth, nmbrs)
    nmbrs.omit_scope = True
    nmbrs.omit_refresh_token = True
    answer = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert set(answer.json()) == {"access_token", "expires_in", "token_type"}


async def test_revocation_kills_the_refresh_token_and_its_access_tokens(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    token = await tokens(oauth, nmbrs)
    answer = await oauth.revoke_token(
        nmbrs.revocation_endpoint, token["refresh_token"], token_type_hint="refresh_token"
    )
    assert answer.status_code == 200
    with pytest.raises(OAuthError) as dead:
        await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"])
    assert dead.value.error == "invalid_grant"
    assert_api_error(await api(nmbrs, "api/user/info", token["access_token"]), 401, 40102)
    unknown = await oauth.revoke_token(
        nmbrs.revocation_endpoint, "never-issued", token_type_hint="refresh_token"
    )
    assert unknown.status_code == 200 and nmbrs.calls["revocation"] == 2


async def test_revocation_checks_the_client_and_the_request(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    token = await tokens(oauth, nmbrs)
    async with AsyncOAuth2Client(PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, timeout=5) as plain:
        refused = await plain.revoke_token(nmbrs.revocation_endpoint, token["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert nmbrs.live_refresh_tokens(EMAIL) == 1
    empty = await oauth.revoke_token(nmbrs.revocation_endpoint, "", token_type_hint="refresh_token")
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_request"


async def test_withdrawn_consent_and_expired_access_tokens(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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


async def test_a_refresh_token_dies_after_thirty_idle_days(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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
        as_json = await http.post(
            nmbrs.token_endpoint, json={"grant_type": "refresh_token", "refresh_token": "a"}
        )
        repeated = await http.post(
            nmbrs.token_endpoint,
            content="grant_type=refresh_token&grant_type=refresh_token",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"


# -- the identity server's failures -------------------------------------------------------------


async def test_identity_server_down_answers_503_or_refuses_connections(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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


async def test_a_lost_refresh_answer_has_rotated_the_token(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.hang_s = 0.2
    nmbrs.fail_next("lost", endpoint="token.refresh_token")
    with pytest.raises(httpx.TransportError):
        await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    retried = await token_post(
        nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    )
    assert retried.json()["error"] == "invalid_grant" and nmbrs.live_refresh_tokens(EMAIL) == 1
    assert [r.status for r in nmbrs.requests if r.endpoint == "token.refresh_token"] == [None, 400]


@pytest.mark.parametrize(
    ("kind", "status"), [("html", 503), ("http500", 500), ("http502", 502), ("invalid_grant", 400)]
)
async def test_identity_injections_answer_without_touching_the_token(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, kind: str, status: int
) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.fail_next(kind, endpoint="token")
    failed = await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert failed.status_code == status
    assert (
        await token_post(nmbrs, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    ).status_code == 200


async def test_identity_timeout_and_reset(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    token = await tokens(oauth, nmbrs)
    nmbrs.hang_s = 1.0
    nmbrs.fail_next("timeout", endpoint="token")
    nmbrs.fail_next("reset", endpoint="token")
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    async with httpx.AsyncClient(timeout=0.3, headers={"Authorization": basic()}) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(nmbrs.token_endpoint, data=data)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await http.post(nmbrs.token_endpoint, data=data)
        assert (await http.post(nmbrs.token_endpoint, data=data)).status_code == 200


async def test_recorded_requests_name_the_grant_and_hide_every_secret(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await get_code(nmbrs, verifier=verifier)
    token = dict(
        await oauth.fetch_token(
            nmbrs.token_endpoint, grant_type="authorization_code", code=code, code_verifier=verifier
        )
    )
    await oauth.refresh_token(nmbrs.token_endpoint, refresh_token=token["refresh_token"])
    await api(nmbrs, "api/user/info", token["access_token"])
    printed = repr(nmbrs.requests)
    for secret in (
        code,
        verifier,
        token["refresh_token"],
        token["access_token"],
        PASSWORD,
        PRACTICE_CLIENT_SECRET,
        PRACTICE_SUBSCRIPTION_KEY,
    ):
        assert secret not in printed
    by_endpoint = {r.endpoint: r for r in nmbrs.requests}
    assert by_endpoint["token.refresh_token"].client_id == PRACTICE_CLIENT_ID
    assert by_endpoint["user/info"].auth_scheme == "Bearer" and by_endpoint["user/info"].subscription_key_sent
    assert ("password", "<redacted>") in by_endpoint["consent"].params
    assert nmbrs.calls == {
        "authorize": 1,
        "consent": 1,
        "token.authorization_code": 1,
        "token.refresh_token": 1,
        "user/info": 1,
    }


async def test_the_access_token_lifetime_is_configurable() -> None:
    with start_rest_standin(redirect_uris=[CALLBACK], access_lifetime_s=60) as short:
        short.add_user(EMAIL, PASSWORD, debtor=RestDebtor(7, "Kort B.V."))
        async with encoded_client(short) as client:
            token = await tokens(client, short)
        assert token["expires_in"] == 60
        # The stand-in's clock is the wall clock plus what the test advances, so the valid check keeps
        # a wide margin (a loaded machine once took over a second between the token and the call).
        short.advance(30)
        assert (await api(short, "api/user/info", token["access_token"])).status_code == 200
        short.advance(31)
        assert_api_error(await api(short, "api/user/info", token["access_token"]), 401, 40102)
