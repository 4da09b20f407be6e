"""The zeep transport under the gateway: one shared httpx client, no envelope ever logged or kept."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from zeep import exceptions as zeep_errors
from zeep.transports import AsyncTransport

from bot.nmbrs.failures import CallFailed, screen_response
from handlers.model import UnreachableCause

logger = logging.getLogger(__name__)


class QuietTransport(AsyncTransport):
    """zeep transport over our shared httpx client that never logs or leaks the envelope.

    zeep's own AsyncTransport.post logs the whole request at DEBUG (token in the header), and
    httpx exceptions keep the request (token in the body) on `.request`; both stop here.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        # AsyncTransport.__init__ is skipped on purpose: it builds a synchronous client for
        # fetching WSDLs (we never fetch one) and overwrites the shared client's headers.
        self.cache = None
        self.load_timeout = 0
        self.operation_timeout = None
        self.client = client
        self.wsdl_client = None
        self._close_session = False
        self.logger = logger

    def _load_remote_data(self, url: str) -> bytes:
        # Start-up needs no network: the WSDL and everything it refers to ship with the package.
        raise zeep_errors.TransportError(f"refusing to fetch {url}: the Nmbrs WSDL ships with tokendesk")

    async def aclose(self) -> None:
        # The gateway owns the httpx client and closes it.
        return None

    async def post(self, address: str, message: Any, headers: dict[str, str]) -> httpx.Response:
        failure: CallFailed | None = None
        try:
            response = await self.client.post(address, content=message, headers=headers)
        except httpx.TimeoutException as exc:
            failure = CallFailed.unreachable(UnreachableCause.TIMEOUT, f"no answer in time ({_name(exc)})")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            failure = CallFailed.unreachable(UnreachableCause.MISCONFIGURED, f"unusable Nmbrs URL ({_name(exc)})")
        except httpx.TransportError as exc:
            failure = CallFailed.unreachable(UnreachableCause.CONNECTION, f"connection failed ({_name(exc)})")
        # Raised outside the except clauses so the httpx exception (and its request) is not
        # kept as __context__ of ours.
        if failure is not None:
            raise failure
        problem = screen_response(
            response.status_code, response.headers.get("content-type", ""), response.content
        )
        if problem is not None:
            raise problem
        return response


def _name(exc: BaseException) -> str:
    # Only the class name: httpx messages are harmless today, but the request they hang on is not.
    return type(exc).__name__
