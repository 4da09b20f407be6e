"""Link events reach a verifying receiver on 127.0.0.1: signed, in order per link, retried, across restarts."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.standins.webhook_receiver import Receiver
from bot.webhooks import Backoff, WebhookConfigError, WebhookSender, secret_key, sign, webhook_problems
from handlers.alerts import queue
from handlers.model import Alert, AlertKind
from storage.db import create_engine, session_factory
from storage.models import LinkState, WebhookEvent, WebhookStatus, utcnow
from storage.webhook_events import retry_events
from tests.bot.webhooks.conftest import KEY, SECRET, TOKENS, FakeClock, make_link, transition

STEADY = Backoff(base_s=2, cap_s=60, rand=lambda: 1.0)  # no jitter: the waits are exact


def sender_for(sessions, receiver: Receiver, clock: FakeClock, **options) -> WebhookSender:  # type: ignore[no-untyped-def]
    return WebhookSender(sessions, url=receiver.url, secret=SECRET, clock=clock, backoff=STEADY, **options)


async def events(sessions) -> list[WebhookEvent]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))).all())


def per_link(received) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    order: dict[int, list[str]] = {}
    seen: set[str] = set()
    for item in received:
        if item.event_id in seen:
            continue  # at-least-once: a repeat does not change the order of first arrivals
        seen.add(item.event_id)
        order.setdefault(item.document["data"]["link"]["id"], []).append(item.document["type"])
    return order


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signature = sign(key, event_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body='{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secret_formats_and_problems() -> None:
    assert secret_key("a plain shared secret of some length") == b"a plain shared secret of some length"
    with pytest.raises(WebhookConfigError, match="not valid base64"):
        secret_key("whsec_!!!not-base64!!!")
    with pytest.raises(WebhookConfigError, match="too short") as short:
        secret_key("hunter2")
    assert "hunter2" not in str(short.value)
    assert webhook_problems(Settings(_env_file=None)) == []  # type: ignore[call-arg]
    missing = webhook_problems(Settings(_env_file=None, webhook_url="https://hooks.example/td"))  # type: ignore[call-arg]
    assert missing == ["TOKENDESK_WEBHOOK_SECRET: required when TOKENDESK_WEBHOOK_URL is set (events are signed)"]
    bad_url = webhook_problems(Settings(_env_file=None, webhook_url="ftp://x", webhook_secret=SECRET))  # type: ignore[call-arg]
    assert bad_url == ["TOKENDESK_WEBHOOK_URL: expected an http:// or https:// URL"]


async def test_every_transition_is_delivered_signed_in_order_without_the_token(
    sessions, cipher, receiver: Receiver, clock: FakeClock, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    a = await make_link(sessions, cipher, "hr@acme.nl")
    b = await make_link(sessions, cipher, "payroll@beta.nl", "beta")
    script = [
        (a, AlertKind.ACTIVATED, None), (b, AlertKind.ACTIVATED, None),
        (a, AlertKind.SCOPE_CHANGED, None), (a, AlertKind.TOKEN_REPLACED, None),
        (b, AlertKind.BROKEN, LinkState.BROKEN), (a, AlertKind.BROKEN, LinkState.BROKEN),
        (a, AlertKind.RESTORED, LinkState.ACTIVE), (b, AlertKind.UNVERIFIED, LinkState.UNVERIFIED),
        (a, AlertKind.UNVERIFIED, LinkState.UNVERIFIED), (a, AlertKind.REVOKED, LinkState.REVOKED),
    ]
    for link_id, kind, state in script:
        assert await transition(sessions, link_id, kind, state=state, details={"reason": "credentials"})
    await transition(sessions, a, AlertKind.BROKEN, key="link:a:broken:again",
                     details={"reason": "credentials", "token_last4": TOKENS["hr@acme.nl"][-4:]})
    # Not link transitions: no event.
    await transition(sessions, a, AlertKind.LABELLED)
    # A repeated transition (same key) is one alert and one event.
    details = {"reason": "credentials"}
    assert await transition(sessions, b, AlertKind.REVOKED, state=LinkState.REVOKED, key="link:b:revoked:1", details=details)
    assert not await transition(sessions, b, AlertKind.REVOKED, key="link:b:revoked:1", details=details)

    results: list[str] = []
    sender = sender_for(sessions, receiver, clock, on_delivery=results.append)
    try:
        assert await sender.deliver_due() == 12
    finally:
        await sender.stop()

    assert receiver.refused == []
    assert results == ["delivered"] * 12
    assert per_link(receiver.accepted) == {
        a: ["link.activated", "link.scope_changed", "link.token_replaced", "link.broken", "link.restored",
            "link.unverified", "link.revoked", "link.broken"],
        b: ["link.activated", "link.broken", "link.unverified", "link.revoked"],
    }
    for item in receiver.accepted:
        doc = item.document
        assert doc["id"] == item.event_id and doc["id"].startswith("evt_")
        assert set(doc) == {"id", "type", "timestamp", "data"}
        assert datetime.fromisoformat(doc["timestamp"].replace("Z", "+00:00")) <= utcnow()
        link = doc["data"]["link"]
        assert link["short_id"] == f"L{link['id']}" and link["kind"] == "soap"
        assert link["debtor_count"] == 1 and link["companies"][0]["name"] == "<!channel> B.V."
        assert doc["data"]["details"] == {"reason": "credentials"}
        assert "token_last4" not in link and "token" not in link
        for token in TOKENS.values():
            assert token not in item.body and token[-4:] not in json.dumps(link)
        assert item.headers["content-type"] == "application/json"
    states: dict[str, str] = {}
    for item in receiver.accepted:
        if item.document["data"]["link"]["id"] == a:
            states.setdefault(item.document["type"], item.document["data"]["link"]["state"])
    assert states["link.broken"] == "broken" and states["link.revoked"] == "revoked"
    assert all(e.status == WebhookStatus.DELIVERED and e.attempts == 1 for e in await events(sessions))
    for token in TOKENS.values():
        assert token not in caplog.text
    assert SECRET not in caplog.text


async def test_receiver_down_then_up_is_retried_with_backoff_and_keeps_order(
    sqlite_sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    sessions = sqlite_sessions
    a = await make_link(sessions, cipher, "hr@acme.nl")
    b = await make_link(sessions, cipher, "payroll@beta.nl", "beta")
    await transition(sessions, a, AlertKind.ACTIVATED)
    await transition(sessions, a, AlertKind.BROKEN, state=LinkState.BROKEN)
    await transition(sessions, b, AlertKind.ACTIVATED)
    await transition(sessions, a, AlertKind.RESTORED, state=LinkState.ACTIVE)
    results: list[str] = []
    sender = sender_for(sessions, receiver, clock, on_delivery=results.append)

    receiver.status = 503
    waits = []
    for _ in range(4):
        assert await sender.deliver_due() == 1  # the pass stops at the first sign of an unwell receiver
        assert await sender.deliver_due() == 0  # and does not hammer it before the backoff is over
        head = (await events(sessions))[0]
        waits.append((head.next_attempt_at - head.last_attempt_at).total_seconds())
        clock.advance(waits[-1])
    assert waits == [2, 4, 8, 16]

    receiver.stop()  # now it refuses connections altogether
    assert await sender.deliver_due() == 1
    head = (await events(sessions))[0]
    assert head.last_error == "ConnectError" and head.attempts == 5 and head.status == WebhookStatus.PENDING
    clock.advance(32)

    receiver.start()  # back, on the same port
    receiver.status = 204
    assert await sender.deliver_due() == 4
    await sender.stop()
    assert results == ["error"] * 5 + ["delivered"] * 4
    assert per_link(receiver.accepted) == {
        a: ["link.activated", "link.broken", "link.restored"], b: ["link.activated"],
    }
    assert [e.status for e in await events(sessions)] == [WebhookStatus.DELIVERED] * 4


async def test_a_refused_event_holds_back_its_link_only(
    sqlite_sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    sessions = sqlite_sessions
    a = await make_link(sessions, cipher, "hr@acme.nl")
    b = await make_link(sessions, cipher, "payroll@beta.nl", "beta")
    await transition(sessions, a, AlertKind.ACTIVATED)
    await transition(sessions, a, AlertKind.BROKEN, state=LinkState.BROKEN)
    await transition(sessions, b, AlertKind.ACTIVATED)
    first = (await events(sessions))[0]
    receiver.status_for[first.event_id] = 400
    sender = sender_for(sessions, receiver, clock, max_attempts=2)
    assert await sender.deliver_due() == 2  # a's first (refused) and b's; a's second waits behind a's first
    assert per_link(receiver.accepted) == {b: ["link.activated"]}
    clock.advance(2)
    assert await sender.deliver_due() == 2  # a's first fails for good, then a's second goes
    await sender.stop()
    rows = await events(sessions)
    assert [r.status for r in rows] == [WebhookStatus.FAILED, WebhookStatus.DELIVERED, WebhookStatus.DELIVERED]
    assert rows[0].last_error == "HTTP 400" and rows[0].attempts == 2

    # The operator fixes the receiver and sends the failed event again.
    del receiver.status_for[first.event_id]
    async with sessions() as session, session.begin():
        assert await retry_events(session, event_ids=[rows[0].id]) == 1
    sender = sender_for(sessions, receiver, clock)
    assert await sender.deliver_due() == 1
    await sender.stop()
    assert receiver.types().count("link.activated") == 2


async def test_a_refused_switch_off_holds_back_the_answering_after_it(
    sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    # Desk-wide events have no link, yet their order matters as much: a switch-off retried after "SOAP answers
    # again" would leave the integration believing SOAP is off.
    a = await make_link(sessions, cipher, "hr@acme.nl")
    counts = {"checks": 20, "signs": 20, "migration": None}
    async with sessions() as session, session.begin():
        for run, kind in ((1, AlertKind.SOAP_SWITCHED_OFF), (2, AlertKind.SOAP_ANSWERING)):
            assert await queue(session, Alert(kind, None, {"run_id": run, **counts}), key=f"{kind}:run:{run}")
    await transition(sessions, a, AlertKind.ACTIVATED)
    off = (await events(sessions))[0]
    receiver.status_for[off.event_id] = 400
    sender = sender_for(sessions, receiver, clock)
    try:
        assert await sender.deliver_due() == 2  # the refused switch-off and the link's event; answering waits
        assert receiver.types() == ["link.activated"]
        del receiver.status_for[off.event_id]
        clock.advance(2)
        assert await sender.deliver_due() == 2
    finally:
        await sender.stop()
    assert receiver.types() == ["link.activated", "soap.switched_off", "soap.answering"]


async def test_restart_with_events_in_the_outbox_delivers_all_at_least_once(
    sqlite_url, sqlite_sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    sessions = sqlite_sessions
    a = await make_link(sessions, cipher, "hr@acme.nl")
    b = await make_link(sessions, cipher, "payroll@beta.nl", "beta")
    for link_id, kind, state in [
        (a, AlertKind.ACTIVATED, None), (b, AlertKind.ACTIVATED, None), (a, AlertKind.BROKEN, LinkState.BROKEN),
        (b, AlertKind.REVOKED, LinkState.REVOKED), (a, AlertKind.RESTORED, LinkState.ACTIVE),
    ]:
        await transition(sessions, link_id, kind, state=state)

    # The first sender gets one event out, then hangs on the next; tokendesk is stopped mid-request.
    receiver.hang, receiver.hang_from = threading.Event(), 2
    first = sender_for(sessions, receiver, clock, poll_interval_s=0.01)
    first.start()
    await asyncio.to_thread(receiver.wait_for, 1)
    deadline = asyncio.get_running_loop().time() + 5
    while receiver.requests < 2 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    await first.stop(grace_s=0.05)
    receiver.hang.set()  # the receiver finishes the request nobody waits for any more
    await asyncio.to_thread(receiver.wait_for, 2)
    rows = await events(sessions)
    assert [r.status for r in rows].count(WebhookStatus.DELIVERED) == 1
    assert rows[1].claimed_until is not None  # claimed by the process that went away

    # A new process on the same database: its claim has lapsed, so the event goes again.
    engine = create_engine(sqlite_url)
    try:
        clock.advance(61)
        second = sender_for(session_factory(engine), receiver, clock, poll_interval_s=0.01)
        second.start()
        await asyncio.to_thread(receiver.wait_for, 6)
        await second.stop()
    finally:
        await engine.dispose()
    ids = [r.event_id for r in receiver.accepted]
    assert len(ids) == 6 and len(set(ids)) == 5  # every event, the interrupted one twice
    assert per_link(receiver.accepted) == {
        a: ["link.activated", "link.broken", "link.restored"], b: ["link.activated", "link.revoked"],
    }
    assert all(r.status == WebhookStatus.DELIVERED for r in await events(sessions))


async def test_background_loop_delivers_after_a_kick(
    sqlite_sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    sender = sender_for(sqlite_sessions, receiver, clock, poll_interval_s=30)
    sender.start()
    try:
        await asyncio.sleep(0.05)
        a = await make_link(sqlite_sessions, cipher, "hr@acme.nl")
        await transition(sqlite_sessions, a, AlertKind.ACTIVATED)
        sender.kick()
        await asyncio.to_thread(receiver.wait_for, 1)
    finally:
        await sender.stop()
    assert receiver.types() == ["link.activated"]


async def test_a_receivers_basic_auth_in_the_url_is_never_shown(
    sqlite_sessions, receiver: Receiver, clock: FakeClock, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    url = receiver.url.replace("http://", "http://hook:p4ss-w0rd@")
    sender = WebhookSender(sqlite_sessions, url=url, secret=SECRET, clock=clock, backoff=STEADY)
    with caplog.at_level(logging.INFO, logger="bot.webhooks"):
        sender.start()
        await sender.stop()
    host = receiver.url.split("://", 1)[1].split("/", 1)[0]
    assert f"delivering link events to {host}" in caplog.text and repr(sender) == f"<WebhookSender to {host}>"
    assert "p4ss-w0rd" not in caplog.text + repr(sender) and "hook:" not in caplog.text


async def test_without_a_url_events_are_kept_as_disabled_and_pruned(
    sqlite_sessions, cipher, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    sessions = sqlite_sessions
    a = await make_link(sessions, cipher, "hr@acme.nl")
    await transition(sessions, a, AlertKind.ACTIVATED)
    await transition(sessions, a, AlertKind.REVOKED, state=LinkState.REVOKED)
    sender = WebhookSender(sessions, url=None, clock=clock, keep_days=30)
    assert repr(sender) == "<WebhookSender disabled>"
    assert await sender.deliver_due() == 0
    rows = await events(sessions)
    assert [r.status for r in rows] == [WebhookStatus.DISABLED] * 2
    async with sessions() as session, session.begin():
        assert await retry_events(session) == 0  # --retry-all takes failed ones only
        assert await retry_events(session, event_ids=[rows[0].id]) == 1
    assert [r.status for r in await events(sessions)] == [WebhookStatus.PENDING, WebhookStatus.DISABLED]

    clock.advance(timedelta(days=31).total_seconds())
    later = WebhookSender(sessions, url=None, clock=clock, keep_days=30)
    await later.deliver_due()
    assert await events(sessions) == []
    await sender.stop()
    await later.stop()


def test_sender_refuses_a_url_without_a_secret(sqlite_url: str) -> None:
    with pytest.raises(WebhookConfigError, match="TOKENDESK_WEBHOOK_SECRET"):
        WebhookSender(None, url="http://127.0.0.1:9/x", secret=None)  # type: ignore[arg-type]
    settings = Settings(_env_file=None, webhook_url="http://127.0.0.1:9/x", webhook_secret="short")  # type: ignore[call-arg]
    with pytest.raises(WebhookConfigError, match="too short"):
        WebhookSender.from_settings(settings, None)  # type: ignore[arg-type]
    assert KEY == secret_key(SECRET)


async def test_soap_switched_off_is_delivered_signed_without_a_link(
    sessions, cipher, receiver: Receiver, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    a = await make_link(sessions, cipher, "hr@acme.nl")
    await transition(sessions, a, AlertKind.ACTIVATED)
    details = {"run_id": 4, "checks": 200, "signs": 200, "reason": "soap_switched_off", "migration": None}
    async with sessions() as session, session.begin():
        assert await queue(session, Alert(AlertKind.SOAP_SWITCHED_OFF, None, details), key="soap_switched_off:run:4")
        assert not await queue(session, Alert(AlertKind.SOAP_SWITCHED_OFF, None, details), key="soap_switched_off:run:4")
    await transition(sessions, a, AlertKind.BROKEN, state=LinkState.BROKEN)
    back = {"run_id": 5, "checks": 200, "signs": 0, "migration": None}
    async with sessions() as session, session.begin():
        assert await queue(session, Alert(AlertKind.SOAP_ANSWERING, None, back), key="soap_answering:run:5")
    sender = sender_for(sessions, receiver, clock)
    try:
        assert await sender.deliver_due() == 4
    finally:
        await sender.stop()
    assert receiver.types() == ["link.activated", "soap.switched_off", "link.broken", "soap.answering"]
    [answering] = [item for item in receiver.accepted if item.document["type"] == "soap.answering"]
    assert answering.document["data"] == {"kind": "soap", "details": back}
    [soap] = [item for item in receiver.accepted if item.document["type"] == "soap.switched_off"]
    assert soap.document["data"] == {"kind": "soap", "details": details}
    assert soap.headers["webhook-id"] == soap.document["id"]
    assert soap.headers["webhook-signature"] == sign(
        secret_key(SECRET), event_id=soap.document["id"], timestamp=int(soap.headers["webhook-timestamp"]),
        body=soap.body)
    assert [e.link_id for e in await events(sessions)] == [a, None, a, None]
