"""The gateway over real HTTP against the Nmbrs stand-in: outcomes, retries, protocol details."""

from __future__ import annotations

import socket

import httpx
import pytest

from bot.nmbrs import NmbrsGateway
from bot.nmbrs.gateway import COMPANY_NS, DEBTOR_NS
from bot.standins.nmbrs.accounts import StandinCompany, StandinDebtor
from bot.standins.nmbrs.server import NmbrsStandIn
from handlers.model import InvalidInput, Rejected, RejectionCategory, Unreachable, UnreachableCause, Valid
from tests.bot.nmbrs.accounts import SUBDOMAIN, TOKEN, USERNAME, GatewayFactory

ENV = "DebtorService.Environment_Get"
DEBTORS = "DebtorService.List_GetAll"
COMPANIES = "CompanyService.List_GetAll"
BY_DEBTOR = "CompanyService.List_GetByDebtor"


@pytest.mark.parametrize("soap_version", [11, 12])
async def test_valid_login_reaches_debtors_and_companies(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, soap_version: int
) -> None:
    result = await make_gateway(soap_version=soap_version).validate(f"  {USERNAME} ", f"{TOKEN}\n")

    assert isinstance(result, Valid) and result.outcome == "valid"
    assert result.username == USERNAME and result.environment == SUBDOMAIN
    assert [(d.id, d.number, d.name) for d in result.debtors] == [
        (12345, 101, "Acme Holding"),
        (12346, 102, "Acme & Zonen"),
    ]
    assert [(c.id, c.number, c.name, c.debtor_id) for c in result.companies] == [
        (54613, 1, "Acme B.V.", 12345),
        (54614, 2, "Acme Payroll B.V.", 12345),
        (54615, 3, "Zonen <Noord> B.V.", 12346),
    ]
    assert not result.reaches_nothing and result.latency_s > 0
    assert nmbrs.calls == {ENV: 1, DEBTORS: 1, COMPANIES: 1, BY_DEBTOR: 2}
    assert {r.soap_version for r in nmbrs.requests} == {soap_version}


@pytest.mark.parametrize("soap_version", [11, 12])
async def test_requests_carry_the_documented_headers(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, soap_version: int
) -> None:
    await make_gateway(soap_version=soap_version).validate(USERNAME, TOKEN)

    by_operation = {r.operation: r for r in nmbrs.requests}
    environment = by_operation[ENV]
    assert environment.header == "AuthHeader"
    assert environment.header_fields == (f"{{{DEBTOR_NS}}}Username", f"{{{DEBTOR_NS}}}Token")
    assert environment.soap_action == f"{DEBTOR_NS}/Environment_Get"
    for operation, ns in ((DEBTORS, DEBTOR_NS), (COMPANIES, COMPANY_NS), (BY_DEBTOR, COMPANY_NS)):
        request = by_operation[operation]
        assert request.header == "AuthHeaderWithDomain"
        # Element order matters to ASMX: Username, Token, Domain, in the called service's namespace.
        assert request.header_fields == (f"{{{ns}}}Username", f"{{{ns}}}Token", f"{{{ns}}}Domain")
        assert request.domain == SUBDOMAIN and request.username == USERNAME
        assert request.soap_action == f"{ns}/{operation.split('.')[1]}"
    assert nmbrs.auth_failures == []


