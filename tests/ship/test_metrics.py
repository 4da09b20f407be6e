"""GET /metrics over real HTTP: every metric the README lists, fed by real intakes, checks, runs and alerts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, select

from bot.metrics import CheckTally
from bot.slack.blocks import CONNECT_ACTION, CONNECT_VIEW, INPUT_ACTION, TOKEN_BLOCK, USERNAME_BLOCK
from bot.standins.slack.payloads import (
    block_actions,
    event_callback,
    message_im,
    sign,
    slash_command,
    url_verification,
    view_submission,
)
from bot.standins.slack.workspace import SIGNING_SECRET, TEAM_ID
from bot.web import MAX_BODY
from storage.models import Check, Link
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, OTHER_TOKEN, TOKEN, USERNAME, Served

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(app: Served) -> tuple[str, Samples]:
    response = await app.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body, SIGNING_SECRET)}


async def test_slack_requests_by_kind_and_status(app: Served) -> None:
    await app.send(url_verification("x"))
    await app.send(event_callback(message_im(CUSTOMER, "hello")))
    await app.send(slash_command("help", CUSTOMER, TEAM_ID, "D0CUST", app.slack.response_url("cmd")))
    await app.send(block_actions(CONNECT_ACTION, ENGLISH, value="connect"))
    [opened] = await app.slack.wait_for_async("views.open")
    view = opened.response["view"]
    await app.send(view_submission(
        CONNECT_VIEW, {USERNAME_BLOCK: {INPUT_ACTION: None}, TOKEN_BLOCK: {INPUT_ACTION: None}}, ENGLISH,
        private_metadata=view["private_metadata"], view_id=view["id"], view_hash=view["hash"],
    ))
    other = json.dumps({"type": "app_rate_limited", "team_id": TEAM_ID}).encode()
    await app.http.post("/slack/events", content=other, headers=signed(other))
    # Refused: a bad signature (401), a signed body that is no Slack payload (400), too large,
    # declared (413 before any route) or streamed without a length (413 while reading).
    await app.send(url_verification("x"), secret="wrong")
    await app.http.post("/slack/events", content=b"[1, 2]", headers=signed(b"[1, 2]"))
    big = b"x" * (MAX_BODY + 1)
    assert (await app.http.post("/slack/events", content=big, headers=signed(big))).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * (MAX_BODY // 2)

    streamed = await app.http.post("/slack/events", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    await app.settle()

    _, samples = await scrape(app)
    requests = {dict(labels)["kind"] + "/" + dict(labels)["status"]: n
                for (name, labels), n in samples.items() if name == "tokendesk_slack_requests_total"}
    assert requests == {
        "url_verification/200": 1, "event/200": 1, "command/200": 1, "action/200": 1,
        "view_submission/200": 1, "other/404": 1, "unknown/401": 1, "unknown/400": 1, "unknown/413": 2,
    }, requests


async def test_checks_calls_alerts_and_runs(app: Served) -> None:
    _, before = await scrape(app)
    assert value(before, "tokendesk_recheck_last_finished_timestamp_seconds") == 0
    assert value(before, "tokendesk_alerts_sent_total", kind="activated") == 0  # every kind from the start

    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")  # valid: the link activates, support is told
    await app.dm(ENGLISH, f"{USERNAME} {OTHER_TOKEN}")  # rejected by Nmbrs (1001)
    started = datetime.now(timezone.utc)
    assert app.ctx.recheck is not None
    await app.ctx.recheck.run(trigger="schedule")
    await app.settle()

    text, samples = await scrape(app)
    assert value(samples, "tokendesk_checks_total", trigger="intake", outcome="valid") == 1
    # A rejected first submission stores no link, hence no check (the Nmbrs call is timed below).
    assert value(samples, "tokendesk_checks_total", trigger="intake", outcome="rejected") is None
    assert value(samples, "tokendesk_checks_total", trigger="recheck", outcome="valid") == 1
    assert value(samples, "tokendesk_links", state="active") == 1
    assert value(samples, "tokendesk_alerts_sent_total", kind="activated") == 1
    finished = value(samples, "tokendesk_recheck_last_finished_timestamp_seconds")
    assert finished is not None and started.timestamp() - 1 <= finished <= datetime.now(timezone.utc).timestamp()
    # Each HTTP attempt is timed: two validations and one re-check asked Environment_Get.
    ok = value(samples, "tokendesk_nmbrs_call_seconds_count", operation="DebtorService.Environment_Get", outcome="ok")
    refused = value(samples, "tokendesk_nmbrs_call_seconds_count",
                    operation="DebtorService.Environment_Get", outcome="credentials")
    assert ok == 2 and refused == 1
    assert value(samples, "tokendesk_nmbrs_call_seconds_bucket",
                 operation="DebtorService.Environment_Get", outcome="ok", le="+Inf") == 2

    # A support person's check all is not a night: the timestamp stays.
    await app.ctx.recheck.run(trigger="manual")
    _, after = await scrape(app)
    assert value(after, "tokendesk_recheck_last_finished_timestamp_seconds") == finished
    assert value(after, "tokendesk_checks_total", trigger="recheck", outcome="valid") == 2  # a run's checks

    # No username, token or token ending in the exposition (labels are fixed sets). An ending is
    # four characters a measured latency may contain, so it is looked for in names and labels only.
    for secret in (USERNAME, TOKEN, OTHER_TOKEN, "acme"):
        assert secret not in text
    keys = [*samples, *after]
    words = {name for name, _ in keys} | {part for _, labels in keys for label in labels for part in label}
    for ending in (TOKEN[-4:], OTHER_TOKEN[-4:]):
        assert not any(ending in word for word in words), ending


async def test_a_failing_refresh_still_answers(app: Served) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    _, samples = await scrape(app)
    await app.ctx.desk.engine.dispose()
    database = app.ctx.desk.settings.database_url.removeprefix("sqlite:///")
    with open(database, "r+b") as handle:  # not a database any more
        handle.write(b"garbage" * 4096)
    response = await app.http.get("/metrics")
    assert response.status_code == 200
    assert 'tokendesk_links{state="active"} 1.0' in response.text  # the last values stay


async def test_check_tally_counts_old_checks_once(app: Served) -> None:
    await app.dm(CUSTOMER, f"{USERNAME} {TOKEN}")
    now = datetime.now(timezone.utc)
    clock = [now]
    tally = CheckTally(settle=timedelta(minutes=10), clock=lambda: clock[0])
    async with app.ctx.desk.sessions() as session, session.begin():
        link_id = await session.scalar(select(Link.id))
        session.add(Check(link_id=link_id, checked_at=now - timedelta(days=3), trigger="recheck", outcome="valid"))
    async with app.ctx.desk.sessions() as session:
        await tally.refresh(session)
    assert tally.current == {("intake", "valid"): 1, ("recheck", "valid"): 1}

    clock[0] = now + timedelta(minutes=20)  # the intake check settles too
    async with app.ctx.desk.sessions() as session, session.begin():
        session.add(Check(link_id=link_id, checked_at=clock[0], trigger="recheck", outcome="unreachable"))
        # Settled rows are not read again: deleting one (its link deleted) does not lower the counter.
        await session.execute(delete(Check).where(Check.checked_at < now - timedelta(days=1)))
    async with app.ctx.desk.sessions() as session:
        await tally.refresh(session)
    assert tally.current == {("intake", "valid"): 1, ("recheck", "valid"): 1, ("recheck", "unreachable"): 1}


def test_request_kinds_are_a_fixed_set() -> None:
    from bot.slack.endpoint import request_kind

    assert request_kind({"type": "block_suggestion"}) == "action"
    assert request_kind({"type": "view_closed"}) == "view_closed"
    assert request_kind({"type": "shortcut"}) == request_kind({"type": "message_action"}) == "shortcut"
    assert request_kind({"ssl_check": "1"}) == "ssl_check"
    assert request_kind({"type": "<!channel> hr@acme.nl"}) == "other"
    assert request_kind({"type": ["block_actions"]}) == "other"



