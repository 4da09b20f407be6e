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
import threading
import time
from collections import Counter, deque
from collections.abc import Coroutine, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

from aiohttp import web
from lxml import etree

from bot.standins.loop import BackgroundLoop
from bot.standins.nmbrs.accounts import (
    RecordedRequest,
    StandinAccount,
    StandinCompany,
    StandinDebtor,
    as_company,
    as_debtor,
)
from bot.standins.nmbrs.envelopes import (
    BASE_PATH,
    HTML_404,
    NS,
    SOAP11_ENV,
    SOAP12_ENV,
    Fault,
    check_protocol,
    content_type,
    envelope,
    fault_body,
    nmbrs_fault_text,
    parse_request,
    result_body,
    service_of,
    wsdl_document,
)
from bot.standins.nmbrs.injection import HTML_410, SWITCH_OFF_KINDS, FaultInjection, Injection, SwitchOffKind


class NmbrsStandIn(FaultInjection, BackgroundLoop):
    """The server and its knobs. Thread-safe: configure from the test thread while it serves."""

    thread_name = "nmbrs-standin"

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._lock = threading.Lock()
        self.switched_off: str | None = None
        """One of SWITCH_OFF_KINDS while the SOAP API plays switched off (switch_off / switch_on)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.reset()

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{BASE_PATH}"

    async def _main(self, ready: threading.Event) -> None:
        self._stopped = asyncio.Event()
        await self._listen()
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            await self._close_port()

    async def _listen(self) -> None:
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

    async def _close_port(self) -> None:
        """Stop listening and close every open connection: the next connect is refused."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- a switched-off SOAP API ----------------------------------------------------------------

    def switch_off(self, kind: SwitchOffKind) -> None:
        """From now on answer every request as a retired endpoint would (see SWITCH_OFF_KINDS); `refused`
        closes the port itself (kept connections too), so every connect is refused by the host."""
        if kind not in SWITCH_OFF_KINDS:
            raise ValueError(f"unknown switch-off {kind!r}; one of {SWITCH_OFF_KINDS}")
        self.switch_on()
        with self._lock:
            self.switched_off = kind
        if kind == "refused":
            self._on_loop(self._close_port())

    def switch_on(self) -> None:
        """SOAP answers again, on the same port."""
        with self._lock:
            was, self.switched_off = self.switched_off, None
        if was == "refused":
            self._on_loop(self._listen())

    def _on_loop(self, work: Coroutine[Any, Any, None]) -> None:
        assert self._loop is not None, "the stand-in is not running"
        asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    # -- configuration ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget accounts, injections and knobs, and zero the counters (for a shared server)."""
        with self._lock:
            self.accounts: dict[str, StandinAccount] = {}
            self._injections: deque[Injection] = deque()
            self._nth_faults: list[tuple[int, int, str | None]] = []
            self.latency_s = 0.0
            self.hang_s = 5.0  # how long a "timeout" injection keeps the client waiting
            self.require_domain = True
            self.extra_elements = False  # add elements our WSDL subset does not declare
            self.auth_failures: list[str] = []
        self.switch_on()
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
            debtors=[as_debtor(d) for d in debtors],
            companies=[as_company(c) for c in companies],
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
        service = service_of(request.path)
        if request.method == "GET" and service and "wsdl" in request.query_string.lower():
            with self._lock:
                self.wsdl_requests += 1
            return self._wsdl(service, request)
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
        root, operation = parse_request(body, service)
        op_label = f"{service}.{operation}" if operation else None
        self._record(root, service, op_label, version, action)

        gone = self.switched_off
        if gone is not None and gone != "refused":
            return self._retired(gone, version)
        injected = self._injection_for(op_label)
        if injected is not None:
            return await self._inject(request, injected, version)
        try:
            check_protocol(service, operation, version, action, root)
            account = self._authenticate(service, operation, root)
            return self._answer(service, operation, version, account, root)
        except Fault as fault:
            return self._fault_response(version, fault.text, client=fault.client)

    def _wsdl(self, service: str, request: web.Request) -> web.Response:
        """The WSDL, to anyone, as ASMX serves it; a switched-off API has none (its 404/410 page)."""
        gone = self.switched_off
        if gone == "http410":
            return web.Response(status=410, text=HTML_410, content_type="text/html")
        if gone is not None:
            return web.Response(status=404, text=HTML_404, content_type="text/html")
        address = f"http://{self.host}:{self.port}{request.path}"
        return web.Response(text=wsdl_document(service, address), content_type="text/xml", charset="utf-8")

    @staticmethod
    def _action(request: web.Request, version: int) -> str | None:
        if version == 11:
            raw = request.headers.get("SOAPAction")
            return raw.strip().strip('"') if raw is not None else None
        match = re.search(r'action\s*=\s*"?([^";]+)"?', request.headers.get("Content-Type", ""))
        return match.group(1).strip() if match else None

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
                raise Fault(nmbrs_fault_text(code))
        return account

    def _deny(self, why: str) -> NoReturn:
        with self._lock:
            self.auth_failures.append(why)
        raise Fault(nmbrs_fault_text(1001))

    def _answer(
        self, service: str, operation: str | None, version: int, account: StandinAccount, root: Any
    ) -> web.Response:
        body = result_body(service, operation, account, root, extra=self.extra_elements)
        return web.Response(status=200, text=envelope(version, body), content_type=content_type(version))

    def _fault_response(self, version: int, text: str, *, client: bool = False) -> web.Response:
        body = envelope(version, fault_body(version, text, client=client))
        return web.Response(status=500, text=body, content_type=content_type(version))


@contextmanager
def start_standin() -> Iterator[NmbrsStandIn]:
    """A running stand-in for the duration of the block."""
    with NmbrsStandIn() as standin:
        yield standin