async def test_base_url_without_trailing_slash(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    result = await make_gateway(base_url=nmbrs.base_url.rstrip("/")).validate(USERNAME, TOKEN)
    assert isinstance(result, Valid)


async def test_answers_with_undeclared_elements_are_understood(
    nmbrs: NmbrsStandIn, gateway: NmbrsGateway
) -> None:
    # The WSDL is a subset: the real service may send elements it does not declare.
    nmbrs.extra_elements = True
    result = await gateway.validate(USERNAME, TOKEN)
    assert isinstance(result, Valid) and result.environment == SUBDOMAIN and len(result.companies) == 3


async def test_wrong_token_is_rejected_as_credentials_without_retry(
    nmbrs: NmbrsStandIn, gateway: NmbrsGateway
) -> None:
    result = await gateway.validate(USERNAME, "f" * 32)

    assert isinstance(result, Rejected) and result.outcome == "rejected"
    assert result.code == 1001 and result.category is RejectionCategory.CREDENTIALS
    assert result.message == "Invalid Authentication"
    assert result.operation == ENV
    assert nmbrs.total_calls == 1


async def test_unknown_user_is_rejected(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    result = await gateway.validate("someone@else.nl", TOKEN)
    assert isinstance(result, Rejected) and result.code == 1001


@pytest.mark.parametrize("soap_version", [11, 12])
@pytest.mark.parametrize(
    ("code", "operation", "category"),
    [
        (1000, ENV, RejectionCategory.OTHER),
        (1001, DEBTORS, RejectionCategory.CREDENTIALS),
        (1002, COMPANIES, RejectionCategory.RIGHTS),
        (1003, DEBTORS, RejectionCategory.RIGHTS),
        (2003, COMPANIES, RejectionCategory.OTHER),
        (2004, COMPANIES, RejectionCategory.OTHER),
        (2009, DEBTORS, RejectionCategory.OTHER),
        (1004, ENV, RejectionCategory.SUBSCRIPTION),
        (2042, ENV, RejectionCategory.OTHER),
        (2013, COMPANIES, RejectionCategory.OTHER),
    ],
)
async def test_definitive_faults_are_classified_and_never_retried(
    nmbrs: NmbrsStandIn,
    make_gateway: GatewayFactory,
    soap_version: int,
    code: int,
    operation: str,
    category: RejectionCategory,
) -> None:
    nmbrs.account_fault(USERNAME, code, operation)
    result = await make_gateway(soap_version=soap_version, retries=3).validate(USERNAME, TOKEN)

    assert isinstance(result, Rejected)
    assert (result.code, result.category, result.operation) == (code, category, operation)
    assert nmbrs.calls[operation] == 1


async def test_rights_fault_on_company_service_only(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    # The API user template blocks CompanyService: the login is fine, the scope is not readable.
    nmbrs.account_fault(USERNAME, 1002, "CompanyService")
    result = await gateway.validate(USERNAME, TOKEN)

    assert isinstance(result, Rejected)
    assert (result.category, result.code, result.operation) == (RejectionCategory.RIGHTS, 1002, COMPANIES)
    assert nmbrs.calls[ENV] == 1 and nmbrs.calls[COMPANIES] == 1 and nmbrs.calls[BY_DEBTOR] == 0


@pytest.mark.parametrize("soap_version", [11, 12])
@pytest.mark.parametrize("code", [9999, 1006])
async def test_transient_nmbrs_errors_are_retried_then_reported(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, soap_version: int, code: int
) -> None:
    nmbrs.fail_next("fault", count=3, operation=ENV, code=code)
    result = await make_gateway(soap_version=soap_version, retries=2).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable) and result.outcome == "unreachable"
    assert (result.cause, result.code, result.operation) == (UnreachableCause.NMBRS_ERROR, code, ENV)
    assert result.transient
    assert nmbrs.calls[ENV] == 3  # 1 + retries, and no further


async def test_transient_error_then_success(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.fail_next("fault", count=2, operation=COMPANIES, code=9999)
    result = await make_gateway(retries=2).validate(USERNAME, TOKEN)

    assert isinstance(result, Valid)
    assert nmbrs.calls[COMPANIES] == 3 and nmbrs.calls[DEBTORS] == 1


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("html503", UnreachableCause.HTML),
        ("malformed", UnreachableCause.MALFORMED),
        ("reset", UnreachableCause.CONNECTION),
        ("http500", UnreachableCause.HTTP_ERROR),
    ],
)
async def test_transport_failures_are_retried_a_bounded_number_of_times(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, kind: str, cause: UnreachableCause
) -> None:
    nmbrs.fail_next(kind, count=10)  # type: ignore[arg-type]
    result = await make_gateway(retries=2).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    assert (result.cause, result.operation) == (cause, ENV)
    assert nmbrs.calls[ENV] == 3 and nmbrs.total_calls == 3


@pytest.mark.parametrize("kind", ["html503", "malformed", "reset", "http500"])
async def test_one_transport_failure_is_absorbed_by_a_retry(
    nmbrs: NmbrsStandIn, gateway: NmbrsGateway, kind: str
) -> None:
    nmbrs.fail_next(kind, operation=DEBTORS)  # type: ignore[arg-type]
    result = await gateway.validate(USERNAME, TOKEN)
    assert isinstance(result, Valid)
    assert nmbrs.calls[DEBTORS] == 2


async def test_no_retries_when_configured_so(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.fail_next("html503")
    result = await make_gateway(retries=0).validate(USERNAME, TOKEN)
    assert isinstance(result, Unreachable) and nmbrs.total_calls == 1


async def test_read_timeout(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.hang_s = 2.0
    nmbrs.fail_next("timeout", count=2)
    result = await make_gateway(read_timeout_s=0.2, retries=1).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    assert (result.cause, result.operation) == (UnreachableCause.TIMEOUT, ENV)
    assert nmbrs.calls[ENV] == 2
    assert 0.4 <= result.latency_s < 1.5


async def test_connect_timeout(make_gateway: GatewayFactory) -> None:
    # A listener whose accept queue is full drops further SYNs: connecting hangs, as with a
    # firewall that swallows packets.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        gateway = make_gateway(base_url=f"http://127.0.0.1:{port}/soap/v3/", connect_timeout_s=0.1, retries=1)
        result = await gateway.validate(USERNAME, TOKEN)
    finally:
        for sock in [*fillers, server]:
            sock.close()

    assert isinstance(result, Unreachable)
    assert result.cause is UnreachableCause.TIMEOUT and "ConnectTimeout" in result.detail


async def test_timeout_then_success(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.hang_s = 2.0
    nmbrs.fail_next("timeout", operation=COMPANIES)
    result = await make_gateway(read_timeout_s=0.2).validate(USERNAME, TOKEN)
    assert isinstance(result, Valid) and nmbrs.calls[COMPANIES] == 2


async def test_backoff_grows_between_attempts(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.fail_next("html503", count=3)
    result = await make_gateway(retries=2, backoff_s=0.05).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    first, second, third = nmbrs.arrivals
    # Waits are backoff * 2**attempt * [0.5, 1.5): at least 25 ms, then at least 50 ms.
    assert second - first >= 0.025
    assert third - second >= 0.05


async def test_fault_on_nth_call(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.fault_on_call(1, 1003, operation=BY_DEBTOR)  # the first debtor's lookup only
    nmbrs.fault_on_call(1, 9999, operation=COMPANIES)
    result = await make_gateway().validate(USERNAME, TOKEN)

    # 9999 on the company list was retried; 1003 on one debtor leaves its companies unattributed.
    assert isinstance(result, Valid)
    assert nmbrs.calls[COMPANIES] == 2 and nmbrs.calls[BY_DEBTOR] == 2
    # Which debtor is looked up first is up to the scheduler; exactly one stays unattributed.
    assert {c.debtor_id for c in result.companies} in ({None, 12345}, {None, 12346})


async def test_fault_on_nth_call_overall(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.fault_on_call(1, 1001)
    first = await make_gateway().validate(USERNAME, TOKEN)
    second = await make_gateway().validate(USERNAME, TOKEN)
    assert isinstance(first, Rejected) and first.code == 1001
    assert isinstance(second, Valid)


async def test_zero_companies_is_valid_but_reaches_nothing(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    nmbrs.add_account("empty@acme.nl", TOKEN, "acme", debtors=[StandinDebtor(1, 1, "Acme")], companies=[])
    result = await gateway.validate("empty@acme.nl", TOKEN)

    assert isinstance(result, Valid) and result.reaches_nothing
    assert result.companies == () and len(result.debtors) == 1
    assert nmbrs.calls[BY_DEBTOR] == 0


async def test_many_debtors_are_not_mapped(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    result = await make_gateway(map_debtors_max=1).validate(USERNAME, TOKEN)

    assert isinstance(result, Valid)
    assert all(c.debtor_id is None for c in result.companies)
    assert nmbrs.calls[BY_DEBTOR] == 0


async def test_mapping_does_not_change_the_scope_digest(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    mapped = await make_gateway().validate(USERNAME, TOKEN)
    unmapped = await make_gateway(map_debtors_max=0).validate(USERNAME, TOKEN)
    assert isinstance(mapped, Valid) and isinstance(unmapped, Valid)
    assert mapped.scope_digest == unmapped.scope_digest


async def test_rights_fault_on_one_debtor_lookup_keeps_the_login_valid(
    nmbrs: NmbrsStandIn, gateway: NmbrsGateway
) -> None:
    nmbrs.account_fault(USERNAME, 1003, BY_DEBTOR)
    result = await gateway.validate(USERNAME, TOKEN)
    assert isinstance(result, Valid)
    assert all(c.debtor_id is None for c in result.companies)


async def test_credentials_fault_during_mapping_rejects(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    nmbrs.account_fault(USERNAME, 1001, BY_DEBTOR)
    result = await gateway.validate(USERNAME, TOKEN)
    assert isinstance(result, Rejected) and result.operation == BY_DEBTOR


async def test_companies_without_explicit_debtor(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    nmbrs.add_account(
        "client@acme.nl", TOKEN, "acme",
        debtors=[{"id": 7, "number": None, "name": "Client"}],
        companies=[{"id": 70, "number": 1, "name": "Client B.V."}],
    )
    result = await gateway.validate("client@acme.nl", TOKEN)
    assert isinstance(result, Valid)
    assert result.debtors[0].number is None and result.companies[0].debtor_id == 7


async def test_nothing_listening_is_a_refused_connection(make_gateway: GatewayFactory) -> None:
    # The host answers "nothing here" (RST): a sign of a switched-off endpoint, weighed by the re-check over a
    # whole run; a single one is still retried like any connection failure.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await make_gateway(base_url=f"http://127.0.0.1:{port}/soap/v3/", retries=1).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    assert (result.cause, result.operation) == (UnreachableCause.SERVICE_GONE, ENV)
    assert result.detail == "connection refused by the Nmbrs host" and result.transient


async def test_wrong_path_answers_like_a_retired_endpoint_and_is_not_retried(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory
) -> None:
    # A 404 from a wrong TOKENDESK_NMBRS_URL looks exactly like a retired endpoint: it says nothing about the
    # token and will not heal by retrying; the re-check reports it as "SOAP looks switched off" when most
    # checks of a run answer so.
    base_url = nmbrs.base_url.replace("/soap/v3/", "/soap/v2/")
    result = await make_gateway(base_url=base_url, retries=3).validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    assert result.cause is UnreachableCause.SERVICE_GONE
    assert "404" in result.detail
    assert nmbrs.total_calls == 1


@pytest.mark.parametrize(("kind", "detail", "attempts"), [
    ("http404", "HTTP 404 with an HTML page", 1),
    ("http410", "HTTP 410 with an HTML page", 1),
    ("retired", "SOAP fault naming the service gone: The Nmbrs SOAP API v3 has been retired", 1),
    ("refused", "connection refused by the Nmbrs host", 0),  # nothing reaches the stand-in
])
async def test_a_switched_off_soap_api_is_told_apart(
    nmbrs: NmbrsStandIn, make_gateway: GatewayFactory, kind: str, detail: str, attempts: int
) -> None:
    gateway = make_gateway(retries=2)
    assert isinstance(await gateway.validate(USERNAME, TOKEN), Valid)
    nmbrs.reset_counters()
    nmbrs.switch_off(kind)  # type: ignore[arg-type]
    result = await gateway.validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable) and (result.cause, result.operation) == (UnreachableCause.SERVICE_GONE, ENV)
    assert result.detail.startswith(detail)
    # 404, 410 and the fault are not asked twice; a refused connection is retried (a restart refuses too).
    assert nmbrs.total_calls == attempts
    nmbrs.switch_on()
    assert isinstance(await gateway.validate(USERNAME, TOKEN), Valid)


async def test_missing_soap_action_is_our_bug_not_retried(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(retries=3)

    async def drop_soap_action(request: httpx.Request) -> None:
        del request.headers["SOAPAction"]

    gateway._http.event_hooks["request"].append(drop_soap_action)
    result = await gateway.validate(USERNAME, TOKEN)

    assert isinstance(result, Unreachable)
    assert result.cause is UnreachableCause.MISCONFIGURED
    assert "Unable to handle request without a valid action parameter" in result.detail
    assert nmbrs.total_calls == 1


@pytest.mark.parametrize(
    ("username", "token", "reason"),
    [
        ("", TOKEN, "empty_username"),
        ("not-an-email", TOKEN, "bad_username"),
        (USERNAME, "   ", "empty_token"),
        (USERNAME, "0123 4567", "token_has_spaces"),
        (USERNAME, "a" * 257, "token_too_long"),
        (USERNAME, "tökén", "token_bad_characters"),
    ],
)
async def test_shape_errors_raise_before_any_call(
    nmbrs: NmbrsStandIn, gateway: NmbrsGateway, username: str, token: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await gateway.validate(username, token)
    assert caught.value.reason == reason
    assert nmbrs.total_calls == 0


async def test_on_call_sees_every_attempt(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    seen: list[tuple[str, str, float]] = []
    nmbrs.fail_next("html503", operation=ENV)
    nmbrs.account_fault(USERNAME, 1002, COMPANIES)
    result = await make_gateway(on_call=lambda *call: seen.append(call)).validate(USERNAME, TOKEN)

    assert isinstance(result, Rejected)
    outcomes = [(operation, outcome) for operation, outcome, _ in seen]
    assert outcomes[:2] == [(ENV, "html"), (ENV, "ok")]
    assert sorted(outcomes[2:]) == [(COMPANIES, "rights"), (DEBTORS, "ok")]
    assert all(latency >= 0 for _, _, latency in seen)


async def test_a_failing_on_call_hook_changes_nothing(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    def broken(operation: str, outcome: str, latency_s: float) -> None:
        raise RuntimeError("metrics are down")

    assert isinstance(await make_gateway(on_call=broken).validate(USERNAME, TOKEN), Valid)


async def test_gateway_is_an_async_context_manager(nmbrs: NmbrsStandIn) -> None:
    async with NmbrsGateway(base_url=nmbrs.base_url, retries=0) as gateway:
        assert isinstance(await gateway.validate(USERNAME, TOKEN), Valid)
    assert gateway._http.is_closed


def test_construction_needs_no_network() -> None:
    # The session-wide guard in tests/conftest.py refuses any non-loopback connection, and the
    # stand-in counts WSDL fetches: building against the production URL touches neither.
    gateway = NmbrsGateway(base_url="https://api.nmbrs.nl/soap/v3/")
    assert gateway.base_url == "https://api.nmbrs.nl/soap/v3/"


def test_remote_wsdl_loading_is_refused() -> None:
    from zeep.exceptions import TransportError

    from bot.nmbrs.transport import QuietTransport

    transport = QuietTransport(httpx.AsyncClient())
    with pytest.raises(TransportError):
        transport.load("https://api.nmbrs.nl/soap/v3/DebtorService.asmx?WSDL")


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "api.nmbrs.nl/soap/v3/"},
        {"base_url": "ftp://api.nmbrs.nl/"},
        {"base_url": "https://api.nmbrs.nl/", "soap_version": 13},
        {"base_url": "https://api.nmbrs.nl/", "retries": -1},
        {"base_url": "https://api.nmbrs.nl/", "read_timeout_s": 0},
    ],
)
def test_bad_configuration_is_refused_at_construction(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NmbrsGateway(**options)  # type: ignore[arg-type]


async def test_no_wsdl_is_fetched(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    await gateway.validate(USERNAME, TOKEN)
    assert nmbrs.wsdl_requests == 0
    assert "unknown" not in nmbrs.calls


async def test_many_validations_at_once(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    import asyncio

    for i in range(20):
        nmbrs.add_account(
            f"user{i}@acme.nl", f"token{i:02d}" * 4, f"env{i}",
            debtors=[StandinDebtor(i, i, f"Debtor {i}")],
            companies=[StandinCompany(1000 + i, 1, f"Company {i}", debtor_id=i)],
        )
    gateway = make_gateway()
    results = await asyncio.gather(
        *(gateway.validate(f"user{i}@acme.nl", f"token{i:02d}" * 4) for i in range(20))
    )
    assert [r.environment for r in results if isinstance(r, Valid)] == [f"env{i}" for i in range(20)]


async def test_answer_without_subdomain_is_malformed(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    seen: list[str] = []
    nmbrs.add_account("odd@acme.nl", TOKEN, "")
    result = await make_gateway(on_call=lambda op, outcome, _: seen.append(outcome)).validate("odd@acme.nl", TOKEN)

    assert isinstance(result, Unreachable) and result.cause is UnreachableCause.MALFORMED
    assert seen == ["malformed"] * 3 and nmbrs.calls[ENV] == 3


async def test_company_login_without_debtors(nmbrs: NmbrsStandIn, gateway: NmbrsGateway) -> None:
    nmbrs.add_account("company@acme.nl", TOKEN, "acme", companies=[StandinCompany(5, 1, "Acme B.V.", debtor_id=99)])
    result = await gateway.validate("company@acme.nl", TOKEN)
    assert isinstance(result, Valid) and result.debtors == () and result.companies[0].debtor_id is None
    assert nmbrs.calls[BY_DEBTOR] == 0
