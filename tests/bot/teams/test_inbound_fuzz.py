"""No body, however malformed, makes an inbound endpoint answer 5xx (issue 12, finding 6).

The running app with Slack, Teams and the hand-off API on: Slack bodies are signed with the
stand-in's signing secret and Teams activities carry valid tokens from the test issuer, so the
mutated requests get past the 401 into the parsing behind it. Hypothesis mutates real payloads
(fields replaced with any JSON value, or deleted); a few named cases from the issue come first."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.apikeys import create_key
from bot.standins.slack.workspace import SIGNING_SECRET
from bot.standins.slack.payloads import (
    block_actions,
    event_callback,
    message_im,
    slash_command,
    view_submission,
)
from tests.bot.teams.conftest import CUSTOMER, Served
from bot.standins.teams.payloads import personal_message

EXAMPLES = 40
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], values: st.SearchStrategy[Any] = JSON) -> dict[str, Any]:
    """`base` with one to three fields (at any depth) replaced by other values or deleted."""
    payload = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        node: Any = payload
        while isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if isinstance(node[key], dict) and node[key] and draw(st.booleans()):
                node = node[key]
                continue
            if draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(values)
            break
    return payload


def sign(body: bytes) -> dict[str, str]:
    # Over the raw bytes, as Slack does (the stand-in's helper decodes the body first).
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def slack_post(url: str) -> Callable[[bytes, str], httpx.Response]:
    def post(body: bytes, content_type: str) -> httpx.Response:
        headers = {"Content-Type": content_type, **sign(body)}
        return httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=30)
    return post


def no_server_error(response: httpx.Response, what: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:200], str(what)[:300])


async def test_named_malformed_bodies_are_refused_with_4xx(app: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    post = slack_post(app.url)
    deep = nested(100_000).encode()
    cases: list[tuple[str, Callable[[], httpx.Response]]] = [
        ("teams: garbage token, deeply nested JSON", lambda: httpx.post(
            f"{app.url}/api/messages", content=nested(20_000).encode(), timeout=30,
            headers={"Authorization": "Bearer garbage", "Content-Type": "application/json"})),
        ("teams: valid token, deeply nested activity", lambda: httpx.post(
            f"{app.url}/api/messages", content=nested(20_000).encode(), timeout=30,
            headers={"Authorization": f"Bearer {app.teams.sign({'serviceUrl': app.teams.service_url})}",
                     "Content-Type": "application/json"})),
        ("slack: signed JSON nested 100,000 deep", lambda: post(deep, "application/json")),
        ("slack: signed payload nested 100,000 deep (over the size cap)", lambda: post(
            urlencode({"payload": nested(100_000)}).encode(), "application/x-www-form-urlencoded")),
        ("slack: signed payload nested 50,000 deep", lambda: post(
            urlencode({"payload": nested(50_000)}).encode(), "application/x-www-form-urlencoded")),
        ("slack: view_submission whose view has no type", lambda: post(
            urlencode({"payload": json.dumps(_without(view_submission("x", {}, "U1").payload, "view", "type"))})
            .encode(), "application/x-www-form-urlencoded")),
        ("slack: event without a type", lambda: post(
            json.dumps(_without(event_callback(message_im("U1", "hi")).payload, "event", "type")).encode(),
            "application/json")),
        ("api: updated_since at the edge of time", lambda: httpx.get(
            f"{app.url}/api/v1/links?updated_since=0001-01-01T00:00:00%2B14:00", timeout=30,
            headers={"Authorization": f"Bearer {key}"})),
        ("api: updated_since past the end of time", lambda: httpx.get(
            f"{app.url}/api/v1/links?updated_since=9999-12-31T23:59:59-14:00", timeout=30,
            headers={"Authorization": f"Bearer {key}"})),
    ]
    async with app.runtime.ctx.desk.sessions() as session, session.begin():
        key = (await create_key(session, name="fuzz")).key
    for name, send in cases:
        caplog.clear()
        response = await asyncio.to_thread(send)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:200])
        if "garbage token" in name:
            assert response.status_code == 401, name  # authenticated before anything is parsed
        assert len(response.text) < 300, name  # a short reason, not the input echoed
        assert not [r for r in caplog.records if r.exc_info], name  # no traceback
        assert [r for r in caplog.records if r.levelno >= logging.INFO and "refused" in r.getMessage()], name


def _without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    node = payload
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return payload


async def test_signed_slack_bodies_never_get_a_server_error(app: Served) -> None:
    post = slack_post(app.url)
    event = event_callback(message_im("U0FUZZ", "my token is 0123456789abcdef0123456789abcdef")).payload
    view = view_submission("connect", {"b": {"a": {"type": "plain_text_input", "value": "x"}}}, "U0FUZZ").payload
    action = block_actions("anything", "U0FUZZ", value="1").payload
    command = slash_command("status", "U0FUZZ", "T0", "C0", "https://example.invalid/r").payload

    @FUZZ
    @given(st.one_of(mutated(event), mutated(view), mutated(action)),
           st.sampled_from(["json", "form"]))
    def interactive(payload: dict[str, Any], encoding: str) -> None:
        if encoding == "json":
            body, content_type = json.dumps(payload).encode(), "application/json"
        else:
            body, content_type = urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
        no_server_error(post(body, content_type), payload)

    @FUZZ
    @given(mutated(command, st.text(max_size=30)), st.binary(max_size=40))
    def commands(fields: dict[str, Any], raw: bytes) -> None:
        no_server_error(post(urlencode(fields).encode(), "application/x-www-form-urlencoded"), fields)
        no_server_error(post(raw, "application/x-www-form-urlencoded"), raw)

    await asyncio.to_thread(interactive)
    await asyncio.to_thread(commands)


async def test_authenticated_teams_activities_never_get_a_server_error(app: Served) -> None:
    base = personal_message(CUSTOMER, "hello", app.teams.service_url)

    @FUZZ
    @given(mutated(base))
    def activities(activity: dict[str, Any]) -> None:
        token = app.teams.sign(activity if isinstance(activity.get("serviceUrl"), str)
                               else {"serviceUrl": app.teams.service_url})
        response = httpx.post(f"{app.url}/api/messages", json=activity, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
        no_server_error(response, activity)

    await asyncio.to_thread(activities)


async def test_api_query_values_never_get_a_server_error(app: Served) -> None:
    async with app.runtime.ctx.desk.sessions() as session, session.begin():
        key = (await create_key(session, name="fuzz")).key
    moments = st.datetimes(timezones=st.timezones() | st.just(None)).map(lambda d: d.isoformat())

    @FUZZ
    @given(st.one_of(moments, st.text(max_size=30)), st.text(max_size=10))
    def queries(updated_since: str, state: str) -> None:
        response = httpx.get(f"{app.url}/api/v1/links", params={"updated_since": updated_since, "state": state},
                             headers={"Authorization": f"Bearer {key}"}, timeout=30)
        no_server_error(response, updated_since)

    await asyncio.to_thread(queries)
