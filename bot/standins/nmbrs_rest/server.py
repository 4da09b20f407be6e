"""The REST stand-in's server: the identity app and the API app, each on its own 127.0.0.1 port,
served by one aiohttp event loop in a background thread, with the knobs tests and try mode turn."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from aiohttp import web

from bot.standins.loop import BackgroundLoop
from bot.standins.nmbrs_rest import pages
from bot.standins.nmbrs_rest.accounts import (
    PRACTICE_CLIENT_ID,
    PRACTICE_CLIENT_SECRET,
    PRACTICE_SUBSCRIPTION_KEY,
    PracticeUser,
    RegisteredClient,
    RestCompany,
    RestDebtor,
    as_companies,
    as_debtor,
)
from bot.standins.nmbrs_rest.api import ApiEndpoints
from bot.standins.nmbrs_rest.grants import TokenLedger
from bot.standins.nmbrs_rest.identity import IdentityEndpoints
from bot.standins.tcp import cut
from bot.standins.nmbrs_rest.traffic import (
    ENDPOINT_NAMES,
    INJECTIONS,
    Injection,
    RecordedRestRequest,
    Side,
    endpoint_of,
    injected,
    record_of,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class NmbrsRestStandIn(BackgroundLoop):
    """Both servers and their knobs. Thread-safe: configure from the test thread while it serves."""

    thread_name = "nmbrs-rest-standin"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        client_id: str = PRACTICE_CLIENT_ID,
        client_secret: str = PRACTICE_CLIENT_SECRET,
        redirect_uris: Iterable[str] = (),
        subscription_key: str = PRACTICE_SUBSCRIPTION_KEY,
        clock: Callable[[], float] = time.time,
        access_lifetime_s: int = 3600,
        identity_port: int = 0,
        api_port: int = 0,
    ) -> None:
        self.host = host
        self.identity_port = identity_port  # 0: any free port, kept when "refused" reopens it
        self.api_port = api_port
        self._access_lifetime_s = access_lifetime_s
        self._client = RegisteredClient(client_id, client_secret, tuple(redirect_uris))
        self.notice: str | None = None
        """A line shown above the login-and-consent page (try mode says it is the practice Nmbrs)."""
        self._subscription_key = subscription_key
        self.clock = clock
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._identity_runner: web.AppRunner | None = None
        self._identity_site: web.TCPSite | None = None
        self.reset()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def identity_url(self) -> str:
        """For TOKENDESK_NMBRS_IDENTITY_URL."""
        return f"http://{self.host}:{self.identity_port}/"

    @property
    def api_url(self) -> str:
        """For TOKENDESK_NMBRS_REST_URL."""
        return f"http://{self.host}:{self.api_port}/"

    @property
    def authorize_endpoint(self) -> str:
        return self.identity_url + "connect/authorize"

    @property
    def token_endpoint(self) -> str:
        return self.identity_url + "connect/token"

    @property
    def revocation_endpoint(self) -> str:
        return self.identity_url + "connect/revocation"

    # -- life cycle ---------------------------------------------------------------------------

    async def _main(self, ready: threading.Event) -> None:
        self._stopped = asyncio.Event()
        identity = web.Application(middlewares=[self._middleware("identity")])
        IdentityEndpoints(self).routes(identity)
        api = web.Application(middlewares=[self._middleware("api")])
        ApiEndpoints(self).routes(api)
        # handler_cancellation: a client that gave up (timeout injection) frees its handler.
        runners = [
            web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
            for app in (identity, api)
        ]
        for runner in runners:
            await runner.setup()
        self._identity_runner = runners[0]
        await self._open_identity()
        api_site = web.TCPSite(runners[1], self.host, self.api_port, backlog=1024)
        await api_site.start()
        self.api_port = runners[1].addresses[0][1]
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            for runner in runners:
                await runner.cleanup()

    async def _open_identity(self) -> None:
        assert self._identity_runner is not None
        site = web.TCPSite(
            self._identity_runner, self.host, self.identity_port, backlog=1024, reuse_address=True
        )
        await site.start()
        self._identity_site = site
        self.identity_port = self._identity_runner.addresses[0][1]

    async def _close_identity(self) -> None:
        if self._identity_site is not None:
            await self._identity_site.stop()
            self._identity_site = None

    # -- configuration ------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the constructor's app and key: no users, tokens, injections or knobs; counters zero."""
        with self._lock:
            self.clients: dict[str, RegisteredClient] = {self._client.client_id: self._client}
            self.subscription_key = self._subscription_key
            self.users: dict[str, PracticeUser] = {}
            self.ledger = TokenLedger()
            self.ledger.access_lifetime_s = self._access_lifetime_s
            self._injections: deque[Injection] = deque()
            self.clock_offset = 0.0
            self.latency_s = 0.0
            self.hang_s = 5.0  # how long "timeout" and "lost" keep the client waiting
            self.require_state = True
            self.omit_scope = False  # token answers without `scope` (RFC 6749 §5.1 allows it)
            self.omit_refresh_token = False  # token answers without `refresh_token`
            self.down: Literal[False, "503", "refused"] = False
        if self._loop is not None and self._identity_site is None:
            self._run(self._open_identity())
        self.reset_counters()

    def reset_counters(self) -> None:
        with self._lock:
            # per endpoint: "authorize", "consent", "token.authorization_code", "token.refresh_token",
            # "token.<other grant>", "revocation", "user/info", "debtors", "debtors/info", "companies"
            self.calls: Counter[str] = Counter()
            self.token_errors: Counter[str] = Counter()  # RFC 6749 error code -> times answered
            self.total_calls = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.requests: list[RecordedRestRequest] = []
            self.auth_failures: list[str] = []  # why a client authentication failed

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: Iterable[str]
    ) -> RegisteredClient:
        """Register an app (or replace its secret and redirect URIs)."""
        client = RegisteredClient(client_id, client_secret, tuple(redirect_uris))
        with self._lock:
            self.clients[client_id] = client
        return client

    def add_user(
        self,
        email: str,
        password: str,
        *,
        debtor: RestDebtor | Mapping[str, Any],
        companies: Iterable[RestCompany | Mapping[str, Any]] = (),
        name: str = "",
        language: str = "nl",
        withheld_scopes: Iterable[str] = (),
    ) -> PracticeUser:
        """A login that can consent; `withheld_scopes` are left out of what it grants."""
        user = PracticeUser(
            email=email,
            password=password,
            name=name or email.partition("@")[0],
            language=language,
            debtor=as_debtor(debtor),
            companies=as_companies(companies),
            withheld_scopes=frozenset(withheld_scopes),
        )
        with self._lock:
            self.users[email.lower()] = user
        return user

    def remove_user(self, email: str) -> None:
        """The login was deleted in Nmbrs: its consents and tokens end."""
        self.revoke_consent(email)
        with self._lock:
            self.users.pop(email.lower(), None)

    def revoke_consent(self, email: str, *, access_tokens: bool = True) -> int:
        """The user withdrew the app's access in Nmbrs: refreshing answers invalid_grant."""
        return self.ledger.revoke_user(email.lower(), access=access_tokens)

    def set_environment_disabled(self, email: str, disabled: bool = True) -> None:
        """The debtor's subscription ended: every API call answers 403 code 40304."""
        with self._lock:
            self.users[email.lower()].environment_disabled = disabled

    def expire_access_tokens(self) -> None:
        self.ledger.expire_access(now=self.now())

    def live_refresh_tokens(self, email: str | None = None) -> int:
        return self.ledger.live_refresh_tokens(email.lower() if email else None)

    def now(self) -> float:
        return self.clock() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's clock (codes, access and refresh tokens expire by it)."""
        with self._lock:
            self.clock_offset += seconds

    def set_down(self, down: bool | Literal["503", "refused"] = True) -> None:
        """The identity server is out: True/"503" answers 503 pages; "refused" closes its port."""
        mode: Literal[False, "503", "refused"] = "503" if down is True else down
        with self._lock:
            self.down = mode
        if self._loop is None:
            return
        if mode == "refused":
            self._run(self._close_identity())
        elif self._identity_site is None:
            self._run(self._open_identity())

    def _run(self, coroutine: Awaitable[None]) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    def fail_next(
        self, kind: str, count: int = 1, endpoint: str | None = None, *, retry_after: int = 30
    ) -> None:
        """The next `count` requests (to `endpoint`, a side "identity"/"api", or any) fail this way.

        Both sides: timeout (hang `hang_s`, then 504), reset (TCP RST), html (503 HTML page),
        http500/http502/http503 (the API: the spec's JSON error; identity: a bare error page).
        Identity only: invalid_grant (token endpoint answers it untouched), lost (the request is
        carried out, e.g. a refresh rotates, then the answer never comes: hang, then RST).
        API only: disabled (403 40304), quota (429 42909), throttled (429 42908 + Retry-After),
        invalid_token (401 40102), several_debtors (403 40306).
        """
        if kind not in INJECTIONS:
            raise ValueError(f"unknown injection {kind!r}; one of {tuple(INJECTIONS)}")
        if endpoint is not None and endpoint not in ENDPOINT_NAMES:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {sorted(ENDPOINT_NAMES)}")
        with self._lock:
            self._injections.append(Injection(kind, count, endpoint, retry_after))

    def note_auth_failure(self, why: str) -> None:
        with self._lock:
            self.auth_failures.append(why)

    def note_token_failure(self, error: str) -> None:
        with self._lock:
            self.token_errors[error] += 1

    # -- serving ------------------------------------------------------------------------------

    def _middleware(self, side: Side) -> Any:
        @web.middleware
        async def serve(request: web.Request, handler: Handler) -> web.StreamResponse:
            with self._lock:
                self.total_calls += 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                endpoint = await endpoint_of(request, side)
                with self._lock:
                    self.calls[endpoint] += 1
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                status: int | None = None
                try:
                    response = await self._answer(request, handler, side, endpoint)
                    status = response.status
                    return response
                except web.HTTPException as http:
                    status = http.status
                    raise
                finally:
                    recorded = await record_of(request, side, endpoint, status)
                    with self._lock:
                        self.requests.append(recorded)
            finally:
                with self._lock:
                    self.in_flight -= 1

        return serve

    async def _answer(
        self, request: web.Request, handler: Handler, side: Side, endpoint: str
    ) -> web.StreamResponse:
        if side == "identity" and self.down == "refused":
            cut(request)  # a kept-alive connection opened before the port closed: the server is gone
        if side == "identity" and self.down == "503":
            return web.Response(status=503, text=pages.MAINTENANCE_PAGE, content_type="text/html")
        injection = self._injection_for(side, endpoint)
        if injection is None:
            return await handler(request)
        if injection.kind == "lost":
            await handler(request)  # carried out (a refresh rotates) but the answer never arrives
            await asyncio.sleep(self.hang_s)
            cut(request)
        if injection.kind == "reset":
            cut(request)
        if injection.kind == "timeout":
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504, text=pages.MAINTENANCE_PAGE, content_type="text/html")
        return injected(injection, side)

    def _injection_for(self, side: Side, endpoint: str) -> Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.hits(side, endpoint):
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                    return injection
        return None


@contextmanager
def start_rest_standin(**kwargs: Any) -> Iterator[NmbrsRestStandIn]:
    """Running identity and API stand-ins for the duration of the block."""
    with NmbrsRestStandIn(**kwargs) as standin:
        yield standin
