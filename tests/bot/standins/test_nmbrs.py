"""The stand-in itself, over raw HTTP: it must be as strict as ASMX and answer in Nmbrs' shapes."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from lxml import etree

from bot.standins.nmbrs.envelopes import NO_ACTION, SOAP11_ENV, SOAP12_ENV
from bot.standins.nmbrs.server import NmbrsStandIn, start_standin
from tests.bot.nmbrs.accounts import TOKEN, USERNAME

D = "https://api.nmbrs.nl/soap/v3/DebtorService"
C = "https://api.nmbrs.nl/soap/v3/CompanyService"

# The reference's own example request (nmbrs-soap.md, section 3), byte for byte apart from values.
ENVIRONMENT_GET = f"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:d="{D}">
 <s:Header><d:AuthHeader><d:Username>{USERNAME}</d:Username><d:Token>{TOKEN}</d:Token></d:AuthHeader></s:Header>
 <s:Body><d:Environment_Get/></s:Body></s:Envelope>"""


def _list_request(ns: str, header_children: str, env: str = SOAP11_ENV, operation: str = "List_GetAll") -> str:
    return (
        f'<s:Envelope xmlns:s="{env}" xmlns:d="{ns}"><s:Header><d:AuthHeaderWithDomain>{header_children}'
        f"</d:AuthHeaderWithDomain></s:Header><s:Body><d:{operation}/></s:Body></s:Envelope>"
    )


GOOD_HEADER = f"<d:Username>{USERNAME}</d:Username><d:Token>{TOKEN}</d:Token><d:Domain>acme</d:Domain>"


async def _post11(nmbrs: NmbrsStandIn, service: str, body: str, action: str | None) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = f'"{action}"'
    async with httpx.AsyncClient() as client:
        return await client.post(f"{nmbrs.base_url}{service}.asmx", content=body, headers=headers)


def _fault_string(response: httpx.Response) -> tuple[str | None, str | None]:
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault")
    return fault.findtext("faultcode"), fault.findtext("faultstring")


async def test_reference_example_gets_the_reference_answer(nmbrs: NmbrsStandIn) -> None:
    response = await _post11(nmbrs, "DebtorService", ENVIRONMENT_GET, f"{D}/Environment_Get")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    result = root.find(f"{{{SOAP11_ENV}}}Body/{{{D}}}Environment_GetResponse/{{{D}}}Environment_GetResult")
    assert [child.tag for child in result] == [f"{{{D}}}SubDomain"] and result[0].text == "acme"


async def test_missing_soap_action_is_a_client_fault(nmbrs: NmbrsStandIn) -> None:
    response = await _post11(nmbrs, "DebtorService", ENVIRONMENT_GET, None)
    assert response.status_code == 500
    assert _fault_string(response) == ("soap:Client", NO_ACTION)


async def test_unknown_soap_action_is_a_client_fault(nmbrs: NmbrsStandIn) -> None:
    response = await _post11(nmbrs, "DebtorService", ENVIRONMENT_GET, f"{D}/Nope")
    code, text = _fault_string(response)
    assert code == "soap:Client" and "did not recognize the value of HTTP Header SOAPAction" in (text or "")


async def test_wrong_credentials_fault_text(nmbrs: NmbrsStandIn) -> None:
    body = ENVIRONMENT_GET.replace(TOKEN, "0" * 32)
    response = await _post11(nmbrs, "DebtorService", body, f"{D}/Environment_Get")
    assert response.status_code == 500
    assert _fault_string(response) == (
        "soap:Server",
        "Server was unable to process request. ---> 1001: Invalid Authentication",
    )
    assert b"---&gt; 1001" in response.content  # escaped on the wire, as ASMX does


@pytest.mark.parametrize(
    ("children", "why"),
    [
        (f"<d:Token>{TOKEN}</d:Token><d:Username>{USERNAME}</d:Username><d:Domain>acme</d:Domain>", "children"),
        (f"<d:Username>{USERNAME}</d:Username><d:Token>{TOKEN}</d:Token>", "children"),
        (f"<d:Username>{USERNAME}</d:Username><d:Token>{TOKEN}</d:Token><d:Domain>other</d:Domain>", "wrong domain"),
        (f"<Username>{USERNAME}</Username><Token>{TOKEN}</Token><Domain>acme</Domain>", "children"),
    ],
)
async def test_header_order_namespace_and_domain_are_checked(nmbrs: NmbrsStandIn, children: str, why: str) -> None:
    response = await _post11(nmbrs, "CompanyService", _list_request(C, children), f"{C}/List_GetAll")
    assert _fault_string(response)[1] == "Server was unable to process request. ---> 1001: Invalid Authentication"
    assert why in nmbrs.auth_failures[-1]


