"""The zeep transport under the gateway: one shared httpx client, no envelope ever logged or kept."""

from __future__ import annotations

import errno
import logging
from typing import Any

import httpx
from zeep import exceptions as zeep_errors
from zeep.transports import AsyncTransport

from bot.nmbrs.failures import CallFailed, screen_response
from handlers.model import UnreachableCause

logger = logging.getLogger(__name__)

#: The largest Nmbrs answer read. A credential check's answers are a few KB (a big accountant's
#: company list a few hundred); past this the answer is dropped unread, as a transient failure,
#: instead of being held (and parsed) whole in memory.
MAX_ANSWER_BYTES = 5 * 1024 * 1024


class QuietTransport(AsyncTransport):
    """zeep transport over our shared httpx client that never logs or leaks the envelope.

    zeep's own AsyncTransport.post logs the whole request at DEBUG (token in the header), and
    httpx exceptions keep the request (token in the body) on `.request`; both stop here.
    """

    def __init__(self, client: httpx.AsyncClient, *, max_answer_bytes: int = MAX_ANSWER_BYTES) -> None:
        # AsyncTransport.__init__ is skipped on purpose: it builds a synchronous client for
        # fetching WSDLs (we never fetch one) and overwrites the shared client's headers.
        self.cache = None
        self.load_timeout = 0
        self.operation_timeout = None
        self.client = client
        self.wsdl_client = None
        self._close_session = False
        self.logger = logger
        self.max_answer_bytes = max_answer_bytes

    def _load_remote_data(self, url: str) -> bytes:
        # Start-up needs no network: the WSDL and everything it refers to ship with the package.
        raise zeep_errors.TransportError(f"refusing to fetch {url}: the Nmbrs WSDL ships with tokendesk")

    async def aclose(self) -> None:
        # The gateway owns the httpx client and closes it.
        return None

    async def post(self, address: str, message: Any, headers: dict[str, str]) -> httpx.Response:
        failure: CallFailed | None = None
        response: httpx.Response | None = None
        try:
            response = await self._read_capped(address, message, headers)
        except _TooLarge:
            failure = CallFailed.unreachable(
                UnreachableCause.MALFORMED, f"answer larger than {self.max_answer_bytes // 1024} KB; not read"
            )
        except httpx.TimeoutException as exc:
            failure = CallFailed.unreachable(UnreachableCause.TIMEOUT, f"no answer in time ({_name(exc)})")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            failure = CallFailed.unreachable(UnreachableCause.MISCONFIGURED, f"unusable Nmbrs URL ({_name(exc)})")
        except httpx.ConnectError as exc:
            if _refused(exc):
                # The host is there and says nothing listens: how a switched-off endpoint may answer. Still
                # retried, since a restarting server refuses for a moment too.
                failure = CallFailed.unreachable(UnreachableCause.SERVICE_GONE, "connection refused by the Nmbrs host",
                                                 retry=True)
            else:
                failure = CallFailed.unreachable(UnreachableCause.CONNECTION, f"connection failed ({_name(exc)})")
        except httpx.TransportError as exc:
            failure = CallFailed.unreachable(UnreachableCause.CONNECTION, f"connection failed ({_name(exc)})")
        # Raised outside the except clauses so the httpx exception (and its request) is not
        # kept as __context__ of ours.
        if failure is not None:
            raise failure
        assert response is not None
        problem = screen_response(
            response.status_code, response.headers.get("content-type", ""), response.content
        )
        if problem is not None:
            raise problem
        return response

    async def _read_capped(self, address: str, message: Any, headers: dict[str, str]) -> httpx.Response:
        """POST and read the answer in chunks, giving up past the cap (announced or counted)."""
        cap = self.max_answer_bytes
        async with self.client.stream("POST", address, content=message, headers=headers) as streamed:
            announced = streamed.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > cap:
                raise _TooLarge
            body = bytearray()
            # Decoded bytes are counted, so a small compressed answer that inflates is capped too.
            async for chunk in streamed.aiter_bytes():
                body += chunk
                if len(body) > cap:
                    raise _TooLarge
            kept = [(k, v) for k, v in streamed.headers.multi_items()
                    if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
            return httpx.Response(streamed.status_code, headers=kept, content=bytes(body), request=streamed.request)


class _TooLarge(Exception):
    pass


def _refused(exc: BaseException) -> bool:
    """Whether a connect error was the host refusing (ECONNREFUSED), not DNS, a route or a reset."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or getattr(current, "errno", None) == errno.ECONNREFUSED:
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _name(exc: BaseException) -> str:
    # Only the class name: httpx messages are harmless today, but the request they hang on is not.
    return type(exc).__name__
