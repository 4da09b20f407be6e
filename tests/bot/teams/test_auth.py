"""Every activity's Bot Framework JWT is validated by the SDK against the test issuer's keys; without a
valid one the request is refused and nothing runs (no claim, no reference, no connector call)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from bot.standins.teams.payloads import personal_message
from storage.models import InboundDelivery, IntakeAttempt, TeamsReference
from tests.bot.teams.conftest import CUSTOMER, TOKEN, USERNAME, Served


async def _nothing_happened(app: Served) -> None:
    await app.settle()
    assert app.teams.sent() == []
    async with app.runtime.ctx.desk.sessions() as session:
        for model in (InboundDelivery, TeamsReference, IntakeAttempt):
            assert await session.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def _activity(app: Served) -> dict:
    return personal_message(CUSTOMER, f"{USERNAME} {TOKEN}", app.teams.service_url)


async def test_a_valid_token_is_accepted(app: Served) -> None:
    response = await app.post(_activity(app))
    assert response.status_code == 200
    await app.settle()
    assert len(app.teams.sent(conversation=CUSTOMER.chat)) == 1


async def test_no_authorization_header(app: Served) -> None:
    response = await app.http.post("/api/messages", json=_activity(app))
    assert response.status_code == 401
    await _nothing_happened(app)


@pytest.mark.parametrize("bearer", ["garbage", "a.b.c", "x" * 5000])
async def test_malformed_tokens(app: Served, bearer: str) -> None:
    response = await app.post(_activity(app), token=bearer)
    assert response.status_code == 401
    await _nothing_happened(app)


@pytest.mark.parametrize("case", ["other_key", "unknown_kid", "audience", "issuer", "expired", "service_url"])
async def test_invalid_tokens_are_refused(app: Served, case: str) -> None:
    activity = _activity(app)
    options: dict = {
        "other_key": {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
        "unknown_kid": {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048), "kid": "not-ours"},
        "audience": {"audience": "some-other-bot"},
        "issuer": {"issuer": "https://evil.example"},
        "expired": {"expires_in": -3600},  # beyond the SDK's 5 minutes of clock skew
        "service_url": {"service_url": "https://attacker.example/teams/"},
    }[case]
    response = await app.post(activity, **options)
    assert response.status_code == 401
    await _nothing_happened(app)


async def test_a_token_for_another_activity_service_url_is_refused(app: Served) -> None:
    """The serviceurl claim binds the token to where replies go: a replayed token cannot redirect them."""
    activity = _activity(app)
    token = app.teams.sign(activity)
    activity["serviceUrl"] = "http://127.0.0.1:9/teams/"
    response = await app.post(activity, token=token)
    assert response.status_code == 401
    await _nothing_happened(app)


async def test_bodies_that_are_no_activity(app: Served) -> None:
    token = app.teams.sign(_activity(app))
    headers = {"Authorization": f"Bearer {token}"}
    response = await app.http.post("/api/messages", content=b"text", headers={**headers, "Content-Type": "text/plain"})
    assert response.status_code == 415
    response = await app.http.post("/api/messages", content=b"{nope", headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    response = await app.http.post("/api/messages", json=[1, 2], headers=headers)
    assert response.status_code == 400
    response = await app.http.post("/api/messages", json={"text": "no type"}, headers=headers)
    assert response.status_code == 400
    await _nothing_happened(app)


async def test_a_retried_activity_is_handled_once(app: Served) -> None:
    activity = _activity(app)
    for _ in range(3):
        response = await app.post(activity)
        assert response.status_code == 200
        await app.settle()
    assert len(app.teams.sent(conversation=CUSTOMER.chat)) == 1
    assert app.nmbrs.calls["DebtorService.Environment_Get"] == 1
