"""HTTP plumbing of the REST gateway: client authentication with percent-encoded Basic (RFC 6749
§2.3.1) and a transport that refuses answers larger than the SOAP transport's cap."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote_plus

import httpx

from bot.nmbrs.transport import MAX_ANSWER_BYTES

#: The name the method is registered under with Authlib.
ENCODED_BASIC = "client_secret_basic_form_encoded"


def encoded_basic(client: Any, method: str, uri: str, headers: dict[str, str], body: Any) -> tuple[Any, Any, Any]:
    """Authlib client-auth hook. Its built-in client_secret_basic sends id and secret raw, which
    breaks on `:` or `%` in a secret; RFC 6749 §2.3.1 form-encodes each half first."""
    pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return uri, headers, body


class AnswerTooLarge(httpx.TransportError):
    """The answer exceeded the cap; it was not read further."""


class CappedTransport(httpx.AsyncBaseTransport):
    """Reads each answer fully, giving up past `cap` bytes (announced or counted after decoding)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, *, cap: int = MAX_ANSWER_BYTES) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.cap = cap

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        try:
            announced = response.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > self.cap:
                raise AnswerTooLarge("answer too large")
            streamed = httpx.Response(response.status_code, headers=response.headers, stream=response.stream,
                                      request=request)
            body = bytearray()
            async for chunk in streamed.aiter_bytes():
                body += chunk
                if len(body) > self.cap:
                    raise AnswerTooLarge("answer too large")
        finally:
            await response.aclose()
        kept = [(k, v) for k, v in response.headers.multi_items()
                if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=kept, content=bytes(body), request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()
