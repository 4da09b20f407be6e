"""Try mode's front door: only loopback clients, and only requests addressed to this server by its
loopback name (Host and Origin), so a web page elsewhere cannot reach the desk by DNS rebinding."""

from __future__ import annotations

import ipaddress
import logging

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

#: The only addresses try mode binds to.
LOOPBACK = "127.0.0.1"


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def refusal(scope: Scope, hosts: frozenset[str]) -> str | None:
    """Why this request is refused, or None. Pure, for the tests."""
    client = scope.get("client")
    if client:
        try:
            if not ipaddress.ip_address(client[0]).is_loopback:
                return "client is not on this machine"
        except ValueError:
            return "client address unknown"
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if host not in hosts:
        return "Host header is not this server's loopback address"
    origin = headers.get(b"origin")
    if origin is not None and origin.decode("latin-1").lower() not in {f"http://{h}" for h in hosts}:
        return "Origin is not this server's page"
    return None


class LoopbackGuard:
    """ASGI middleware over the whole try-mode app (the desk's endpoints and /try)."""

    def __init__(self, app: ASGIApp, *, port: int) -> None:
        self.app = app
        self.hosts = allowed_hosts(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            why = refusal(scope, self.hosts)
            if why is not None:
                log.warning("try mode: refused a request to %s: %s", scope.get("path"), why)
                await PlainTextResponse(f"refused: {why}", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
