"""The Nmbrs REST API stand-in over real HTTP: subscription key, bearer token and scope checks,
every injected error in the spec's shape, latency, paging."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client

from bot.standins.nmbrs_rest import (
    PRACTICE_SUBSCRIPTION_KEY,
    NmbrsRestStandIn,
    RestCompany,
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

# -- the API's refusals and failures ------------------------------------------------------------


async def test_subscription_key_and_bearer_token_are_required(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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
        lower = await http.get(
            nmbrs.api_url + "api/user/info",
            headers={
                "Authorization": f"bearer {token['access_token']}",
                "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY,
            },
        )
    assert lower.status_code == 200  # RFC 6750: the scheme is case-insensitive
    assert_api_error(await api(nmbrs, "api/employees", token["access_token"]), 404, 40401)


async def test_a_missing_scope_is_403(nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client) -> None:
    code = query_of(
        await consent(
            authorize_url(nmbrs, scope="offline_access user.info.read"), email=EMAIL, password=PASSWORD
        )
    )["code"]
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
async def test_api_error_injections(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, kind: str, status: int, code: int
) -> None:
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
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY,
    }
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


async def test_a_disabled_environment_stays_disabled(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client
) -> None:
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
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "X-Subscription-Key": PRACTICE_SUBSCRIPTION_KEY,
    }
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


@pytest.mark.parametrize(
    ("name", "value"), [("pageSize", 101), ("pageSize", 0), ("pageNumber", 0), ("pageNumber", "two")]
)
async def test_bad_paging_is_a_validation_error(
    nmbrs: NmbrsRestStandIn, oauth: AsyncOAuth2Client, name: str, value: object
) -> None:
    token = await tokens(oauth, nmbrs)
    body = assert_api_error(
        await api(nmbrs, "api/companies", token["access_token"], **{name: value}), 400, 40033
    )
    assert body["type"] == "validationError" and body["invalid-params"][0]["name"] == name


def test_unknown_injections_are_refused(server: NmbrsRestStandIn) -> None:
    with pytest.raises(ValueError):
        server.fail_next("explode")
    with pytest.raises(ValueError):
        server.fail_next("quota", endpoint="company")  # a typo would otherwise never fire
