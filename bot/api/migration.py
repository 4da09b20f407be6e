"""GET /migration: the SOAP → REST migration's progress for the integration (API key, audited)."""

# No `from __future__ import annotations`: FastAPI reads these signatures' local aliases at runtime.
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.schemas import Error
from handlers.migration import overview, overview_document
from storage.audit import audit
from storage.models import ApiKey, utcnow


class MigrationTotals(BaseModel):
    soap_links: int = Field(description="SOAP links in use (not revoked or rejected).")
    debtors: int = Field(description="Debtors those links reach now.")
    to_move: int = Field(description="Debtors not yet covered by a REST link nor marked not needed.")
    covered: int = Field(description="Debtors covered by a REST link.")
    not_needed: int = Field(description="Debtors support marked as not needing to move.")
    links_to_move: int = Field(description="SOAP links with at least one debtor to move.")


class MigrationDebtor(BaseModel):
    id: int = Field(description="The SOAP debtor id.")
    number: str | None
    name: str
    state: Literal["to_move", "covered", "not_needed"]
    rest_link: str | None = Field(description="covered: the REST link (L41).")
    matched_by: str | None = Field(description="Who or what decided: `consent from migration button`, `support: <user>`.")
    matched_at: str | None = Field(description="When, ISO 8601.")


class MigrationLink(BaseModel):
    id: int
    short_id: str
    state: str
    username: str
    environment: str | None
    label: str | None
    to_move: int
    debtors: list[MigrationDebtor]


class Migration(BaseModel):
    """The move from SOAP to REST: totals, and every SOAP link with debtors still to move, most first."""

    soap_until: date | None = Field(description="TOKENDESK_NMBRS_SOAP_UNTIL: the day SOAP is assumed to stop.")
    days_left: int | None = Field(description="Days until soap_until (negative once past); null without a date.")
    totals: MigrationTotals
    links: list[MigrationLink]
    more: int = Field(description="Always 0 here: every link with debtors to move is listed.")


def migration_router(*, session: Callable[..., Any], api_key: Callable[..., Any], soap_until: date | None) -> APIRouter:
    router = APIRouter(tags=["migration"], responses={401: {"model": Error, "description": "No valid API key."}})

    @router.get("/migration", response_model=Migration, operation_id="getMigration",
                summary="SOAP → REST migration progress")
    async def get_migration(
        request: Request, db: Annotated[AsyncSession, Depends(session)], key: Annotated[ApiKey, Depends(api_key)],
    ) -> Migration:
        found = await overview(db, soap_until=soap_until, today=utcnow().date(), cap=1_000_000)
        audit(db, platform="api", actor=f"apikey:{key.id}", action="migration.read",
              detail={"key_name": key.name, "to_move": found.totals.to_move},
              client_address=request.client.host if request.client else None)
        await db.commit()
        return Migration.model_validate(overview_document(found))

    return router
