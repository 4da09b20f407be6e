"""The endpoint's guard: signatures, malformed and oversized bodies, health and metrics."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from sqlalchemy import func, select

from bot.metrics import Metrics
from bot.standins.slack.payloads import (
    SlackRequest,
    app_mention,
    event_callback,
    message_changed,
    message_im,
    sign,
    slash_command,
    url_verification,
)
from bot.standins.slack.workspace import SIGNING_SECRET
from bot.web import MAX_BODY, build_web_app
from storage.db import create_engine, session_factory
from storage.models import InboundDelivery, Link
from tests.bot.slack.conftest import CUSTOMER, TOKEN, USERNAME, Served, serving


async def _count(app: Served, model: type) -> int:
    async with app.ctx.desk.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def _credentials_dm() -> SlackRequest:
    return event_callback(message_im(CUSTOMER, f"{USERNAME} {TOKEN}"))


async def test_url_verification_signed_is_answered(app: Served) -> None:
    response = await app.send(url_verification("challenge-123"))
    assert response.status_code == 200
    assert response.json() == {"challenge": "challenge-123"}


async def test_url_verification_unsigned_is_refused(app: Served) -> None:
    request = url_verification("challenge-123")
    response = await app.http.post("/slack/events", content=request.body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "challenge-123" not in response.text


async def test_bad_signature_is_refused_and_nothing_runs(app: Served) -> None:
    response = await app.send(_credentials_dm(), secret="not-the-signing-secret")
    await app.settle()
    assert response.status_code == 401
    assert app.slack.calls() == []
    assert app.nmbrs.total_calls == 0
    assert await _count(app, InboundDelivery) == 0


async def test_missing_signature_headers_are_refused(app: Served) -> None:
    request = _credentials_dm()
    for drop in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        headers = {k: v for k, v in request.headers().items() if k != drop}
        response = await app.http.post("/slack/events", content=request.body, headers=headers)
        assert response.status_code == 401, drop
    await app.settle()
    assert app.slack.calls() == [] and app.nmbrs.total_calls == 0


async def test_a_signature_older_than_five_minutes_is_refused(app: Served) -> None:
    response = await app.send(_credentials_dm(), timestamp=int(time.time()) - 301)
    await app.settle()
    assert response.status_code == 401
    assert app.slack.calls() == [] and app.nmbrs.total_calls == 0


async def test_a_tampered_body_is_refused(app: Served) -> None:
    request = _credentials_dm()
    headers = request.headers()
    response = await app.http.post("/slack/events", content=request.body.replace(b"hr@", b"hq@"), headers=headers)
    assert response.status_code == 401


def _sign_bytes(body: bytes) -> dict[str, str]:
    # bot.standins.slack.payloads.sign decodes the body as UTF-8; these bodies need not be.
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def _signed(app: Served, body: bytes, content_type: str) -> httpx.Response:
    headers = {"Content-Type": content_type, **_sign_bytes(body)}
    return await app.http.post("/slack/events", content=body, headers=headers)


async def test_malformed_bodies_are_400(app: Served) -> None:
    cases = [
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
        (b"a=1&&&b", "application/x-www-form-urlencoded"),
    ]
    for body, content_type in cases:
        response = await _signed(app, body, content_type)
        assert response.status_code == 400, body
    # Valid JSON that is not what Slack sends: still a clear 400 or a quiet acknowledgement, never a 500.
    odd = [
        {"type": "event_callback", "event": "not an object"},
        {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "subtype": "message_changed",
                                                                 "channel": "D1", "message": "x", "channel_type": "im"}},
        {"type": "event_callback", "event": {"type": "message", "channel_type": "im", "user": ["U1"], "text": 5}},
        {"type": "block_actions", "user": "U1", "actions": "x"},
        {"type": "view_submission", "view": "x", "user": {"id": "U1"}},
        {"type": "event_callback", "authorizations": "x", "event": {"type": "app_mention"}},
    ]
    for payload in odd:
        response = await _signed(app, json.dumps(payload).encode(), "application/json")
        assert response.status_code in (200, 400, 404), (payload, response.status_code)
    await app.settle()
    # The server is still fine afterwards.
    assert (await app.send(url_verification("still-alive"))).json() == {"challenge": "still-alive"}


async def test_an_oversized_body_is_413_by_content_length(app: Served) -> None:
    body = json.dumps({"type": "event_callback", "padding": "x" * MAX_BODY}).encode()
    response = await _signed(app, body, "application/json")
    assert response.status_code == 413


async def test_an_oversized_streamed_body_is_413(app: Served) -> None:
    chunk = b"x" * 65536

    async def stream():  # no Content-Length: chunked transfer
        for _ in range(MAX_BODY // len(chunk) + 2):
            yield chunk

    headers = {"Content-Type": "application/json", **sign(b"", SIGNING_SECRET)}
    response = await app.http.post("/slack/events", content=stream(), headers=headers)
    assert response.status_code == 413
    assert (await app.send(url_verification("after"))).status_code == 200


async def test_unknown_message_subtypes_are_acknowledged_silently(app: Served) -> None:
    for subtype in ("message_deleted", "channel_join", "bot_message", "me_message", "something_new"):
        event = {"type": "message", "subtype": subtype, "channel": "D0CUST", "channel_type": "im",
                 "ts": f"{time.time():.6f}", "event_ts": f"{time.time():.6f}"}
        response = await app.send(event_callback(event))
        assert response.status_code == 200, subtype
    await app.settle()
    assert app.slack.calls("chat.postMessage") == []


async def test_slash_command_without_commands_module_does_not_crash(app: Served) -> None:
    request = slash_command("help", CUSTOMER, "T0TOKDESK", "D0CUST", app.slack.response_url("cmd"))
    response = await app.send(request)
    assert response.status_code in (200, 404)


async def test_healthz_ok(app: Served) -> None:
    response = await app.http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and "scheduler" in body


async def test_healthz_failing_check_is_503(app: Served) -> None:
    app.runtime.web_app.state.health_checks["scheduler"] = lambda: (False, "lease lost")
    response = await app.http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"] == "lease lost" and response.json()["status"] == "failing"


async def test_healthz_database_down_is_503() -> None:
    engine = create_engine("postgresql://tokendesk:secret@127.0.0.1:1/tokendesk")  # nothing listens there
    web_app = build_web_app(session_factory(engine), metrics=Metrics())
    try:
        async with serving(web_app) as url, httpx.AsyncClient(base_url=url) as http:
            response = await http.get("/healthz")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["database"].startswith("unavailable")
    assert "secret" not in response.text


async def test_metrics_count_requests_and_links(app: Served) -> None:
    await app.send(url_verification("x"))
    await app.send(_credentials_dm(), secret="wrong")
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    assert await _count(app, Link) == 1
    text = (await app.http.get("/metrics")).text
    assert 'tokendesk_slack_requests_total{kind="url_verification",status="200"} 1.0' in text
    assert 'tokendesk_slack_requests_total{kind="unknown",status="401"} 1.0' in text
    assert 'tokendesk_slack_requests_total{kind="event",status="200"} 1.0' in text
    assert 'tokendesk_links{state="active"} 1.0' in text
    assert 'tokendesk_links{state="broken"} 0.0' in text


def test_delivery_ids() -> None:
    from bot.slack.dedupe import delivery_ids

    dm = event_callback(message_im(CUSTOMER, "hi", ts="1700000000.000100"), event_id="Ev1").payload
    assert delivery_ids(dm) == ["Ev1", "D0CUST:1700000000.000100"]
    edit = event_callback(message_changed(CUSTOMER, "hi", ts="1700000000.000100"), event_id="Ev2").payload
    edited_ts = edit["event"]["message"]["edited"]["ts"]
    assert delivery_ids(edit) == ["Ev2", f"D0CUST:1700000000.000100:{edited_ts}"]
    mention = event_callback(app_mention(CUSTOMER, "hi", "C1", ts="1700000000.000200"), event_id="Ev3").payload
    assert delivery_ids(mention) == ["Ev3", "mention:C1:1700000000.000200"]
    assert delivery_ids({"type": "block_actions"}) == []
    assert delivery_ids({"type": "event_callback", "event_id": "Ev4", "event": {
        "type": "message", "subtype": "message_changed", "channel": "D1", "message": {"ts": "1.2", "edited": "x"},
        "ts": "1.3"}}) == ["Ev4", "D1:1.2:1.3"]
