"""The intake use case against the Nmbrs stand-in and a real database, with no chat platform."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.intake import BadInput, Connected, Intake, Limited, Pending, Refused
from handlers.model import Person
from storage.links import open_token
from storage.models import AlertRecord, AuditEntry, Check, IntakeAttempt, Link
from tests.handlers.intake.conftest import TOKEN, USER

PERSON = Person(platform="slack", team_id="T1", user_id="U1", lang="nl")
OTHER = Person(platform="slack", team_id="T1", user_id="U2", lang="en")


@pytest.fixture
def intake(sessions, cipher, gateway, outbox) -> Intake:  # type: ignore[no-untyped-def]
    return Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)


async def test_valid_credentials_make_an_active_link_and_one_activation(intake, sessions, cipher, outbox, notifier, nmbrs) -> None:  # type: ignore[no-untyped-def]
    outcome = await intake.submit(person=PERSON, username=f"  {USER.upper()} ", token=f" {TOKEN}\n")
    assert isinstance(outcome, Connected) and outcome.created and not outcome.replaced
    assert outcome.card.environment == "acme" and outcome.card.company_count == 2
    await outbox.drain()
    assert notifier.kinds() == ["activated"]
    assert notifier.alerts[0].details["by"] == "U1"
    async with sessions() as session:
        link = await session.scalar(select(Link))
        assert link.state == "active" and link.username == USER and link.token_last4 == TOKEN[-4:]
        assert open_token(link, cipher) == TOKEN
        assert await session.scalar(select(func.count()).select_from(Check)) == 1
        assert await session.scalar(select(AuditEntry.action)) == "link.connect"


async def test_same_login_new_token_replaces_and_notes_it(intake, outbox, notifier, nmbrs, sessions, cipher) -> None:  # type: ignore[no-untyped-def]
    await intake.submit(person=PERSON, username=USER, token=TOKEN)
    new_token = "b" * 32
    nmbrs.set_token(USER, new_token)
    outcome = await intake.submit(person=PERSON, username=USER, token=new_token)
    assert isinstance(outcome, Connected) and outcome.replaced and not outcome.created
    await outbox.drain()
    assert notifier.kinds() == ["activated", "token_replaced"]
    async with sessions() as session:
        links = (await session.scalars(select(Link))).all()
        assert len(links) == 1 and open_token(links[0], cipher) == new_token


async def test_resubmitting_after_a_break_restores(intake, outbox, notifier, sessions) -> None:  # type: ignore[no-untyped-def]
    first = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    async with sessions() as session, session.begin():
        (await session.get(Link, first.card.id)).state = "broken"
    outcome = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    assert isinstance(outcome, Connected) and outcome.restored
    await outbox.drain()
    assert "restored" in notifier.kinds()


async def test_rejected_credentials_store_nothing(intake, sessions, nmbrs) -> None:  # type: ignore[no-untyped-def]
    outcome = await intake.submit(person=PERSON, username=USER, token="f" * 32)
    assert isinstance(outcome, Refused)
    assert outcome.result.code == 1001 and str(outcome.result.category) == "credentials"
    assert outcome.attempts_left == 4
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 0
        attempt = await session.scalar(select(IntakeAttempt))
        assert (attempt.outcome, attempt.fault_code) == ("rejected", 1001)


async def test_unreachable_keeps_credentials_pending_and_encrypted(intake, sessions, cipher, nmbrs) -> None:  # type: ignore[no-untyped-def]
    nmbrs.fail_next("html503", count=5)
    outcome = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    assert isinstance(outcome, Pending) and str(outcome.result.cause) == "html"
    async with sessions() as session:
        link = await session.scalar(select(Link))
        assert link.state == "pending" and link.environment is None
        assert open_token(link, cipher) == TOKEN


@pytest.mark.parametrize(
    ("username", "token", "field"),
    [("", TOKEN, "username"), ("not-an-email", TOKEN, "username"), (USER, "", "token"),
     (USER, "abc def", "token"), (USER, "x" * 5000, "token")],
)
async def test_bad_shapes_never_reach_nmbrs(intake, nmbrs, username, token, field) -> None:  # type: ignore[no-untyped-def]
    nmbrs.reset_counters()
    outcome = await intake.submit(person=PERSON, username=username, token=token)
    assert isinstance(outcome, BadInput) and outcome.field == field
    assert sum(nmbrs.calls.values()) == 0


async def test_more_than_five_rejections_an_hour_are_refused(intake, nmbrs, sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert isinstance(await intake.submit(person=PERSON, username=USER, token="e" * 32), Refused)
    nmbrs.reset_counters()
    outcome = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    assert isinstance(outcome, Limited)
    assert timedelta(minutes=55) < outcome.retry_after <= timedelta(hours=1)
    assert sum(nmbrs.calls.values()) == 0
    assert isinstance(await intake.submit(person=OTHER, username=USER, token=TOKEN), Connected)
    # An hour later the limit is lifted.
    async with sessions() as session, session.begin():
        for attempt in (await session.scalars(select(IntakeAttempt))).all():
            attempt.at = attempt.at - timedelta(hours=1, minutes=1)
    assert isinstance(await intake.submit(person=PERSON, username=USER, token=TOKEN), Connected)


async def test_stuck_customer_is_reported_once_a_day(intake, outbox, notifier, sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        await intake.submit(person=PERSON, username=USER, token="d" * 32)
    await outbox.drain()
    assert notifier.kinds() == ["customer_stuck"]
    assert notifier.alerts[0].details["attempts"] == 3
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AlertRecord)) == 1


async def test_failed_delivery_keeps_alert_queued(intake, outbox, notifier, sessions) -> None:  # type: ignore[no-untyped-def]
    notifier.fail = True
    outcome = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    assert isinstance(outcome, Connected)
    assert await outbox.drain() == 0
    async with sessions() as session:
        record = await session.scalar(select(AlertRecord))
        assert record.sent_at is None and record.attempts >= 1 and "channel_not_found" in record.last_error
        assert (await session.get(Link, outcome.card.id)).state == "active"
    notifier.fail = False
    assert await outbox.drain() == 1
    assert notifier.kinds() == ["activated"]


async def test_no_token_in_logs_or_alerts(intake, outbox, notifier, nmbrs, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    await intake.submit(person=PERSON, username=USER, token=TOKEN)
    await intake.submit(person=PERSON, username=USER, token="c" * 32)
    nmbrs.fail_next("malformed", count=3)
    await intake.submit(person=PERSON, username="other@acme.nl", token="a1" * 16)
    await outbox.drain()
    text = caplog.text + repr([a.to_dict() for a in notifier.alerts])
    for token in (TOKEN, "c" * 32, "a1" * 16):
        assert token not in text


@pytest.mark.parametrize("code", [1005, 2011, 2013, 2042, 3000])
async def test_an_unexpected_fault_at_intake_writes_nothing_and_says_what_nmbrs_said(intake, sessions, nmbrs, code) -> None:  # type: ignore[no-untyped-def]
    nmbrs.account_fault(USER, code, "DebtorService.Environment_Get")
    outcome = await intake.submit(person=PERSON, username=USER, token=TOKEN)
    assert isinstance(outcome, Refused) and outcome.result.unexpected and outcome.result.code == code
    from handlers.text.explain import explain

    from handlers.text.replies import outcome_reply

    words = explain(outcome.result, "en")
    assert words.headline == "Nmbrs could not confirm your details" and str(code) in words.detail
    reply = outcome_reply(outcome, "en")
    assert reply.headline == words.headline and reply.detail == words.detail and reply.notes == ()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 0
        assert await session.scalar(select(IntakeAttempt.outcome)) == "unexpected"
    assert await intake.limited(PERSON) is None
