"""The REST gateway (handlers.ports.NmbrsRest): code exchange, refresh and revocation through
Authlib's AsyncOAuth2Client, the API calls with the subscription key and a Bearer token; every
outcome mapped to the domain's Valid/Rejected/Unreachable words. It never refreshes by itself."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from typing import Any, Literal, Self

import httpx
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():
    # Authlib 1.9 warns at import that its httpx module will move to an "httpx2" package; the module
    # works as documented, and an import-time warning would be a stray, non-log line on stderr.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from bot.nmbrs.limits import CallLimiter
from bot.nmbrs.transport import MAX_ANSWER_BYTES
from bot.nmbrs.rest.answers import api_failure, as_view, token_failure
from bot.nmbrs.rest.transport import ENCODED_BASIC, AnswerTooLarge, CappedTransport, encoded_basic
from handlers.model import (
    Rejected,
    RestAnswer,
    TokenAnswer,
    TokenResult,
    Unreachable,
    UnreachableCause,
)

log = logging.getLogger(__name__)

#: Most companies pages read for one debtor (100 a page): a guard against a paging loop.
MAX_PAGES = 50
PAGE_SIZE = 100


class RestGateway:
    """One client per process. Authlib's client keeps the last token on itself, but with no
    `update_token` hook nothing awaits between setting and returning it, so concurrent calls
    on one event loop never see each other's tokens; its `token` is never used for requests."""

    def __init__(
        self,
        *,
        identity_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        subscription_key: str,
        redirect_uri: str | None = None,
        limiter: CallLimiter | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 20.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.token_endpoint = identity_url.rstrip("/") + "/connect/token"
        self.revocation_endpoint = identity_url.rstrip("/") + "/connect/revocation"
        self.authorize_endpoint = identity_url.rstrip("/") + "/connect/authorize"
        self.api_url = api_url.rstrip("/") + "/"
        self._subscription_key = subscription_key
        self._retries = retries
        self._limiter = limiter or CallLimiter(concurrency=8, rate_per_s=10)
        timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self._oauth = AsyncOAuth2Client(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri,
            token_endpoint_auth_method=ENCODED_BASIC, revocation_endpoint_auth_method=ENCODED_BASIC,
            timeout=timeout, transport=CappedTransport(transport, cap=max_answer_bytes), follow_redirects=False,
        )
        self._oauth.register_client_auth_method((ENCODED_BASIC, encoded_basic))
        self._api = httpx.AsyncClient(timeout=timeout, transport=CappedTransport(transport, cap=max_answer_bytes),
                                     follow_redirects=False)

    @property
    def kind(self) -> Literal["rest"]:
        return "rest"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._oauth.aclose()
        await self._api.aclose()

    def __repr__(self) -> str:
        return f"<RestGateway {self.api_url}>"

    # -- identity server -----------------------------------------------------------------------

    async def exchange(self, code: str, *, code_verifier: str | None) -> TokenResult:
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        return await self._token("token.authorization_code", lambda: self._oauth.fetch_token(
            self.token_endpoint, grant_type="authorization_code", code=code, **extra))

    async def refresh(self, refresh_token: str) -> TokenResult:
        return await self._token("token.refresh_token", lambda: self._oauth.refresh_token(
            self.token_endpoint, refresh_token=refresh_token))

    async def revoke(self, refresh_token: str) -> bool:
        """RFC 7009; True when the identity server confirmed (200), False otherwise."""
        try:
            async with self._limiter:
                response = await self._oauth.revoke_token(
                    self.revocation_endpoint, token=refresh_token, token_type_hint="refresh_token")
        except (httpx.HTTPError, OAuthError, ValueError) as exc:
            log.warning("nmbrs rest: revocation failed (%s)", type(exc).__name__)
            return False
        return response.status_code == 200

    async def _token(self, operation: str, call: Any) -> TokenResult:
        started = time.monotonic()
        try:
            answer = await self._send(call, operation, started, spends_token=True)
            if isinstance(answer, Unreachable):
                return answer
            token = dict(answer)
        except OAuthError as exc:
            return token_failure(str(exc.error or ""), None, None, time.monotonic() - started, operation)
        except httpx.HTTPStatusError as exc:
            return token_failure(None, exc.response.status_code, exc.response, time.monotonic() - started, operation)
        except ValueError:
            return Unreachable(UnreachableCause.MALFORMED, "the token answer is not a JSON object",
                               time.monotonic() - started, operation=operation)
        return _token_answer(token, time.monotonic() - started, operation)

    async def _send(self, call: Any, operation: str, started: float, *, spends_token: bool) -> Any:
        """`call()` under the limiter: its answer, or an Unreachable for what the network did.
        Connection errors (nothing reached Nmbrs) are retried. `spends_token`: the call may rotate
        a refresh token, so an answer lost after the request went out is marked maybe_delivered
        (a rotation may have happened unseen) and never retried."""
        attempt = 0
        while True:
            try:
                async with self._limiter:
                    return await call()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt < self._retries:
                    attempt += 1
                    await asyncio.sleep(0.2 * attempt)
                    continue
                return Unreachable(UnreachableCause.CONNECTION, f"connection failed ({type(exc).__name__})",
                                   time.monotonic() - started, operation=operation)
            except AnswerTooLarge:
                return Unreachable(UnreachableCause.MALFORMED, "answer larger than 5 MB; not read",
                                   time.monotonic() - started, operation=operation, maybe_delivered=spends_token)
            except httpx.TimeoutException as exc:
                return Unreachable(UnreachableCause.TIMEOUT, f"no answer in time ({type(exc).__name__})",
                                   time.monotonic() - started, operation=operation, maybe_delivered=spends_token)
            except httpx.TransportError as exc:
                said = "answer lost" if spends_token else "connection failed"
                return Unreachable(UnreachableCause.CONNECTION, f"{said} ({type(exc).__name__})",
                                   time.monotonic() - started, operation=operation, maybe_delivered=spends_token)

    # -- API -----------------------------------------------------------------------------------

    async def inspect(self, access_token: str) -> RestAnswer:
        """GET /api/user/info, /api/debtors/info and every page of /api/companies."""
        started = time.monotonic()
        user = await self._get("api/user/info", access_token)
        if not isinstance(user, dict):
            return user
        debtor = await self._get("api/debtors/info", access_token)
        if not isinstance(debtor, dict):
            return debtor
        companies: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self._get("api/companies", access_token, pageNumber=page, pageSize=PAGE_SIZE)
            if not isinstance(answer, dict):
                return answer
            companies.extend(item for item in answer.get("data") or [] if isinstance(item, dict))
            if not (answer.get("pagination") or {}).get("nextPage"):
                break
        try:
            return as_view(user, debtor, companies, time.monotonic() - started)
        except (KeyError, TypeError, ValueError) as exc:
            return Unreachable(UnreachableCause.MALFORMED, f"unexpected answer shape ({type(exc).__name__})",
                               time.monotonic() - started, operation="api")

    async def _get(self, path: str, access_token: str, **params: Any) -> dict[str, Any] | Rejected | Unreachable:
        started = time.monotonic()
        operation = path.removeprefix("api/")
        headers = {"Authorization": f"Bearer {access_token}", "X-Subscription-Key": self._subscription_key,
                   "Accept": "application/json"}
        response = await self._send(
            lambda: self._api.get(self.api_url + path, headers=headers, params=params or None),
            operation, started, spends_token=False)
        if isinstance(response, Unreachable):
            return response
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                return body
        return api_failure(response, time.monotonic() - started, operation)


def _token_answer(token: dict[str, Any], latency_s: float, operation: str) -> TokenResult:
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        return Unreachable(UnreachableCause.MALFORMED, "token answer without an access token", latency_s,
                           operation=operation, maybe_delivered=True)
    refresh = token.get("refresh_token")
    scope = token.get("scope")
    try:
        expires_in = int(token.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600
    return TokenAnswer(
        access_token=access, refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in_s=expires_in, scopes=tuple(scope.split()) if isinstance(scope, str) else None,
        latency_s=latency_s,
    )