async def test_header_in_the_other_services_namespace_is_refused(nmbrs: NmbrsStandIn) -> None:
    response = await _post11(nmbrs, "CompanyService", _list_request(C, GOOD_HEADER).replace(C, D), f"{C}/List_GetAll")
    assert response.status_code == 500


async def test_company_answer_shape(nmbrs: NmbrsStandIn) -> None:
    response = await _post11(nmbrs, "CompanyService", _list_request(C, GOOD_HEADER), f"{C}/List_GetAll")
    root = etree.fromstring(response.content)
    companies = root.findall(f"{{{SOAP11_ENV}}}Body/{{{C}}}List_GetAllResponse/{{{C}}}List_GetAllResult/{{{C}}}Company")
    assert [etree.QName(child).localname for child in companies[0]] == [
        "ID", "Number", "Name", "PhoneNumber", "FaxNumber", "Email", "Website", "LoonaangifteTijdvak", "KvkNr"
    ]
    assert companies[2].findtext(f"{{{C}}}Name") == "Zonen <Noord> B.V."


async def test_soap12_by_content_type(nmbrs: NmbrsStandIn) -> None:
    body = _list_request(D, GOOD_HEADER.replace("acme<", "nope<"), env=SOAP12_ENV)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{nmbrs.base_url}DebtorService.asmx",
            content=body,
            headers={"Content-Type": f'application/soap+xml; charset=utf-8; action="{D}/List_GetAll"'},
        )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/soap+xml")
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP12_ENV}}}Body/{{{SOAP12_ENV}}}Fault")
    assert fault.findtext(f"{{{SOAP12_ENV}}}Code/{{{SOAP12_ENV}}}Value") == "soap:Receiver"
    text = fault.find(f"{{{SOAP12_ENV}}}Reason/{{{SOAP12_ENV}}}Text")
    assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert text.text == "Server was unable to process request. ---> 1001: Invalid Authentication"


async def test_soap12_envelope_under_soap11_content_type_is_a_client_fault(nmbrs: NmbrsStandIn) -> None:
    body = _list_request(D, GOOD_HEADER, env=SOAP12_ENV)
    response = await _post11(nmbrs, "DebtorService", body, f"{D}/List_GetAll")
    assert _fault_string(response)[0] == "soap:Client"


async def test_unknown_paths_are_iis_404_pages(nmbrs: NmbrsStandIn) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{nmbrs.base_url}EmployeeService.asmx", content=b"<x/>")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


async def test_counters_and_reset(nmbrs: NmbrsStandIn) -> None:
    await _post11(nmbrs, "DebtorService", ENVIRONMENT_GET, f"{D}/Environment_Get")
    assert nmbrs.total_calls == 1 and nmbrs.calls["DebtorService.Environment_Get"] == 1
    nmbrs.reset_counters()
    assert nmbrs.total_calls == 0 and not nmbrs.calls and nmbrs.max_in_flight == 0 and nmbrs.accounts


async def test_token_reset_and_deleted_user(nmbrs: NmbrsStandIn) -> None:
    nmbrs.set_token(USERNAME, "1" * 32)
    response = await _post11(nmbrs, "DebtorService", ENVIRONMENT_GET, f"{D}/Environment_Get")
    assert response.status_code == 500
    nmbrs.remove_account(USERNAME)
    assert nmbrs.accounts == {}


def test_unknown_injection_is_refused(nmbrs: NmbrsStandIn) -> None:
    with pytest.raises(ValueError):
        nmbrs.fail_next("teapot")  # type: ignore[arg-type]


async def test_latency_does_not_serialise_requests(nmbrs: NmbrsStandIn) -> None:
    nmbrs.latency_s = 0.3
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    started = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{nmbrs.base_url}DebtorService.asmx",
                    content=ENVIRONMENT_GET,
                    headers={"Content-Type": "text/xml", "SOAPAction": f'"{D}/Environment_Get"'},
                )
                for _ in range(200)
            )
        )
    elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert nmbrs.max_in_flight >= 150
    assert elapsed < 10  # 200 x 0.3 s would be a minute if they queued


def test_a_second_independent_standin() -> None:
    # Other suites build their own fixtures from start_standin(); two may run side by side.
    with start_standin() as other:
        assert other.port and other.base_url.endswith("/soap/v3/")
        assert other.accounts == {}
