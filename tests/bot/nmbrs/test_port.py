"""The SOAP gateway is the handlers' Nmbrs port: same members and signatures, checks over real HTTP."""

from __future__ import annotations

import inspect

import pytest

from bot.nmbrs import NmbrsGateway
from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.model import InvalidInput, Rejected, RejectionCategory, SoapLogin, Valid
from handlers.ports import Nmbrs
from tests.bot.nmbrs.accounts import SUBDOMAIN, TOKEN, USERNAME


def _members(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")}


def test_the_gateway_has_every_member_of_the_port_with_its_signature() -> None:
    members = _members(Nmbrs)
    assert members == {"kind", "check"}

    for name in members:
        assert hasattr(NmbrsGateway, name), name
    assert NmbrsGateway.kind == "soap"
    wanted = inspect.signature(Nmbrs.check)
    actual = inspect.signature(NmbrsGateway.check)
    assert list(actual.parameters) == list(wanted.parameters)
    assert inspect.iscoroutinefunction(NmbrsGateway.check)


async def test_a_check_through_the_port_asks_nmbrs(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    port: Nmbrs = gateway

    result = await port.check(SoapLogin(f" {USERNAME} ", TOKEN))

    assert port.kind == "soap"
    assert isinstance(result, Valid)
    assert (result.username, result.environment) == (USERNAME, SUBDOMAIN)
    assert [c.name for c in result.companies] == ["Acme B.V.", "Acme Payroll B.V.", "Zonen <Noord> B.V."]
    assert nmbrs.calls["DebtorService.Environment_Get"] == 1


async def test_wrong_credentials_through_the_port_are_rejected(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    port: Nmbrs = gateway

    result = await port.check(SoapLogin(USERNAME, "f" * 32))

    assert isinstance(result, Rejected) and result.category is RejectionCategory.CREDENTIALS


async def test_a_badly_shaped_token_is_refused_before_any_call(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    port: Nmbrs = gateway

    with pytest.raises(InvalidInput) as caught:
        await port.check(SoapLogin(USERNAME, "two halves"))

    assert caught.value.reason == "token_has_spaces"
    assert sum(nmbrs.calls.values()) == 0


async def test_the_soap_gateway_refuses_credentials_of_another_kind(gateway: NmbrsGateway) -> None:
    with pytest.raises(TypeError):
        await gateway.check(("someone@example.nl", TOKEN))  # type: ignore[arg-type]


def test_soap_credentials_never_show_the_token() -> None:
    login = SoapLogin(USERNAME, TOKEN)

    assert TOKEN not in repr(login) and TOKEN not in str(login)
    assert login.kind == "soap"
