"""The webhook events in the API's OpenAPI document (its `webhooks` section): what tokendesk POSTs to
TOKENDESK_WEBHOOK_URL, one entry per event type. Documentation only; the events come from handlers.events."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' signatures at runtime.
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from bot.api.schemas import LinkOut
from handlers.events import DESK_EVENT_TYPES, EVENT_TYPES

MIGRATION_EVENTS = {
    "debtor_migrated": "A REST link now covers one debtor of a SOAP link (the link is the SOAP link; details: the SOAP "
                       "debtor's id, number and name, `rest_link` and `matched_by`).",
    "link_migrated": "Nothing is left to move for a SOAP link (the link is the SOAP link; details: the counts covered "
                     "and not needed). The SOAP token is revoked only when support says so.",
}
SIGNED = ("Signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers); "
          "delivered at least once, in order per link (the `soap.*` events in order among themselves). Answer 2xx "
          "quickly.")


class LinkEventData(BaseModel):
    link: LinkOut = Field(description="The link's metadata at the time of the event; its `kind` is soap or rest.")
    details: dict[str, Any] = Field(description="What happened: reason, fault code, previous state, who, … (never a token).")


class LinkEvent(BaseModel):
    """A link's transition."""

    id: str = Field(examples=["evt_3f0c9a1b2c4d5e6f7a8b9c0d"], description="The same on every retry: de-duplicate on it.")
    type: str = Field(examples=["link.broken"])
    timestamp: datetime
    data: LinkEventData


class MigrationNumbersOut(BaseModel):
    soap_links: int
    debtors_to_move: int
    debtors_covered: int = Field(description="Debtors of SOAP links that a REST link covers (or marked not needed).")
    days_left: int | None = Field(description="Days to TOKENDESK_NMBRS_SOAP_UNTIL; null when it is not set.")


class SoapRunCounts(BaseModel):
    run_id: int = Field(description="The nightly run that found it.")
    checks: int = Field(description="SOAP checks of that run that asked Nmbrs.")
    signs: int = Field(description="Of those, answered as a switched-off API would: HTTP 404/410, connection "
                                   "refused, or a fault saying the service is gone.")
    migration: MigrationNumbersOut | None = Field(description="The SOAP → REST move; null without the migration tracker.")


class SoapSwitchedOffDetails(SoapRunCounts):
    reason: Literal["soap_switched_off"] = Field(
        description="Also each SOAP link's `last_reason` while it lasts; the links keep their state and credentials.")


class SoapEventData(BaseModel):
    kind: Literal["soap"] = Field(description="The kind of link the event is about: every SOAP link.")
    details: SoapSwitchedOffDetails


class SoapSwitchedOffEvent(BaseModel):
    """Most SOAP checks of one run answered as a switched-off SOAP API would. Sent once; not again while it
    lasts (the links' `last_reason` stays `soap_switched_off` until a check gets an answer)."""

    id: str
    type: Literal["soap.switched_off"]
    timestamp: datetime
    data: SoapEventData


class SoapAnsweringData(BaseModel):
    kind: Literal["soap"] = Field(description="The kind of link the event is about: every SOAP link.")
    details: SoapRunCounts


class SoapAnsweringEvent(BaseModel):
    """After `soap.switched_off`, the first run in which SOAP answers again (most of its SOAP checks got an
    answer). Sent once per switch-off; each SOAP link's `last_reason` is its own check's again."""

    id: str
    type: Literal["soap.answering"]
    timestamp: datetime
    data: SoapAnsweringData


#: The desk-wide event types (handlers.events.DESK_EVENT_TYPES by alert kind): their model and description.
DESK_EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "soap_switched_off": (SoapSwitchedOffEvent, "SOAP looks switched off (reported once for the whole desk, not per "
                                                "link)."),
    "soap_answering": (SoapAnsweringEvent, "SOAP answers again after it looked switched off (reported once for the "
                                           "whole desk, not per link)."),
}


def document_webhooks(app: FastAPI) -> None:
    """Add every event type to `app`'s OpenAPI document."""
    for kind, type_ in EVENT_TYPES.items():
        what = MIGRATION_EVENTS.get(kind, f"A link's transition: `{type_}`.")
        _document(app, type_, LinkEvent, f"{what} {SIGNED}")
    for kind, (type_, _link_kind) in DESK_EVENT_TYPES.items():
        model, what = DESK_EVENTS[kind]  # a KeyError here: a new desk-wide type without its documentation
        _document(app, type_, model, f"{what} {SIGNED}")


def _document(app: FastAPI, type_: str, model: type[BaseModel], description: str) -> None:
    async def event(body: model) -> None:  # type: ignore[valid-type]
        """Never called: the receiver is the integration."""

    app.webhooks.add_api_route(type_, event, methods=["POST"], summary=type_, description=description,
                               operation_id=f"webhook_{type_.replace('.', '_')}")
