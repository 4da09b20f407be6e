"""SOAP looks switched off: most SOAP checks of one run answer as a retired endpoint (the SOAP stand-in plays
it over real HTTP), and support hears of it once, not once per link; the links keep their credentials."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot.api.webhook_docs import SoapAnsweringEvent, SoapSwitchedOffEvent
from bot.standins.webhook_receiver import Receiver
from bot.webhooks import WebhookSender
from handlers.recheck.values import MigrationNumbers
from storage.links import open_token
from storage.models import Check, Link, WebhookEvent
from tests.bot.webhooks.conftest import KEY, SECRET, FakeClock
from tests.handlers.recheck.conftest import Desk, token_for
from tests.handlers.recheck.test_runs import crash
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    RestDesk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
)

NIGHT = 86400


async def seed(desk: Desk, count: int) -> list[int]:
    ids = []
    for n in range(1, count + 1):
        desk.account(n)
        ids.append(await desk.link(n))
    return ids


async def recorded(desk: Desk) -> int:
    async with desk.sessions() as session:
        return len((await session.scalars(select(Check.id).where(Check.trigger == "recheck"))).all())


async def all_links(desk: Desk) -> list[Link]:
    async with desk.sessions() as session:
        return list((await session.scalars(select(Link).order_by(Link.id))).all())


async def events(desk: Desk) -> list[WebhookEvent]:
    async with desk.sessions() as session:
        return list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))).all())


async def night(desk: Desk, **policy: object):  # type: ignore[no-untyped-def]
    desk.time.advance(NIGHT)
    summary = await desk.recheck(**policy).run()  # type: ignore[arg-type]
    await desk.outbox.drain()
    return summary


async def test_the_switch_off_is_reported_once_for_200_links(any_desk: Desk) -> None:
    desk = any_desk
    ids = await seed(desk, 200)
    desk.nmbrs.switch_off("http404")

    summary = await night(desk)
    assert summary.soap == {"verdict": "switched_off", "checks": 200, "signs": 200}
    assert summary.changes == [] and summary.counts["active"] == 200
    # One alert for the whole desk: no broken, unverified or customer alert for any link (and no digest: nothing
    # changed).
    [alert] = desk.notifier.alerts
    assert (str(alert.kind), alert.link) == ("soap_switched_off", None)
    assert alert.details["checks"] == 200 and alert.details["signs"] == 200 and alert.details["migration"] is None
    assert alert.details["reason"] == "soap_switched_off"
    # …and one webhook event for the integration, saying the same word, about the SOAP kind.
    [event] = await events(desk)
    body = json.loads(event.body)
    assert (event.type, event.link_id, body["type"]) == ("soap.switched_off", None, "soap.switched_off")
    assert body["data"]["kind"] == "soap" and body["data"]["details"]["reason"] == "soap_switched_off"
    assert body["data"]["details"]["signs"] == 200
    SoapSwitchedOffEvent.model_validate_json(event.body)  # what the OpenAPI document says it is
    # Every link keeps its state and its credentials, with the reason recorded.
    links = await all_links(desk)
    assert [link.id for link in links] == ids
    for n, link in enumerate(links, start=1):
        assert (link.state, link.last_reason, link.failed_checks, link.confirm_due_at) == (
            "active", "soap_switched_off", 0, None)
        assert open_token(link, desk.cipher) == token_for(n)
    async with desk.sessions() as session:
        reasons = {check.reason for check in (await session.scalars(select(Check))).all()}
    assert reasons == {"soap_switched_off"}

    # The next night it persists: told already, so nothing new (200 "could not be checked" alerts otherwise: the
    # links would have reached TOKENDESK_UNVERIFIED_AFTER=2 nights).
    again = await night(desk)
    assert again.soap is not None and again.soap["verdict"] == "switched_off"
    assert len(desk.notifier.alerts) == 1 and len(await events(desk)) == 1
    assert {(link.state, link.failed_checks) for link in await all_links(desk)} == {("active", 0)}

    # SOAP answers again: said once, and the links are simply working.
    desk.nmbrs.switch_on()
    back = await night(desk)
    assert back.soap == {"verdict": "answering", "checks": 200, "signs": 0} and back.changes == []
    assert desk.notifier.kinds() == ["soap_switched_off", "soap_answering"]
    assert desk.notifier.alerts[1].details["checks"] == 200
    assert {(link.state, link.last_reason) for link in await all_links(desk)} == {("active", None)}
    await night(desk)
    assert desk.notifier.kinds() == ["soap_switched_off", "soap_answering"]
    # The integration hears it too, once, in the same words as the switch-off.
    assert [e.type for e in await events(desk)] == ["soap.switched_off", "soap.answering"]
    answering = SoapAnsweringEvent.model_validate_json((await events(desk))[1].body)
    assert answering.data.details.checks == 200 and answering.data.details.signs == 0


async def test_a_closed_port_reports_the_switch_off_with_the_migration_numbers(desk: Desk) -> None:
    await seed(desk, 40)
    desk.nmbrs.switch_off("refused")
    asked: list[int] = []

    async def migration() -> MigrationNumbers:
        asked.append(1)
        return MigrationNumbers(soap_links=40, debtors_to_move=31, debtors_covered=9, days_left=12)

    summary = await night(desk, migration_summary=migration)
    assert summary.soap == {"verdict": "switched_off", "checks": 40, "signs": 40}
    assert desk.nmbrs.total_calls == 0  # nothing listens: every connect was refused by the host
    [alert] = desk.notifier.alerts
    assert alert.details["migration"] == {"soap_links": 40, "debtors_to_move": 31, "debtors_covered": 9,
                                          "days_left": 12}
    [event] = await events(desk)
    assert json.loads(event.body)["data"]["details"]["migration"]["debtors_to_move"] == 31
    SoapSwitchedOffEvent.model_validate_json(event.body)
    await night(desk, migration_summary=migration)
    assert asked == [1]  # asked only when there is something to tell
    assert {(link.state, link.last_reason) for link in await all_links(desk)} == {("active", "soap_switched_off")}


async def test_a_few_failures_of_that_kind_stay_ordinary_transient_failures(desk: Desk) -> None:
    await seed(desk, 200)
    desk.nmbrs.fail_next("http404", count=10)  # 5 % of the links

    summary = await night(desk, unverified_after=1)
    assert summary.soap == {"verdict": "answering", "checks": 200, "signs": 10}
    # Each of the ten is what any transient failure is: a night counted and, at the limit, "could not be checked".
    assert desk.notifier.kinds().count("unverified") == 10
    assert "soap_switched_off" not in desk.notifier.kinds() and "soap_answering" not in desk.notifier.kinds()
    failed = [link for link in await all_links(desk) if link.last_reason]
    assert len(failed) == 10
    assert {(link.state, link.last_reason, link.failed_checks) for link in failed} == {
        ("unverified", "service_gone", 1)}
    assert sorted(c["transition"] for c in summary.changes) == ["unverified"] * 10
    assert await events(desk) and {e.type for e in await events(desk)} == {"link.unverified"}


async def test_too_few_soap_checks_prove_nothing(desk: Desk) -> None:
    await seed(desk, 5)
    desk.nmbrs.switch_off("retired")
    summary = await night(desk)
    assert summary.soap == {"verdict": None, "checks": 5, "signs": 5}
    assert desk.notifier.kinds() == []
    assert {(link.last_reason, link.failed_checks) for link in await all_links(desk)} == {("service_gone", 1)}
    await night(desk)  # the second night reaches the unverified limit, link by link
    assert desk.notifier.kinds() == ["unverified"] * 5 + ["digest"]


async def test_rest_links_in_the_same_run_are_unaffected(rest_sqlite_desk: RestDesk) -> None:
    rd = rest_sqlite_desk
    await seed(rd.desk, 12)
    rd.user(1)
    rest_id = await rd.link(1)
    rd.desk.nmbrs.switch_off("http410")
    rd.desk.time.advance(NIGHT)
    summary = await rd.recheck().run()
    await rd.desk.outbox.drain()
    assert summary.soap == {"verdict": "switched_off", "checks": 12, "signs": 12}
    assert rd.desk.notifier.kinds() == ["soap_switched_off"]
    rest = await rd.desk.get(rest_id)
    assert rest is not None and (rest.state, rest.last_reason, rest.last_checked_at) == (
        "active", None, rd.desk.time.now)


async def test_signs_written_before_a_crash_wait_for_the_resumed_run(any_desk: Desk) -> None:
    desk = any_desk
    await seed(desk, 30)
    desk.nmbrs.switch_off("http404")
    desk.nmbrs.latency_s = 0.02
    desk.time.advance(NIGHT)
    task = asyncio.create_task(desk.recheck(holder="a").run())
    while await recorded(desk) < 8:
        await asyncio.sleep(0.01)
    await crash(task, desk, "a")
    assert 8 <= await recorded(desk) < 30
    # Recorded, not settled: no night counted yet, the verdict is the run's to give.
    assert {link.failed_checks for link in await all_links(desk)} == {0}

    desk.time.advance(61)
    summary = await desk.recheck(holder="b").run()
    await desk.outbox.drain()
    assert summary.resumed and summary.soap == {"verdict": "switched_off", "checks": 30, "signs": 30}
    assert desk.notifier.kinds() == ["soap_switched_off"] and len(await events(desk)) == 1
    assert {(link.state, link.last_reason, link.failed_checks) for link in await all_links(desk)} == {
        ("active", "soap_switched_off", 0)}


async def test_the_integration_gets_switched_off_then_answering_signed_once_each(any_desk: Desk) -> None:
    """The whole way: two nightly runs against the SOAP stand-in, the outbox, the sender, and a receiver that
    checks the Standard Webhooks signature on its own."""
    desk = any_desk
    await seed(desk, 12)
    clock = FakeClock()
    receiver = Receiver(key=KEY, clock=clock).start()
    sender = WebhookSender(desk.sessions, url=receiver.url, secret=SECRET, clock=clock)

    async def migration() -> MigrationNumbers:
        return MigrationNumbers(soap_links=12, debtors_to_move=10, debtors_covered=2, days_left=None)

    try:
        desk.nmbrs.switch_off("http410")
        off = await night(desk, migration_summary=migration)
        await sender.deliver_due()
        desk.nmbrs.switch_on()
        back = await night(desk, migration_summary=migration)
        await sender.deliver_due()
        await night(desk, migration_summary=migration)  # still answering: nothing new
        await sender.deliver_due()
        await sender.deliver_due()
    finally:
        await sender.stop()
        receiver.stop()
    assert (off.soap or {}).get("verdict") == "switched_off" and (back.soap or {}).get("verdict") == "answering"
    assert receiver.refused == [] and receiver.types() == ["soap.switched_off", "soap.answering"]
    first, second = receiver.accepted
    assert first.event_id != second.event_id
    assert first.document["data"]["details"]["run_id"] == off.run_id
    numbers = {"soap_links": 12, "debtors_to_move": 10, "debtors_covered": 2, "days_left": None}
    assert SoapAnsweringEvent.model_validate_json(second.body).model_dump(mode="json")["data"] == {
        "kind": "soap", "details": {"run_id": back.run_id, "checks": 12, "signs": 0, "migration": numbers}}
    assert desk.notifier.kinds() == ["soap_switched_off", "soap_answering"]
    assert {e.status for e in await events(desk)} == {"delivered"}
