"""The link endpoints: list and get metadata, and hand over credentials (audited, counted)."""

# No `from __future__ import annotations`: FastAPI reads these signatures' local aliases at runtime.
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.errors import ApiError
from bot.api.schemas import Credentials, Error, InvalidRequest, LinkOut, LinkPage, NotUsable, RestCredentials
from handlers.events import link_metadata
from handlers.model import Rejected
from handlers.recheck.rest import Fresh, RestTokens
from storage import links as link_store
from storage.audit import audit
from storage.cipher import DecryptionError, TokenCipher
from storage.links import open_token, parse_short_id
from storage.models import ApiKey, Link, LinkState

log = logging.getLogger(__name__)

#: States whose credentials are handed over. Unverified means Nmbrs could not be reached lately,
#: not that the token is bad: refusing it would turn our outage into the integration's.
SERVED_STATES = (LinkState.ACTIVE, LinkState.UNVERIFIED)
#: A REST access token handed over has at least this much validity left.
HANDOFF_VALIDITY = timedelta(minutes=5)
LINK_REF = r"^[Ll]?[0-9]{1,9}$"
CURSOR = r"^[0-9]{1,9}$"
MAX_LIMIT = 500

_NOT_SERVED = {
    LinkState.PENDING: "its credentials have not been confirmed by Nmbrs yet",
    LinkState.REJECTED: "Nmbrs rejected its credentials",
    LinkState.BROKEN: "Nmbrs no longer accepts its credentials",
    LinkState.REVOKED: "it was revoked and its token destroyed",
}

_AUTH: dict[int | str, dict[str, Any]] = {401: {"model": Error, "description": "No valid API key."}}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": InvalidRequest, "description": "A parameter is invalid."}}
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"model": Error, "description": "No such link."}}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    # Pydantic alone would also take 1700000000 or a date without a time; the document promises
    # RFC 3339, and a time without an offset is ambiguous, so both are refused with an example.
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("expected an RFC 3339 date-time with an offset, like 2026-11-22T02:30:00Z")
    return value


def _comparable(value: datetime) -> datetime:
    # 0001-01-01T00:00:00+14:00 is a valid RFC 3339 time that is before datetime.min in UTC: the
    # comparison with a stored time would overflow (a 500); refused as invalid instead.
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_comparable)]

LinkRef = Annotated[str, Path(pattern=LINK_REF, description="A link id: 12 or L12.", examples=["L12"])]


