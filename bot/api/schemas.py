"""What the hand-off API answers, as pydantic models (they are also its OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from typing import Literal

from pydantic import BaseModel, Field

from storage.models import LinkState


class Debtor(BaseModel):
    id: int | str | None = Field(description="SOAP: a number; REST: a UUID.")
    number: int | str | None
    name: str | None


class Company(BaseModel):
    id: int | str | None = Field(description="SOAP: a number; REST: a UUID.")
    number: int | str | None
    name: str | None
    debtor_id: int | str | None


class LinkOut(BaseModel):
    """A link's metadata: everything but the token (not even its last four characters)."""

    id: int = Field(description="Numeric link id; `short_id` is how people write it (L12).")
    short_id: str = Field(examples=["L12"])
    kind: Literal["soap", "rest"] = Field(default="soap", description="soap (e-mail + token) or rest (OAuth consent).")
    state: LinkState
    username: str = Field(description="The Nmbrs login e-mail.")
    environment: str | None = Field(description="The Nmbrs sub-domain (acme for acme.nmbrs.nl); null until Nmbrs answered once.")
    label: str | None
    platform: str = Field(description="Where the credentials came from: slack or teams.")
    debtor_count: int
    company_count: int
    debtors: list[Debtor]
    companies: list[Company]
    scope_digest: str | None
    last_reason: str | None = Field(description="Why the last check failed (credentials, rights, subscription, other, or a transient cause); `soap_switched_off` while the SOAP API looks switched off.")
    last_fault_code: int | None
    created_at: datetime | None
    updated_at: datetime | None
    state_changed_at: datetime | None
    last_checked_at: datetime | None


class LinkPage(BaseModel):
    items: list[LinkOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Credentials(BaseModel):
    """What the integration needs to call Nmbrs' SOAP API for this link. Do not log or store it in clear."""

    kind: Literal["soap"] = "soap"
    link_id: int
    short_id: str
    state: LinkState = Field(description="active, or unverified (Nmbrs could not be reached lately; last known good).")
    username: str
    token: str
    environment: str | None


class RestCredentials(BaseModel):
    """A REST link's access token, valid for at least 5 more minutes; the refresh token never leaves
    the desk (only the desk refreshes). Do not log or store it in clear."""

    kind: Literal["rest"] = "rest"
    link_id: int
    short_id: str
    state: LinkState
    access_token: str
    expires_at: datetime
    debtor_id: str
    scopes: list[str]


class Error(BaseModel):
    error: str = Field(description="A stable code: unauthorized, not_found, link_not_usable, invalid_request, …")
    message: str


class NotUsable(Error):
    state: LinkState
    reason: str | None = Field(description="The category of the last failure, when the link broke.")
    fault_code: int | None


class Problem(BaseModel):
    field: str
    location: str = Field(description="query or path")
    message: str


class InvalidRequest(Error):
    problems: list[Problem]
