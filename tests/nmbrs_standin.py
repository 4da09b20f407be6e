"""A local stand-in for the Nmbrs SOAP API v3 (DebtorService, CompanyService) over real HTTP.

    with start_standin() as nmbrs:
        nmbrs.add_account("hr@acme.nl", TOKEN, "acme",
                          debtors=[StandinDebtor(12345, 101, "Acme Holding")],
                          companies=[StandinCompany(54613, 1, "Acme B.V.", debtor_id=12345)])
        gateway = NmbrsGateway(base_url=nmbrs.base_url)
        ...
        nmbrs.fail_next("html503", count=2, operation="CompanyService")
        assert nmbrs.calls["DebtorService.Environment_Get"] == 1

aiohttp on its own event loop in a background thread: it serves whatever loop or thread the
code under test runs on, and injected latency is an `asyncio.sleep` per request, so hundreds of
requests in flight do not queue behind each other. Requests are parsed and checked as strictly
as ASMX would (SOAPAction for 1.1, content type for 1.2, header element, order and namespace);
answers and faults follow /work/shared/reference/nmbrs-soap.md (sections 1-4) exactly.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn
from xml.sax.saxutils import escape

from aiohttp import web
from lxml import etree

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

InjectionKind = Literal["timeout", "html503", "malformed", "fault", "reset", "http500", "huge"]
INJECTION_KINDS: tuple[str, ...] = ("timeout", "html503", "malformed", "fault", "reset", "http500", "huge")
#: The size of a "huge" answer: a well-formed debtor list, sent chunked (no Content-Length).
HUGE_BYTES = 50 * 1024 * 1024

HTML_503 = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    "<body><h1>Service Unavailable</h1><p>Nmbrs is undergoing maintenance. Please try again later.</p>"
    "</body></html>\n"
)
HTML_404 = (
    "<!DOCTYPE html>\n<html><head><title>404 - File or directory not found.</title></head>\n"
    "<body><h2>404 - File or directory not found.</h2></body></html>\n"
)


@dataclass(frozen=True)
class StandinDebtor:
    id: int
    number: int | str | None
    name: str


@dataclass(frozen=True)
class StandinCompany:
    id: int
    number: int
    name: str
    debtor_id: int | None = None  # None: the account's first debtor
    kvk: str = ""
    period: str = "Month"


@dataclass
class StandinAccount:
    username: str
    token: str
    subdomain: str
    debtors: list[StandinDebtor]
    companies: list[StandinCompany]
    # operation ("CompanyService", "CompanyService.List_GetAll") -> Nmbrs code to fault with
    faults: dict[str, int] = field(default_factory=dict)
    # debtor ids whose List_GetByDebtor answers 2009 (the login lost its rights on that debtor)
    denied_debtors: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class RecordedRequest:
    """What one request looked like; no token kept, so tests can print these safely."""

    operation: str | None  # "DebtorService.List_GetAll", None when it could not be told
    soap_version: int | None
    soap_action: str | None
    header: str | None  # "AuthHeader" / "AuthHeaderWithDomain" / None
    header_fields: tuple[str, ...]  # Clark names of the header's children, in order
    username: str | None
    domain: str | None
    at: float


@dataclass
class _Injection:
    kind: str
    remaining: int
    operation: str | None
    code: int


def _matches(wanted: str | None, operation: str | None) -> bool:
    if wanted is None:
        return True
    if operation is None:
        return False
    return operation == wanted or operation.startswith(wanted + ".") or operation.endswith("." + wanted)


def _debtor(value: StandinDebtor | Mapping[str, Any]) -> StandinDebtor:
    return value if isinstance(value, StandinDebtor) else StandinDebtor(**value)


def _company(value: StandinCompany | Mapping[str, Any]) -> StandinCompany:
    return value if isinstance(value, StandinCompany) else StandinCompany(**value)


class _Fault(Exception):
    def __init__(self, text: str, *, client: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.client = client


def nmbrs_fault_text(code: int) -> str:
    return f"Server was unable to process request. ---> {code}: {FAULT_TEXTS.get(code, 'Error')}"


class NmbrsStandIn:
    """The server and its knobs. Thread-safe: configure from the test thread while it serves."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.reset()

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{BASE_PATH}"

    def start(self) -> NmbrsStandIn:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="nmbrs-standin", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> NmbrsStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:  # surfaced to start() instead of dying silently
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    async def _main(self, ready: threading.Event) -> None:
        self._stopped = asyncio.Event()
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that gave up (timeout injection) frees its handler,
        # so in_flight stays truthful and shutdown is quick.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            await runner.cleanup()

    # -- configuration ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget accounts, injections and knobs, and zero the counters (for a shared server)."""
        with self._lock:
            self.accounts: dict[str, StandinAccount] = {}
            self._injections: deque[_Injection] = deque()
            self._nth_faults: list[tuple[int, int, str | None]] = []
            self.latency_s = 0.0
            self.hang_s = 5.0  # how long a "timeout" injection keeps the client waiting
            self.require_domain = True
            self.extra_elements = False  # add elements our WSDL subset does not declare
            self.auth_failures: list[str] = []
        self.reset_counters()

    def reset_counters(self) -> None:
        with self._lock:
            # per operation ("DebtorService.Environment_Get"; "unknown" when it could not be told)
            self.calls: Counter[str] = Counter()
            self.total_calls = 0  # every HTTP request, 404s and WSDL fetches included
            self.in_flight = 0
            self.max_in_flight = 0
            self.arrivals: list[float] = []  # time.monotonic() of each request
            self.requests: list[RecordedRequest] = []
            self.wsdl_requests = 0

    def add_account(
        self,
        username: str,
        token: str,
        subdomain: str,
        *,
        debtors: Iterable[StandinDebtor | Mapping[str, Any]] = (),
        companies: Iterable[StandinCompany | Mapping[str, Any]] = (),
        faults: Mapping[str, int] | None = None,
    ) -> StandinAccount:
        account = StandinAccount(
            username=username,
            token=token,
            subdomain=subdomain,
            debtors=[_debtor(d) for d in debtors],
            companies=[_company(c) for c in companies],
            faults=dict(faults or {}),
        )
        with self._lock:
            self.accounts[username.lower()] = account
        return account

    def account_fault(self, username: str, code: int | None, operation: str = "*") -> None:
        """Make this account answer `code` on `operation` ("*" = every call); None clears it."""
        with self._lock:
            faults = self.accounts[username.lower()].faults
            if code is None:
                faults.pop(operation, None)
            else:
                faults[operation] = code

    def set_token(self, username: str, token: str) -> None:
        """A token reset in Nmbrs: the old token stops working at once."""
        with self._lock:
            self.accounts[username.lower()].token = token

    def remove_account(self, username: str) -> None:
        """The user was deleted in Nmbrs."""
        with self._lock:
            self.accounts.pop(username.lower(), None)

    def fail_next(
        self, kind: InjectionKind, count: int = 1, operation: str | None = None, code: int = 9999
    ) -> None:
        """The next `count` requests (for `operation`, if given) fail this way.

        kinds: timeout (sleep `hang_s`), html503, malformed (cut-off XML, 200), fault (`code`),
        reset (TCP RST, no answer), http500 (500 with an empty body), huge (a 200 with a
        well-formed debtor list of HUGE_BYTES, streamed in chunks without a Content-Length).
        """
        if kind not in INJECTION_KINDS:
            raise ValueError(f"unknown injection {kind!r}; one of {INJECTION_KINDS}")
        with self._lock:
            self._injections.append(_Injection(kind, count, operation, code))

    def fault_on_call(self, n: int, code: int, operation: str | None = None) -> None:
        """The n-th request from now on (1-based; counting only `operation` if given) faults."""
        with self._lock:
            seen = self._seen(operation)
            self._nth_faults.append((seen + n, code, operation))

    def _seen(self, operation: str | None) -> int:
        if operation is None:
            return sum(self.calls.values())
        return sum(count for op, count in self.calls.items() if _matches(operation, op))

    # -- serving ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.total_calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.arrivals.append(time.monotonic())
        try:
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            return await self._respond(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        service = self._service_of(request.path)
        if request.method == "GET" and service and "wsdl" in request.query_string.lower():
            with self._lock:
                self.wsdl_requests += 1
        if request.method != "POST" or service is None:
            return web.Response(status=404, text=HTML_404, content_type="text/html")
        body = await request.read()
        media_type = request.content_type
        if media_type == "text/xml":
            version = 11
        elif media_type == "application/soap+xml":
            version = 12
        else:
            return web.Response(status=415, text="Unsupported Media Type", content_type="text/plain")

        action = self._action(request, version)
        root, operation = self._parse(body, service)
        op_label = f"{service}.{operation}" if operation else None
        self._record(root, service, op_label, version, action)

        injected = self._injection_for(op_label)
        if injected is not None:
            return await self._inject(request, injected, version)
        try:
            self._check_protocol(service, operation, version, action, root)
            account = self._authenticate(service, operation, root)
            return self._answer(service, operation, version, account, root)
        except _Fault as fault:
            return self._fault_response(version, fault.text, client=fault.client)

    @staticmethod
    def _service_of(path: str) -> str | None:
        for service in NS:
            if path.lower() == f"{BASE_PATH}{service}.asmx".lower():
                return service
        return None

    @staticmethod
    def _action(request: web.Request, version: int) -> str | None:
        if version == 11:
            raw = request.headers.get("SOAPAction")
            return raw.strip().strip('"') if raw is not None else None
        match = re.search(r'action\s*=\s*"?([^";]+)"?', request.headers.get("Content-Type", ""))
        return match.group(1).strip() if match else None

    @staticmethod
    def _parse(body: bytes, service: str) -> tuple[Any, str | None]:
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

    def _record(
        self, root: Any, service: str, operation: str | None, version: int, action: str | None
    ) -> RecordedRequest:
        header_name: str | None = None
        fields: tuple[str, ...] = ()
        username = domain = None
        if root is not None:
            for env in (SOAP11_ENV, SOAP12_ENV):
                header = root.find(f"{{{env}}}Header")
                if header is None or not len(header):
                    continue
                element = header[0]
                header_name = etree.QName(element).localname
                fields = tuple(str(child.tag) for child in element)
                username = element.findtext(f"{{{NS[service]}}}Username")
                domain = element.findtext(f"{{{NS[service]}}}Domain")
        recorded = RecordedRequest(
            operation=operation,
            soap_version=version,
            soap_action=action,
            header=header_name,
            header_fields=fields,
            username=username,
            domain=domain,
            at=time.monotonic(),
        )
        with self._lock:
            self.calls[operation or "unknown"] += 1
            self.requests.append(recorded)
        return recorded

    def _injection_for(self, operation: str | None) -> _Injection | None:
        with self._lock:
            for i, (at, code, wanted) in enumerate(self._nth_faults):
                if _matches(wanted, operation) and self._seen(wanted) == at:
                    del self._nth_faults[i]
                    return _Injection("fault", 1, wanted, code)
            for injection in self._injections:
                if _matches(injection.operation, operation):
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                    return injection
        return None

    async def _inject(self, request: web.Request, injection: _Injection, version: int) -> web.StreamResponse:
        kind = injection.kind
        if kind == "timeout":
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504, text=HTML_503, content_type="text/html")
        if kind == "html503":
            return web.Response(status=503, text=HTML_503, content_type="text/html")
        if kind == "http500":
            return web.Response(status=500, body=b"")
        if kind == "malformed":
            cut = self._envelope(version, '<List_GetAllResponse xmlns="https://api.nmbrs.nl/soap/v3/')[:-40]
            return web.Response(status=200, text=cut, content_type=self._content_type(version))
        if kind == "fault":
            return self._fault_response(version, nmbrs_fault_text(injection.code))
        if kind == "huge":
            return await self._huge(request, version)
        # reset: abort with SO_LINGER 0 so the client sees a TCP RST, not a polite close.
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        raise asyncio.CancelledError

    async def _huge(self, request: web.Request, version: int) -> web.StreamResponse:
        ns = "https://api.nmbrs.nl/soap/v3/DebtorService"
        head, _, tail = self._envelope(
            version, f'<List_GetAllResponse xmlns="{ns}"><List_GetAllResult>|</List_GetAllResult></List_GetAllResponse>'
        ).partition("|")
        debtor = b"<Debtor><Id>1</Id><Number>1</Number><Name>" + b"x" * 960 + b"</Name></Debtor>"
        chunk = debtor * 1024
        response = web.StreamResponse(status=200, headers={"Content-Type": self._content_type(version)})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(head.encode())
        for _ in range(HUGE_BYTES // len(chunk)):
            await response.write(chunk)
        await response.write(tail.encode())
        await response.write_eof()
        return response

    def _check_protocol(
        self, service: str, operation: str | None, version: int, action: str | None, root: Any
    ) -> None:
        if version == 11 and not action:
            raise _Fault(NO_ACTION, client=True)
        expected_env = SOAP11_ENV if version == 11 else SOAP12_ENV
        if root is None or root.tag != f"{{{expected_env}}}Envelope":
            raise _Fault(
                "Possible SOAP version mismatch: Envelope namespace was unexpected. "
                f"Expecting {expected_env}.",
                client=True,
            )
        if action:
            known = {f"{NS[service]}/{op}" for op in OPERATIONS[service]}
            if action not in known:
                raise _Fault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.", client=True)
            if operation is None or action != f"{NS[service]}/{operation}":
                raise _Fault("Unable to handle request. The action does not match the body.", client=True)
        if operation is None:
            raise _Fault("Unable to handle request without a valid action parameter.", client=True)

    def _authenticate(self, service: str, operation: str | None, root: Any) -> StandinAccount:
        ns = NS[service]
        wanted_header = "AuthHeader" if operation == "Environment_Get" else "AuthHeaderWithDomain"
        wanted_fields = [f"{{{ns}}}Username", f"{{{ns}}}Token"]
        if wanted_header == "AuthHeaderWithDomain":
            wanted_fields.append(f"{{{ns}}}Domain")
        env = root.tag.partition("}")[0][1:]
        header = root.find(f"{{{env}}}Header/{{{ns}}}{wanted_header}")
        fields = [str(child.tag) for child in header] if header is not None else []
        optional_domain_missing = (
            not self.require_domain
            and wanted_header == "AuthHeaderWithDomain"
            and fields == wanted_fields[:2]
        )
        # ASMX binds headers by element name, namespace and sequence order: anything else leaves
        # the header empty, and Nmbrs answers an empty header with 1001.
        if header is None:
            self._deny(f"no {{{ns}}}{wanted_header} in soap:Header")
        if fields != wanted_fields and not optional_domain_missing:
            self._deny(f"{wanted_header} children {fields}, expected {wanted_fields}")
        username = header.findtext(f"{{{ns}}}Username") or ""
        token = header.findtext(f"{{{ns}}}Token") or ""
        with self._lock:
            account = self.accounts.get(username.strip().lower())
        if account is None:
            self._deny("unknown username")
        if not hmac.compare_digest(token.encode(), account.token.encode()):
            self._deny("wrong token")
        if wanted_header == "AuthHeaderWithDomain":
            domain = header.findtext(f"{{{ns}}}Domain")
            if (domain or self.require_domain) and domain != account.subdomain:
                self._deny("wrong domain")
        for key in ("*", service, f"{service}.{operation}"):
            code = account.faults.get(key)
            if code is not None:
                raise _Fault(nmbrs_fault_text(code))
        return account

    def _deny(self, why: str) -> NoReturn:
        with self._lock:
            self.auth_failures.append(why)
        raise _Fault(nmbrs_fault_text(1001))

    def _answer(
        self, service: str, operation: str | None, version: int, account: StandinAccount, root: Any
    ) -> web.Response:
        ns = NS[service]
        extra = self.extra_elements
        if service == "DebtorService" and operation == "Environment_Get":
            more = f"<Domain>{escape(account.subdomain)}.nmbrs.nl</Domain>" if extra else ""
            subdomain = f"<SubDomain>{escape(account.subdomain)}</SubDomain>"
            inner = f"<Environment_GetResult>{subdomain}{more}</Environment_GetResult>"
        elif service == "DebtorService":
            debtors = "".join(self._debtor_xml(d, extra) for d in account.debtors)
            inner = f"<List_GetAllResult>{debtors}</List_GetAllResult>"
        elif operation == "List_GetAll":
            companies = "".join(self._company_xml(c, extra) for c in account.companies)
            inner = f"<List_GetAllResult>{companies}</List_GetAllResult>"
        else:
            env = root.tag.partition("}")[0][1:]
            raw_id = root.findtext(f"{{{env}}}Body/{{{ns}}}List_GetByDebtor/{{{ns}}}DebtorId")
            try:
                debtor_id = int(raw_id or "")
            except ValueError:
                raise _Fault(
                    "Server was unable to read request. ---> There is an error in XML document.", client=True
                ) from None
            if debtor_id not in {d.id for d in account.debtors} or debtor_id in account.denied_debtors:
                raise _Fault(nmbrs_fault_text(2009))
            first = account.debtors[0].id if account.debtors else None
            mine = [c for c in account.companies if (c.debtor_id or first) == debtor_id]
            companies = "".join(self._company_xml(c, extra) for c in mine)
            inner = f"<List_GetByDebtorResult>{companies}</List_GetByDebtorResult>"
        body = f'<{operation}Response xmlns="{ns}">{inner}</{operation}Response>'
        return web.Response(status=200, text=self._envelope(version, body), content_type=self._content_type(version))

    @staticmethod
    def _debtor_xml(d: StandinDebtor, extra: bool) -> str:
        number = "" if d.number is None else escape(str(d.number))
        more = "<Extra>not in the WSDL subset</Extra>" if extra else ""
        return f"<Debtor><Id>{d.id}</Id><Number>{number}</Number><Name>{escape(d.name)}</Name>{more}</Debtor>"

    @staticmethod
    def _company_xml(c: StandinCompany, extra: bool) -> str:
        more = "<Extra>not in the WSDL subset</Extra>" if extra else ""
        return (
            f"<Company><ID>{c.id}</ID><Number>{c.number}</Number><Name>{escape(c.name)}</Name>"
            "<PhoneNumber /><FaxNumber /><Email /><Website />"
            f"<LoonaangifteTijdvak>{escape(c.period)}</LoonaangifteTijdvak><KvkNr>{escape(c.kvk)}</KvkNr>{more}</Company>"
        )

    @staticmethod
    def _content_type(version: int) -> str:
        return "text/xml" if version == 11 else "application/soap+xml"

    @staticmethod
    def _envelope(version: int, body: str) -> str:
        env = SOAP11_ENV if version == 11 else SOAP12_ENV
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{env}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f"<soap:Body>{body}</soap:Body></soap:Envelope>"
        )

    def _fault_response(self, version: int, text: str, *, client: bool = False) -> web.Response:
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
        return web.Response(status=500, text=self._envelope(version, fault), content_type=self._content_type(version))


@contextmanager
def start_standin() -> Iterator[NmbrsStandIn]:
    """A running stand-in for the duration of the block."""
    with NmbrsStandIn() as standin:
        yield standin
