"""A webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures on its own terms.

Written from the spec, not from bot/webhooks.py, so a signing bug cannot verify itself. It can be
told to answer 503, to refuse connections (stopped), or to hang, and records what it accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    document: dict[str, Any]

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    key: bytes
    clock: Callable[[], datetime]
    tolerance_s: int = 300
    accepted: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Why requests were refused (bad signature, stale timestamp, …)."""
    status: int = 204
    """What to answer valid requests with (503 plays "down for maintenance")."""
    status_for: dict[str, int] = field(default_factory=dict)
    """Per event id overrides of `status`."""
    hang: threading.Event | None = None
    """Requests from number `hang_from` on wait until this is set before answering (a stuck receiver)."""
    hang_from: int = 1
    requests: int = 0
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/tokendesk"

    def verify(self, headers: dict[str, str], body: str) -> str | None:
        """None when the request is authentic, else the reason."""
        msg_id, stamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
        if not (msg_id and stamp and signatures):
            return "missing webhook headers"
        try:
            sent_at = int(stamp)
        except ValueError:
            return "timestamp is not an integer"
        if abs(self.clock().timestamp() - sent_at) > self.tolerance_s:
            return "timestamp outside tolerance"
        expected = base64.b64encode(
            hmac.new(self.key, f"{msg_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
        ).decode()
        for candidate in signatures.split(" "):
            version, _, value = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
                return None
        return "no valid v1 signature"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.requests += 1
                    number = receiver.requests
                if receiver.hang is not None and number >= receiver.hang_from:
                    receiver.hang.wait(10)
                problem = receiver.verify(headers, body)
                if problem is not None:
                    with receiver._lock:
                        receiver.refused.append(problem)
                    self._answer(401)
                    return
                status = receiver.status_for.get(headers["webhook-id"], receiver.status)
                if 200 <= status < 300:
                    document = json.loads(body)
                    with receiver._lock:
                        receiver.accepted.append(Received(headers, body, document))
                self._answer(status)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the socket: further deliveries get connection refused until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def types(self) -> list[str]:
        return [r.document["type"] for r in self.accepted]

    def wait_for(self, count: int, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.accepted) < count and time.monotonic() < deadline:
            time.sleep(0.01)
