"""Errors of the hand-off API as small JSON documents: a code and a message, never the input echoed back."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from handlers.trace import correlation_id

log = logging.getLogger(__name__)

_STARLETTE_CODES = {404: "not_found", 405: "method_not_allowed"}


class ApiError(Exception):
    """An expected refusal; turned into `{"error": code, "message": ..., **extra}` with `status`."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers, self.extra = status, code, message, headers, extra


def unauthorized() -> ApiError:
    # One answer for missing, malformed, unknown, wrong and revoked keys: no hint for a guesser.
    return ApiError(401, "unauthorized", "a valid API key is required", headers={"WWW-Authenticate": "Bearer"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message, **exc.extra}, exc.status, headers=exc.headers)


async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        location = str(error["loc"][0]) if error["loc"] else "request"
        field = ".".join(str(part) for part in error["loc"][1:]) or location
        problems.append({"field": field, "location": location, "message": error["msg"].removeprefix("Value error, ")})
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems) or "invalid request"
    log.info("api: request refused (422): %s", message)  # the messages name fields, never echo values
    return JSONResponse({"error": "invalid_request", "message": message, "problems": problems}, 422)


async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _STARLETTE_CODES.get(exc.status_code, "http_error")
    message = {404: "no such endpoint", 405: "method not allowed"}.get(exc.status_code, "request refused")
    return JSONResponse({"error": code, "message": message}, exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("api: unexpected error (%s)", type(exc).__name__, exc_info=exc)
    return JSONResponse(
        {"error": "internal", "message": f"internal error; correlation id {correlation_id.get()}"}, 500
    )
