"""The SOAP side of the Nmbrs stand-in: envelopes, answers and faults exactly as
/work/shared/reference/nmbrs-soap.md (sections 1-4) gives them, and the IIS pages around them."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from bot.standins.nmbrs.accounts import StandinAccount, StandinCompany, StandinDebtor

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
NS = {
    "DebtorService": "https://api.nmbrs.nl/soap/v3/DebtorService",
    "CompanyService": "https://api.nmbrs.nl/soap/v3/CompanyService",
}
OPERATIONS = {
    "DebtorService": ("Environment_Get", "List_GetAll"),
    "CompanyService": ("List_GetAll", "List_GetByDebtor"),
}
BASE_PATH = "/soap/v3/"

# Texts Nmbrs puts after "---> NNNN: " (L's exception table, which mirrors Nmbrs' own article).
FAULT_TEXTS = {
    1000: "Invalid Email or Password",
    1001: "Invalid Authentication",
    1002: "Unauthorized access",
    1003: "Unauthorized access data",
    1004: "Disabled, no valid subscription",
    1006: "Generic Login Security Failure",
    2003: "No rights on employee",
    2004: "No rights on company",
    2009: "No rights on debtor",
    # Codes outside 1001-1004 that Nmbrs is known to answer (reference, section 4); none of them
    # says anything about the login.
    1005: "Unknown Error",
    2011: "Protected mode is active",
    2013: "Not possible on a free trial",
    2042: "MultipleEnvironmentAccounts",
    3000: "Unexpected Error",
    9999: "Unknown error",
}
NO_ACTION = "Unable to handle request without a valid action parameter. Please supply a valid soap action."

HTML_503 = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    "<body><h1>Service Unavailable</h1><p>Nmbrs is undergoing maintenance. Please try again later.</p>"
    "</body></html>\n"
)
HTML_404 = (
    "<!DOCTYPE html>\n<html><head><title>404 - File or directory not found.</title></head>\n"
    "<body><h2>404 - File or directory not found.</h2></body></html>\n"
)


class Fault(Exception):
    def __init__(self, text: str, *, client: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.client = client


def nmbrs_fault_text(code: int) -> str:
    return f"Server was unable to process request. ---> {code}: {FAULT_TEXTS.get(code, 'Error')}"


def result_body(service: str, operation: str | None, account: StandinAccount, root: Any, *, extra: bool) -> str:
    """The <...Response> element for one answered operation; a Fault when Nmbrs would refuse it.
    `extra` adds elements the WSDL subset does not declare, as Nmbrs may in a later version."""
    ns = NS[service]
    if service == "DebtorService" and operation == "Environment_Get":
        more = f"<Domain>{escape(account.subdomain)}.nmbrs.nl</Domain>" if extra else ""
        subdomain = f"<SubDomain>{escape(account.subdomain)}</SubDomain>"
        inner = f"<Environment_GetResult>{subdomain}{more}</Environment_GetResult>"
    elif service == "DebtorService":
        debtors = "".join(debtor_xml(d, extra) for d in account.debtors)
        inner = f"<List_GetAllResult>{debtors}</List_GetAllResult>"
    elif operation == "List_GetAll":
        companies = "".join(company_xml(c, extra) for c in account.companies)
        inner = f"<List_GetAllResult>{companies}</List_GetAllResult>"
    else:
        env = root.tag.partition("}")[0][1:]
        raw_id = root.findtext(f"{{{env}}}Body/{{{ns}}}List_GetByDebtor/{{{ns}}}DebtorId")
        try:
            debtor_id = int(raw_id or "")
        except ValueError:
            raise Fault(
                "Server was unable to read request. ---> There is an error in XML document.", client=True
            ) from None
        if debtor_id not in {d.id for d in account.debtors} or debtor_id in account.denied_debtors:
            raise Fault(nmbrs_fault_text(2009))
        first = account.debtors[0].id if account.debtors else None
        mine = [c for c in account.companies if (c.debtor_id or first) == debtor_id]
        companies = "".join(company_xml(c, extra) for c in mine)
        inner = f"<List_GetByDebtorResult>{companies}</List_GetByDebtorResult>"
    return f'<{operation}Response xmlns="{ns}">{inner}</{operation}Response>'


def debtor_xml(d: StandinDebtor, extra: bool) -> str:
    number = "" if d.number is None else escape(str(d.number))
    more = "<Extra>not in the WSDL subset</Extra>" if extra else ""
    return f"<Debtor><Id>{d.id}</Id><Number>{number}</Number><Name>{escape(d.name)}</Name>{more}</Debtor>"

def company_xml(c: StandinCompany, extra: bool) -> str:
    more = "<Extra>not in the WSDL subset</Extra>" if extra else ""
    return (
        f"<Company><ID>{c.id}</ID><Number>{c.number}</Number><Name>{escape(c.name)}</Name>"
        "<PhoneNumber /><FaxNumber /><Email /><Website />"
        f"<LoonaangifteTijdvak>{escape(c.period)}</LoonaangifteTijdvak><KvkNr>{escape(c.kvk)}</KvkNr>{more}</Company>"
    )

def content_type(version: int) -> str:
    return "text/xml" if version == 11 else "application/soap+xml"

def envelope(version: int, body: str) -> str:
    env = SOAP11_ENV if version == 11 else SOAP12_ENV
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{env}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def wsdl_document(service: str, address: str) -> str:
    """The outline of the WSDL an ASMX service serves to anyone at `<Service>.asmx?WSDL` (its types and
    operations left out: nothing here reads them; the gateway ships its own copy)."""
    ns = NS[service]
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        f'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="{ns}" targetNamespace="{ns}">'
        f'<wsdl:service name="{service}"><wsdl:port name="{service}Soap" binding="tns:{service}Soap">'
        f'<soap:address location="{escape(address)}" /></wsdl:port></wsdl:service></wsdl:definitions>'
    )


def fault_body(version: int, text: str, *, client: bool = False) -> str:
    """A SOAP 1.1 or 1.2 <soap:Fault> as ASMX writes it: Client/Sender for a bad request."""
    if version == 11:
        code = "soap:Client" if client else "soap:Server"
        fault = (
            f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{escape(text)}</faultstring>"
            "<detail /></soap:Fault>"
        )
    else:
        code = "soap:Sender" if client else "soap:Receiver"
        fault = (
            f"<soap:Fault><soap:Code><soap:Value>{code}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{escape(text)}</soap:Text></soap:Reason>'
            "<soap:Detail /></soap:Fault>"
        )
    return fault


# --- reading a request as ASMX does ------------------------------------------------------------


def service_of(path: str) -> str | None:
    """Which service an .asmx path names, case-insensitively as IIS matches it."""
    for service in NS:
        if path.lower() == f"{BASE_PATH}{service}.asmx".lower():
            return service
    return None


def parse_request(body: bytes, service: str) -> tuple[Any, str | None]:
    """(root element or None if not XML, operation the body names or None)."""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None, None
    for env in (SOAP11_ENV, SOAP12_ENV):
        payload = root.find(f"{{{env}}}Body")
        if payload is not None and len(payload):
            qname = etree.QName(payload[0])
            if qname.namespace == NS[service] and qname.localname in OPERATIONS[service]:
                return root, qname.localname
    return root, None


def check_protocol(
    service: str, operation: str | None, version: int, action: str | None, root: Any
) -> None:
    """Refuse, with ASMX's client fault, what ASMX would not dispatch."""
    if version == 11 and not action:
        raise Fault(NO_ACTION, client=True)
    expected_env = SOAP11_ENV if version == 11 else SOAP12_ENV
    if root is None or root.tag != f"{{{expected_env}}}Envelope":
        raise Fault(
            "Possible SOAP version mismatch: Envelope namespace was unexpected. "
            f"Expecting {expected_env}.",
            client=True,
        )
    if action:
        known = {f"{NS[service]}/{op}" for op in OPERATIONS[service]}
        if action not in known:
            raise Fault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.", client=True)
        if operation is None or action != f"{NS[service]}/{operation}":
            raise Fault("Unable to handle request. The action does not match the body.", client=True)
    if operation is None:
        raise Fault("Unable to handle request without a valid action parameter.", client=True)
