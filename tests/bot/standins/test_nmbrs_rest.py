"""The Nmbrs identity stand-in's code flow and consent page over real HTTP, through Authlib's
httpx OAuth 2.0 client: PKCE, client authentication, single-use codes, redirect checks."""

from __future__ import annotations

import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from bot.standins.nmbrs_rest import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    ConsentPageError,
    NmbrsRestStandIn,
    consent,
)
from tests.bot.standins.rest_helpers import (  # noqa: F401 - fixtures are found by name
    CALLBACK,
    EMAIL,
    PASSWORD,
    SCOPE,
    api,
    assert_api_error,
    authorize_url,
    encoded_client,
    get_code,
    nmbrs,
    oauth,
    query_of,
    server,
    token_post,
    tokens,
)

# -- the code flow ------------------------------------------------------------------------------


async def test_code_flow_with_pkce_gives_tokens_that_open_the_api(nmbrs: NmbrsRestStandIn) -> None:
    async with encoded_client(nmbrs, code_challenge_method="S256", scope=SCOPE) as oauth:
        verifier = secrets.token_urlsafe(48)
        url, state = oauth.create_authorization_url(
            nmbrs.authorize_endpoint, state="s-42", code_verifier=verifier
        )
        assert "code_challenge=" in url and state == "s-42"
        location = await consent(url, email=EMAIL, password=PASSWORD)
        assert query_of(location)["state"] == "s-42"
        token = await oauth.fetch_token(
            nmbrs.token_endpoint, authorization_response=location, code_verifier=verifier
        )
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["scope"] == SCOPE and token["refresh_token"]
    answer = await api(nmbrs, "api/user/info", token["access_token"])
    assert answer.status_code == 200
    user = nmbrs.users[EMAIL]
    assert answer.json()["data"] == [
        {
            "name": "Hanna de Vries",
            "email": EMAIL,
            "language": "EN",
            "debtorId": user.debtor.id,
            "userId": user.id,
        }
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


async def test_authlib_builtin_basic_is_refused_and_the_encoding_method_passes(
    nmbrs: NmbrsRestStandIn,
) -> None:
    code = await get_code(nmbrs)
    async with AsyncOAuth2Client(
        PRACTICE_CLIENT_ID, PRACTICE_CLIENT_SECRET, redirect_uri=CALLBACK, timeout=5
    ) as plain:
        assert plain.token_endpoint_auth_method == "client_secret_basic"
        with pytest.raises(OAuthError) as refused:
            await plain.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert refused.value.error == "invalid_client"
    assert nmbrs.auth_failures == ["the secret was sent without percent-encoding (RFC 6749 §2.3.1)"]
    # A failed client authentication does not touch the code: the right client still redeems it.
    async with encoded_client(nmbrs) as oauth:
        token = await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert token["access_token"]


async def test_client_authentication_other_than_encoded_basic_is_invalid_client(
    nmbrs: NmbrsRestStandIn,
) -> None:
    code = await get_code(nmbrs)
    wrong = await token_post(
        nmbrs, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}, secret="nope"
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["Cache-Control"] == "no-store" and wrong.headers["WWW-Authenticate"].startswith(
        "Basic"
    )
    async with httpx.AsyncClient(timeout=5) as http:
        posted = await http.post(
            nmbrs.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": PRACTICE_CLIENT_ID,
                "client_secret": PRACTICE_CLIENT_SECRET,
            },
        )
    assert posted.status_code == 401 and posted.json()["error"] == "invalid_client"
    assert nmbrs.auth_failures == [
        "wrong client secret",
        "client_secret in the body; this server takes HTTP Basic only",
    ]


async def test_a_reused_code_is_refused_and_revokes_what_it_gave(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
    code = await get_code(nmbrs)
    first = await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert (await api(nmbrs, "api/user/info", first["access_token"])).status_code == 200
    with pytest.raises(OAuthError) as replay:
        await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=code)
    assert replay.value.error == "invalid_grant"
    assert_api_error(await api(nmbrs, "api/user/info", first["access_token"]), 401, 40102)
    refresh = await token_post(
        nmbrs, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


async def test_a_code_lives_five_minutes(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    fresh = await get_code(nmbrs)
    nmbrs.advance(299)
    assert (await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=fresh))[
        "access_token"
    ]
    stale = await get_code(nmbrs)
    nmbrs.advance(301)
    with pytest.raises(OAuthError) as expired:
        await oauth.fetch_token(nmbrs.token_endpoint, grant_type="authorization_code", code=stale)
    assert expired.value.error == "invalid_grant" and "expired" in expired.value.description


async def test_the_redirect_uri_must_be_the_one_of_the_authorization(nmbrs: NmbrsRestStandIn) -> None:
    code = await get_code(nmbrs)
    other = await token_post(
        nmbrs, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK + "/"}
    )
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
        plain_pkce = await http.get(
            authorize_url(nmbrs, code_challenge="x" * 43, code_challenge_method="plain")
        )
        token_type = await http.get(authorize_url(nmbrs, response_type="token"))
    assert query_of(bad_scope.headers["location"]) == {
        "error": "invalid_scope",
        "error_description": "Unknown scope: payroll.everything",
        "state": "st-1",
    }
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
    good = await token_post(
        nmbrs,
        {
            "grant_type": "authorization_code",
            "code": await get_code(nmbrs, verifier=verifier),
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert good.status_code == 200


# -- the consent page ---------------------------------------------------------------------------


async def test_cancel_goes_back_with_access_denied(nmbrs: NmbrsRestStandIn) -> None:
    location = await consent(authorize_url(nmbrs, state="s-9"), button="cancel")
    assert query_of(location) == {
        "error": "access_denied",
        "error_description": "The user denied access.",
        "state": "s-9",
    }


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
