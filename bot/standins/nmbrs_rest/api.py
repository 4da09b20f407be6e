"""The REST API stand-in's endpoints (`/api/user/info`, `/api/debtors`, `/api/debtors/info`,
`/api/companies`): subscription key, bearer token and scope checked before any data."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.standins.nmbrs_rest import payloads

if TYPE_CHECKING:
    from bot.standins.nmbrs_rest.server import NmbrsRestStandIn

# path -> (endpoint name for counters and injections, scopes of which one is enough)
ENDPOINTS: dict[str, tuple[str, frozenset[str]]] = {
    "/api/user/info": ("user/info", frozenset({"user.info.read"})),
    "/api/debtors": ("debtors", frozenset({"company.info", "company.info.read"})),
    "/api/debtors/info": ("debtors/info", frozenset({"debtor.info.read"})),
    "/api/companies": ("companies", frozenset({"company.info", "company.info.read"})),
}
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100


def error_response(
    kind: str, *, invalid_params: list[dict[str, str]] | None = None, **headers: str
) -> web.Response:
    status, body = payloads.api_error(kind, invalid_params=invalid_params)
    # RFC 6750 §3: no error attribute when the request carried no token at all
    if kind == "missing_token":
        headers.setdefault("WWW-Authenticate", "Bearer")
    elif kind == "invalid_token":
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return web.json_response(body, status=status, headers=headers or None)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


def _page_param(request: web.Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum else "1 or more"
        reason = f"The parameter is invalid. It needs to be a whole number {bound}."
        raise _Refused(error_response("invalid_param", invalid_params=[{"name": name, "reason": reason}]))
    return value


class ApiEndpoints:
    """Handlers bound to the stand-in, which holds the subscription key, users and ledger."""

    def __init__(self, standin: NmbrsRestStandIn) -> None:
        self.standin = standin

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        found = ENDPOINTS.get(request.path)
        if found is None or request.method != "GET":
            return error_response("not_found")
        name, needed = found
        try:
            user, scopes = self._authenticate(request)
            if not scopes & needed:
                return error_response("insufficient_scope")
            if user.environment_disabled:
                return error_response("disabled")
            page = _page_param(request, "pageNumber", 1, None)
            size = _page_param(request, "pageSize", PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
        except _Refused as refused:
            return refused.response
        items = self._items(name, user)
        body = payloads.page_of(items, base_url=self.standin.api_url, path=request.path, page=page, size=size)
        return web.json_response(body)

    def _authenticate(self, request: web.Request) -> tuple[Any, frozenset[str]]:
        standin = self.standin
        key = request.headers.get("X-Subscription-Key", "")
        if not hmac.compare_digest(key.encode(), standin.subscription_key.encode()):
            raise _Refused(error_response("subscription_key"))
        header = request.headers.get("Authorization")
        if header is None:
            raise _Refused(error_response("missing_token"))
        scheme, _, value = header.partition(" ")
        token = (
            standin.ledger.access_token(value.strip(), now=standin.now())
            if scheme.lower() == "bearer"
            else None
        )
        user = standin.users.get(token.email) if token is not None else None
        if token is None or user is None:
            raise _Refused(error_response("invalid_token"))
        return user, frozenset(token.scopes)

    @staticmethod
    def _items(name: str, user: Any) -> list[dict[str, Any]]:
        if name == "user/info":
            return [payloads.user_info(user)]
        if name == "debtors":
            return [payloads.debtor(user.debtor)]
        if name == "debtors/info":
            return [payloads.debtor_info(user.debtor)]
        return [payloads.company(c, user.debtor) for c in user.companies]
