"""Builds the hand-off API as an ASGI sub-application, to be mounted at /api/v1 by bot/web.py.

Everything it needs is passed in (sessions, cipher, a metrics hook); nothing is global."""

# No `from __future__ import annotations`: FastAPI reads these signatures' local aliases at runtime.
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Mount
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api import errors
from bot.api.links import links_router
from bot.api.migration import migration_router
from bot.api.webhook_docs import document_webhooks
from storage.apikeys import verify_key
from handlers.recheck.rest import RestTokens
from storage.cipher import TokenCipher
from storage.models import ApiKey

log = logging.getLogger(__name__)

PREFIX = "/api/v1"

DESCRIPTION = """\
Hand-off of Nmbrs credentials from tokendesk to the integration.

Every request carries `Authorization: Bearer <key>`; keys come from `tokendesk apikeys create`.
A missing, malformed, unknown or revoked key gets 401 and nothing else. Every credentials read
is written to tokendesk's audit log with the key, the link, the time and the client address.
Link events (activated, broken, …), `soap.switched_off` and `soap.answering` are pushed as signed webhooks
(see `webhooks`);
this API is for reading.

A REST link's answer is an access token with at least 5 minutes left (about an hour when fresh):
ask again before `expires_at`, so the integration needs tokendesk at least once an hour. Only
tokendesk refreshes; the refresh token never leaves it. Once a link is revoked the answer is 409,
but access tokens already handed out stay valid until their `expires_at`.
"""


def build_api(
    *,
    sessions: async_sessionmaker[AsyncSession],
    cipher: TokenCipher,
    on_credentials_read: Callable[[str], None] | None = None,
    rest_tokens: RestTokens | None = None,
    soap_until: date | None = None,
) -> FastAPI:
    """The /api/v1 application. `on_credentials_read(result)` is called once per credentials request
    with served, refused, not_found or failed (e.g. a Prometheus counter's `labels(result=…).inc`)."""
    app = FastAPI(
        title="tokendesk hand-off API", version="1", description=DESCRIPTION,
        openapi_url="/openapi.json", docs_url=None, redoc_url=None,
    )
    errors.install(app)
    document_webhooks(app)
    bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", bearerFormat="td_<id>_<secret>",
                        description="An API key from `tokendesk apikeys create`.")

    async def session() -> AsyncIterator[AsyncSession]:
        async with sessions() as opened:
            yield opened

    async def api_key(
        request: Request,
        db: Annotated[AsyncSession, Depends(session)],
        presented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        key = await verify_key(db, presented.credentials) if presented is not None else None
        if key is None:
            # The presented value is never logged: it may be a key, or something worse pasted by mistake.
            log.info("api: request refused, no valid API key (client %s)", _client(request))
            raise errors.unauthorized()
        return key

    app.include_router(
        links_router(session=session, api_key=api_key, cipher=cipher, on_credentials_read=on_credentials_read,
                     rest_tokens=rest_tokens)
    )
    app.include_router(migration_router(session=session, api_key=api_key, soap_until=soap_until))
    return app


def api_mount(api: FastAPI, path: str = PREFIX) -> Mount:
    """The route that serves `api` under /api/v1 in the main app: `app.router.routes.append(api_mount(api))`.

    Starlette's own Mount does not match a path with a newline in it (its `.*` stops there), so such a
    request would fall through to the main app's 404 instead of getting this API's JSON error."""
    mount = Mount(path, app=api)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
