"""The REST gateway against the REST stand-ins over HTTP: percent-encoded client authentication,
no automatic refresh, and each kind of answer mapped to the domain's words."""

from __future__ import annotations

import pytest

from bot.standins.nmbrs_rest import NmbrsRestStandIn, RestCompany, RestDebtor, consent
from handlers.model import Rejected, RejectionCategory, RestView, TokenAnswer, Unreachable, UnreachableCause
from tests.bot.standins.rest_helpers import EMAIL, PASSWORD, authorize_url, query_of
from tests.handlers.recheck.rest_desk import make_gateway, rest_server  # noqa: F401 - fixture


@pytest.fixture
def nmbrs(rest_server: NmbrsRestStandIn) -> NmbrsRestStandIn:
    rest_server.reset()
    rest_server.add_user(EMAIL, PASSWORD, debtor=RestDebtor(101, "Acme Holding"),
                         companies=[RestCompany(i, f"Acme {i} B.V.") for i in range(1, 151)])
    return rest_server


async def _tokens(nmbrs: NmbrsRestStandIn, **options: object) -> TokenAnswer:
    gateway = make_gateway(nmbrs, **options)
    try:
        code = query_of(await consent(authorize_url(nmbrs), email=EMAIL, password=PASSWORD))["code"]
        answer = await gateway.exchange(code, code_verifier=None)
    finally:
        await gateway.aclose()
    assert isinstance(answer, TokenAnswer), answer
    return answer


async def test_exchange_refresh_and_read_with_the_practice_secret(nmbrs: NmbrsRestStandIn) -> None:
    tokens = await _tokens(nmbrs)
    assert nmbrs.auth_failures == []  # the secret's `*$%:` characters went percent-encoded
    gateway = make_gateway(nmbrs)
    try:
        view = await gateway.inspect(tokens.access_token)
        assert isinstance(view, RestView) and view.user.email == EMAIL and len(view.companies) == 150  # 2 pages
        assert nmbrs.calls["companies"] == 2
        again = await gateway.refresh(tokens.refresh_token or "")
        assert isinstance(again, TokenAnswer) and again.refresh_token != tokens.refresh_token
        spent = await gateway.refresh(tokens.refresh_token or "")
        assert isinstance(spent, Rejected) and spent.category is RejectionCategory.CONSENT
        assert "refresh_token" not in repr(again) and (again.refresh_token or "") not in repr(again)
        assert await gateway.revoke(again.refresh_token or "") and nmbrs.live_refresh_tokens(EMAIL) == 0
    finally:
        await gateway.aclose()
    assert nmbrs.calls["token.refresh_token"] == 2  # nothing refreshed by itself


@pytest.mark.parametrize("kind,cause,code", [
    ("http503", UnreachableCause.HTTP_ERROR, 50301), ("http500", UnreachableCause.HTTP_ERROR, 50001),
    ("html", UnreachableCause.HTML, None),
])
async def test_outages_of_the_api_are_transient(nmbrs: NmbrsRestStandIn, kind: str, cause: UnreachableCause,
                                                code: int | None) -> None:
    tokens = await _tokens(nmbrs)
    nmbrs.fail_next(kind, endpoint="user/info")
    gateway = make_gateway(nmbrs)
    try:
        answer = await gateway.inspect(tokens.access_token)
    finally:
        await gateway.aclose()
    assert isinstance(answer, Unreachable) and answer.cause is cause and answer.code == code and answer.transient


async def test_a_timeout_on_the_token_endpoint_is_not_retried(nmbrs: NmbrsRestStandIn) -> None:
    tokens = await _tokens(nmbrs)
    nmbrs.hang_s = 2
    nmbrs.fail_next("timeout", endpoint="token.refresh_token")
    gateway = make_gateway(nmbrs, read_timeout_s=0.5, retries=2)
    try:
        answer = await gateway.refresh(tokens.refresh_token or "")
    finally:
        await gateway.aclose()
    assert isinstance(answer, Unreachable) and answer.cause is UnreachableCause.TIMEOUT and answer.maybe_delivered
    assert nmbrs.calls["token.refresh_token"] == 1


async def test_a_refused_identity_server_is_retried_then_transient(nmbrs: NmbrsRestStandIn) -> None:
    tokens = await _tokens(nmbrs)
    nmbrs.set_down("refused")
    gateway = make_gateway(nmbrs, retries=2)
    try:
        answer = await gateway.refresh(tokens.refresh_token or "")
    finally:
        nmbrs.set_down(False)
        await gateway.aclose()
    assert isinstance(answer, Unreachable) and answer.cause is UnreachableCause.CONNECTION
    assert not answer.maybe_delivered


async def test_answers_over_the_cap_are_not_read(nmbrs: NmbrsRestStandIn) -> None:
    tokens = await _tokens(nmbrs)
    gateway = make_gateway(nmbrs, max_answer_bytes=2000)  # 100 companies a page are larger than that
    try:
        answer = await gateway.inspect(tokens.access_token)
    finally:
        await gateway.aclose()
    assert isinstance(answer, Unreachable) and answer.cause is UnreachableCause.MALFORMED
    assert "larger than" in answer.detail


async def test_an_unknown_code_is_unexpected_not_definitive(nmbrs: NmbrsRestStandIn) -> None:
    tokens = await _tokens(nmbrs)
    nmbrs.fail_next("several_debtors", endpoint="companies")
    gateway = make_gateway(nmbrs)
    try:
        answer = await gateway.inspect(tokens.access_token)
    finally:
        await gateway.aclose()
    assert isinstance(answer, Rejected) and answer.code == 40306 and answer.unexpected


