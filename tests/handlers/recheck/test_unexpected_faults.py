"""Issue 12 finding 5: only Nmbrs codes 1001-1004 may break a link; any other code is unexpected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.apikeys import create_key
from storage.links import open_token
from storage.models import Check
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from tests.handlers.recheck.conftest import Desk, token_for, user_for

UNEXPECTED = [(1005, "DebtorService.Environment_Get"), (2011, "CompanyService.List_GetAll"),
              (2013, "CompanyService.List_GetAll"), (2042, "DebtorService.Environment_Get"),
              (3000, "DebtorService.List_GetAll"), (2009, "CompanyService.List_GetAll")]


@pytest.mark.parametrize(("code", "operation"), UNEXPECTED)
async def test_an_unexpected_fault_keeps_the_link_and_tells_support_once(desk: Desk, code: int, operation: str) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.account_fault(user_for(1), code, operation)
    recheck = desk.recheck(confirm_delay_s=300)
    for _night in range(3):
        await recheck.run()
        desk.time.advance(86_400)
    await desk.outbox.drain()

    link = await desk.get(link_id)
    assert link.state == "active" and link.confirm_due_at is None and link.failed_checks == 0
    assert link.last_fault_code == code and link.last_reason == "unexpected"
    assert open_token(link, desk.cipher) == token_for(1)  # still held, so still served
    assert desk.notifier.kinds() == ["unverified"]  # support, once; the customer is not told
    [notice] = desk.notifier.alerts
    assert notice.details["code"] == code and notice.details["nmbrs_said"]
    async with desk.sessions() as session:
        checks = (await session.scalars(select(Check).where(Check.link_id == link_id))).all()
    assert [(c.outcome, c.fault_code, c.transition) for c in checks] == [("unexpected", code, None)] * 3
    assert await served_token(desk, link_id) == token_for(1)


async def served_token(desk: Desk, link_id: int) -> str | None:
    """What the hand-off API gives the integration for this link (its own ASGI app, in-process)."""
    import httpx

    from tests.bot.api.conftest import app_with_api

    async with desk.sessions() as session, session.begin():
        key = (await create_key(session, name="payroll sync")).key
    transport = httpx.ASGITransport(app=app_with_api(desk.sessions, desk.cipher, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://api",
                                 headers={"authorization": f"Bearer {key}"}) as client:
        response = await client.get(f"/api/v1/links/L{link_id}/credentials")
    return response.json().get("token") if response.status_code == 200 else None


async def test_a_definitive_code_still_breaks_the_link(desk: Desk) -> None:
    desk.account(1)
    link_id = await desk.link(1)
    desk.nmbrs.account_fault(user_for(1), 1004, "DebtorService.Environment_Get")
    await desk.recheck(confirm_delay_s=300).run()
    assert (await desk.get(link_id)).state == "broken"


async def test_no_rights_on_one_debtor_is_a_scope_change_not_a_failure(desk: Desk) -> None:
    desk.nmbrs.add_account(
        user_for(1), token_for(1), "env1",
        debtors=[StandinDebtor(1001, 1, "Debtor A"), StandinDebtor(1002, 2, "Debtor B")],
        companies=[StandinCompany(50001, 1, "Company A", debtor_id=1001),
                   StandinCompany(50002, 1, "Company B", debtor_id=1002)],
    )
    link_id = await desk.link(1)
    desk.nmbrs.accounts[user_for(1)].denied_debtors.add(1002)
    await desk.recheck().run()
    await desk.outbox.drain()
    link = await desk.get(link_id)
    assert link.state == "active" and link.last_fault_code is None
    assert [d["name"] for d in link.debtors] == ["Debtor A"]
    assert "scope_changed" in desk.notifier.kinds() and "broken" not in desk.notifier.kinds()
    [change] = desk.notifier.of("scope_changed")
    assert change.details["debtors_removed"] == ["Debtor B"]
