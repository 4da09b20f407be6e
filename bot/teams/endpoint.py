"""POST /api/messages inside tokendesk's own ASGI app: the Teams SDK's route, served by our server.

The SDK registers its messaging handler through an HttpServerAdapter (microsoft_teams.apps.http.adapter);
this adapter keeps the handler instead of starting a FastAPI/uvicorn of its own, and the route below
calls it. Before the SDK sees anything, the request must carry a Bearer token (401), a body within
the size cap (413) that is a JSON object with a `type` (415/400). The token is checked with the SDK's
own validator before the body is read (401); the SDK validates it again with the activity
(signature from the cloud's JWKS, issuer, audience = our app id, serviceurl claim = the activity's
serviceUrl) and answers 401 without running anything when it fails. An activity the SDK's models
refuse is answered 400 here (the SDK would answer 500).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from bot.web import MAX_BODY, BodyTooLarge, read_body

if TYPE_CHECKING:  # importing microsoft_teams.apps loads .env into the environment: only when Teams is on
    from microsoft_teams.apps.http.adapter import HttpMethod, HttpRouteHandler

log = logging.getLogger(__name__)

PATH = "/api/messages"


class RouteAdapter:
    """microsoft_teams HttpServerAdapter that only collects routes; our server serves them."""

    def __init__(self) -> None:
        self.routes: dict[str, "HttpRouteHandler"] = {}

    def register_route(self, method: "HttpMethod", path: str, handler: "HttpRouteHandler") -> None:
        if method != "POST":
            raise ValueError(f"only POST routes are served, not {method}")
        self.routes[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("tokendesk serves no static Teams pages")

    async def start(self, port: int) -> None:
        raise NotImplementedError("tokendesk's own server runs the Teams endpoint")

    async def stop(self) -> None:
        return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _refused(status: int, message: str) -> JSONResponse:
    # One line with the reason; never the body or the token.
    log.info("teams: request refused (%s): %s", status, message)
    return _error(status, message)


async def _token_accepted(handler: Any, token: str) -> bool:
    """The SDK's own validator on the token alone (signature, issuer, audience, expiry). Without a
    validator (the SDK then refuses or, when told to, accepts everything) the SDK decides."""
    validator = getattr(getattr(handler, "__self__", None), "_token_validator", None)
    if validator is None:
        return True
    try:
        await validator.validate_token(token)
    except Exception:  # noqa: BLE001 - any failure is a refusal; the SDK's errors vary by kind
        return False
    return True


def _not_an_activity(activity: dict[str, Any]) -> str | None:
    """Why the SDK would fail on this activity (it answers 500 then), or None. Only the SDK's own
    models decide this, after the same steps it takes (its core model, then the typed union)."""
    from microsoft_teams.api import ActivityTypeAdapter
    from microsoft_teams.apps.events import CoreActivity
    from pydantic import ValidationError

    try:
        core = CoreActivity.model_validate(activity)
        ActivityTypeAdapter.validate_python(core.model_dump(by_alias=True, exclude_none=True))
    except ValidationError as exc:
        return f"not a valid activity ({exc.error_count()} problems)"
    except RecursionError:
        return "not a valid activity (nested too deeply)"
    return None


class MessagesEndpoint:
    """The ASGI endpoint for POST /api/messages, handing checked requests to the SDK's handler."""

    def __init__(self, adapter: RouteAdapter, *, path: str = PATH, max_body: int = MAX_BODY) -> None:
        self.adapter = adapter
        self.path = path
        self.max_body = max_body

    async def __call__(self, request: Request) -> Response:
        handler = self.adapter.routes.get(self.path)
        if handler is None:  # the lifespan has not initialised the Teams app (yet)
            return _error(503, "teams endpoint not ready")
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            # Refused before the body is even read: nothing unauthenticated is parsed or logged.
            return _error(401, "unauthorized")
        if not await _token_accepted(handler, authorization.removeprefix("Bearer ")):
            # The SDK checks the token again after parsing, against the activity's serviceUrl too;
            # checked here first so that nothing from a stranger is parsed at all.
            return _refused(401, "unauthorized")
        try:
            body = await read_body(request, self.max_body)
        except BodyTooLarge:
            return _error(413, "request body too large")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _error(415, "expected application/json")
        try:
            activity = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _refused(400, "body is not JSON")
        except RecursionError:  # the decoder stops at its depth limit, early: no activity is that deep
            return _refused(400, "body is nested too deeply")
        if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
            return _refused(400, "body is not an activity (no type)")
        if not isinstance(activity.get("serviceUrl", ""), str):
            return _refused(400, "serviceUrl is not a string")
        if (problem := _not_an_activity(activity)) is not None:
            return _refused(400, problem)
        headers: dict[str, str] = {"authorization": authorization}
        # The SDK's HttpRequest is a TypedDict: a plain dict of the same shape.
        result = await handler({"body": activity, "headers": headers})
        status = int(result["status"])
        content: Any = result.get("body")
        if content is None:
            return Response(status_code=status)
        return JSONResponse(content, status_code=status)
