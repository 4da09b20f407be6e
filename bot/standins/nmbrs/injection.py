"""Fault injection for the Nmbrs SOAP stand-in: failures queued for the next requests (timeouts,
503 pages, cut-off XML, faults, resets, a 50 MB answer, the answers of a retired endpoint), faults on
the n-th call, and a switched-off SOAP API (every request answered as a retired endpoint, or the port closed)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aiohttp import web

from bot.standins.tcp import cut
from bot.standins.nmbrs.envelopes import HTML_404, HTML_503, NS, content_type, envelope, nmbrs_fault_text

InjectionKind = Literal["timeout", "html503", "malformed", "fault", "reset", "http500", "huge", "http404", "http410",
                        "retired"]
INJECTION_KINDS: tuple[str, ...] = ("timeout", "html503", "malformed", "fault", "reset", "http500", "huge", "http404",
                                    "http410", "retired")
#: How a switched-off SOAP API may answer (Nmbrs has not said): IIS' 404 page, 410 Gone, a fault saying the
#: service is retired, or nothing listening on the port at all (connection refused).
SwitchOffKind = Literal["http404", "http410", "retired", "refused"]
SWITCH_OFF_KINDS: tuple[str, ...] = ("http404", "http410", "retired", "refused")
#: The fault text of a retired service (one wording; the gateway looks for the idea, not these words).
RETIRED_TEXT = "The Nmbrs SOAP API v3 has been retired and is no longer available. Please use the Nmbrs REST API."
HTML_410 = (
    "<!DOCTYPE html>\n<html><head><title>410 - Gone</title></head>\n"
    "<body><h2>410 - The SOAP API has been retired.</h2></body></html>\n"
)
#: The size of a "huge" answer: a well-formed debtor list, sent chunked (no Content-Length).
HUGE_BYTES = 50 * 1024 * 1024


@dataclass
class Injection:
    kind: str
    remaining: int
    operation: str | None
    code: int


def matches(wanted: str | None, operation: str | None) -> bool:
    if wanted is None:
        return True
    if operation is None:
        return False
    return operation == wanted or operation.startswith(wanted + ".") or operation.endswith("." + wanted)


class FaultInjection:
    """The injection knobs and their answers, mixed into NmbrsStandIn (which holds the state)."""

    _lock: threading.Lock
    _injections: deque[Injection]
    _nth_faults: list[tuple[int, int, str | None]]
    calls: Counter[str]
    hang_s: float

    if TYPE_CHECKING:  # NmbrsStandIn's own answer for a fault

        def _fault_response(self, version: int, text: str, *, client: bool = False) -> web.Response: ...

    def fail_next(
        self, kind: InjectionKind, count: int = 1, operation: str | None = None, code: int = 9999
    ) -> None:
        """The next `count` requests (for `operation`, if given) fail this way.

        kinds: timeout (sleep `hang_s`), html503, malformed (cut-off XML, 200), fault (`code`),
        reset (TCP RST, no answer), http500 (500 with an empty body), huge (a 200 with a
        well-formed debtor list of HUGE_BYTES, streamed in chunks without a Content-Length),
        http404 (IIS' not-found page), http410 (410 Gone), retired (a server fault: the service is retired).
        """
        if kind not in INJECTION_KINDS:
            raise ValueError(f"unknown injection {kind!r}; one of {INJECTION_KINDS}")
        with self._lock:
            self._injections.append(Injection(kind, count, operation, code))

    def fault_on_call(self, n: int, code: int, operation: str | None = None) -> None:
        """The n-th request from now on (1-based; counting only `operation` if given) faults."""
        with self._lock:
            seen = self._seen(operation)
            self._nth_faults.append((seen + n, code, operation))

    def _seen(self, operation: str | None) -> int:
        if operation is None:
            return sum(self.calls.values())
        return sum(count for op, count in self.calls.items() if matches(operation, op))

    def _injection_for(self, operation: str | None) -> Injection | None:
        with self._lock:
            for i, (at, code, wanted) in enumerate(self._nth_faults):
                if matches(wanted, operation) and self._seen(wanted) == at:
                    del self._nth_faults[i]
                    return Injection("fault", 1, wanted, code)
            for injection in self._injections:
                if matches(injection.operation, operation):
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                    return injection
        return None

    async def _inject(self, request: web.Request, injection: Injection, version: int) -> web.StreamResponse:
        kind = injection.kind
        if kind == "timeout":
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504, text=HTML_503, content_type="text/html")
        if kind == "html503":
            return web.Response(status=503, text=HTML_503, content_type="text/html")
        if kind == "http500":
            return web.Response(status=500, body=b"")
        if kind == "malformed":
            broken = envelope(version, '<List_GetAllResponse xmlns="https://api.nmbrs.nl/soap/v3/')[:-40]
            return web.Response(status=200, text=broken, content_type=content_type(version))
        if kind == "fault":
            return self._fault_response(version, nmbrs_fault_text(injection.code))
        if kind in ("http404", "http410", "retired"):
            return self._retired(kind, version)
        if kind == "huge":
            return await self._huge(request, version)
        cut(request)  # reset: the client sees a TCP RST, not a polite close

    def _retired(self, kind: str, version: int) -> web.Response:
        """How a retired endpoint answers a SOAP request (everything but a closed port)."""
        if kind == "http404":
            return web.Response(status=404, text=HTML_404, content_type="text/html")
        if kind == "http410":
            return web.Response(status=410, text=HTML_410, content_type="text/html")
        return self._fault_response(version, RETIRED_TEXT)

    async def _huge(self, request: web.Request, version: int) -> web.StreamResponse:
        ns = NS["DebtorService"]
        head, _, tail = envelope(
            version, f'<List_GetAllResponse xmlns="{ns}"><List_GetAllResult>|</List_GetAllResult></List_GetAllResponse>'
        ).partition("|")
        debtor = b"<Debtor><Id>1</Id><Number>1</Number><Name>" + b"x" * 960 + b"</Name></Debtor>"
        chunk = debtor * 1024
        response = web.StreamResponse(status=200, headers={"Content-Type": content_type(version)})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(head.encode())
        for _ in range(HUGE_BYTES // len(chunk)):
            await response.write(chunk)
        await response.write(tail.encode())
        await response.write_eof()
        return response