def links_router(
    *,
    session: Callable[..., Any],
    api_key: Callable[..., Any],
    cipher: TokenCipher,
    on_credentials_read: Callable[[str], None] | None,
    rest_tokens: RestTokens | None = None,
) -> APIRouter:
    router = APIRouter(tags=["links"], responses={**_AUTH, **_INVALID})
    Db = Annotated[AsyncSession, Depends(session)]
    Key = Annotated[ApiKey, Depends(api_key)]

    @router.get("/links", response_model=LinkPage, operation_id="listLinks", summary="List links with their state")
    async def list_links(
        db: Db,
        key: Key,
        state: Annotated[LinkState | None, Query(description="Only links in this state.")] = None,
        environment: Annotated[str | None, Query(max_length=100, description="Only this Nmbrs sub-domain.")] = None,
        updated_since: Annotated[Timestamp | None, Query(
            description="Only links changed at or after this time (RFC 3339, with an offset: 2026-11-22T02:30:00Z).")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 100,
        cursor: Annotated[str | None, Query(pattern=CURSOR, description="`next_cursor` of the previous page.")] = None,
    ) -> LinkPage:
        links = await link_store.page(
            db, after=int(cursor) if cursor is not None else None, limit=limit,
            state=str(state) if state is not None else None, environment=environment, updated_since=updated_since,
        )
        await db.commit()  # the key's last use
        more = len(links) > limit
        page = links[:limit]
        return LinkPage(
            items=[LinkOut.model_validate(link_metadata(link)) for link in page],
            next_cursor=str(page[-1].id) if more else None,
        )

    @router.get("/links/{link}", response_model=LinkOut, responses=_UNKNOWN, operation_id="getLink", summary="One link's metadata")
    async def get_link(db: Db, key: Key, link: LinkRef) -> LinkOut:
        found = await _find(db, link)
        await db.commit()
        if found is None:
            raise _unknown(link)
        return LinkOut.model_validate(link_metadata(found))

    @router.get(
        "/links/{link}/credentials", response_model=Annotated[Credentials | RestCredentials, Field(discriminator="kind")],
        operation_id="getCredentials",
        summary="SOAP: the link's username and token; REST: an access token valid for 5 more minutes",
        responses={**_UNKNOWN, 409: {"model": NotUsable, "description": "The link is not usable: see state and reason."},
                   503: {"model": Error, "description": "REST: Nmbrs' identity server is unreachable and no "
                                                        "valid access token is left; see Retry-After."}},
    )
    async def get_credentials(
        request: Request, response: Response, db: Db, key: Key, link: LinkRef
    ) -> Credentials | RestCredentials:
        client = request.client.host if request.client else None
        actor = f"apikey:{key.id}"
        found = await _find(db, link)
        if found is None:
            audit(db, platform="api", actor=actor, action="credentials.read", result="refused",
                  detail={"link": link, "reason": "not_found", "key_name": key.name}, client_address=client)
            await db.commit()
            _count(on_credentials_read, "not_found")
            raise _unknown(link)
        state = LinkState(found.state)
        if state not in SERVED_STATES or not found.holds_token:
            audit(db, platform="api", actor=actor, action="credentials.read", link_id=found.id, result="refused",
                  detail={"state": str(state), "key_name": key.name}, client_address=client)
            await db.commit()
            _count(on_credentials_read, "refused")
            log.info("api: credentials of %s refused to key %s (%s)", found.short_id, key.id, state)
            raise ApiError(
                409, "link_not_usable",
                f"link {found.short_id} is {state}: {_NOT_SERVED.get(state, 'it holds no token')}",
                state=str(state), reason=found.last_reason, fault_code=found.last_fault_code,
            )
        if found.is_rest:
            return await _rest_credentials(found, state, db=db, key=key, actor=actor, client=client, response=response)
        try:
            token = open_token(found, cipher)
        except DecryptionError as exc:
            audit(db, platform="api", actor=actor, action="credentials.read", link_id=found.id, result="failed",
                  detail={"error": "decryption", "key_name": key.name}, client_address=client)
            await db.commit()
            _count(on_credentials_read, "failed")
            log.error("api: credentials of %s could not be decrypted: %s", found.short_id, exc)
            raise ApiError(500, "internal", "the stored token could not be decrypted; the operator has been told") from None
        audit(db, platform="api", actor=actor, action="credentials.read", link_id=found.id,
              detail={"state": str(state), "key_name": key.name}, client_address=client)
        # Handed over only once the audit entry is committed: no read goes unrecorded.
        await db.commit()
        _count(on_credentials_read, "served")
        log.info("api: credentials of %s read by key %s from %s", found.short_id, key.id, client)
        response.headers["Cache-Control"] = "no-store"
        return Credentials(
            link_id=found.id, short_id=found.short_id, state=state, username=found.username, token=token,
            environment=found.environment,
        )

    async def _rest_credentials(
        found: Link, state: LinkState, *, db: AsyncSession, key: ApiKey, actor: str, client: str | None,
        response: Response,
    ) -> RestCredentials:
        await db.commit()  # no transaction of ours stays open while the refresh takes the row lock
        got: Any = None
        if rest_tokens is not None:
            try:
                got = await rest_tokens.usable(found.id, min_validity=HANDOFF_VALIDITY)
            except DecryptionError as exc:
                log.error("api: tokens of %s could not be decrypted: %s", found.short_id, exc)
                got = None
        if not isinstance(got, Fresh):
            definitive = isinstance(got, Rejected) and not got.unexpected
            audit(db, platform="api", actor=actor, action="credentials.read", link_id=found.id, result="failed",
                  detail={"kind": "rest", "key_name": key.name,
                          "error": "rejected" if definitive else "unavailable"}, client_address=client)
            await db.commit()
            _count(on_credentials_read, "failed")
            if definitive:
                raise ApiError(409, "link_not_usable", f"link {found.short_id}: Nmbrs refused its consent",
                               state=str(state), reason=str(got.category), fault_code=got.code)
            wait = getattr(got, "retry_after_s", None) or 60
            raise ApiError(503, "unavailable", "Nmbrs' identity server cannot be reached and no valid access token "
                           "is left; try again later", headers={"Retry-After": str(int(wait))})
        audit(db, platform="api", actor=actor, action="credentials.read", link_id=found.id,
              detail={"state": str(state), "kind": "rest", "key_name": key.name}, client_address=client)
        await db.commit()
        _count(on_credentials_read, "served")
        log.info("api: access token of %s read by key %s from %s", found.short_id, key.id, client)
        response.headers["Cache-Control"] = "no-store"
        return RestCredentials(link_id=found.id, short_id=found.short_id, state=state, access_token=got.access_token,
                               expires_at=got.expires_at, debtor_id=found.debtor_id or "",
                               scopes=(found.scopes or "").split())

    return router


async def _find(db: AsyncSession, ref: str) -> Link | None:
    link_id = parse_short_id(ref)
    return None if link_id is None else await db.get(Link, link_id)


def _unknown(ref: str) -> ApiError:
    return ApiError(404, "not_found", f"no link {ref}")


def _count(hook: Callable[[str], None] | None, result: str) -> None:
    if hook is not None:
        hook(result)
