"""Link events for the integration: what a transition looks like on the wire, and the webhook outbox.

`record_link_event` is called by `handlers.alerts.queue` in the transaction of the transition, so an
event exists exactly when its alert does. Events are recorded whether or not a webhook URL is set:
the sender marks them `disabled` when it runs without one (see bot/webhooks.py).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.model import Alert, LinkCard
from storage import webhook_events
from storage.models import Link, WebhookStatus, utcnow

# The operator's queries (`tokendesk webhooks`) are storage's; named here too for their callers.
from storage.webhook_events import RETRYABLE, count_events, list_events, retry_events

#: Alert kinds that are link transitions, and the event type each becomes.
EVENT_TYPES: dict[str, str] = {
    "activated": "link.activated",
    "token_replaced": "link.token_replaced",
    "broken": "link.broken",
    "restored": "link.restored",
    "scope_changed": "link.scope_changed",
    "unverified": "link.unverified",
    "revoked": "link.revoked",
    "debtor_migrated": "debtor.migrated",
    "link_migrated": "link.migrated",
}
#: Alert kinds about a whole kind of link rather than one link: (event type, the kind of link it is about).
DESK_EVENT_TYPES: dict[str, tuple[str, str]] = {
    "soap_switched_off": ("soap.switched_off", "soap"),
    "soap_answering": ("soap.answering", "soap"),
}


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _debtors(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": d.get("id"), "number": d.get("number"), "name": d.get("name")} for d in items]


def _companies(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": c.get("id"), "number": c.get("number"), "name": c.get("name"), "debtor_id": c.get("debtor_id")}
        for c in items
    ]


def link_metadata(link: Link) -> dict[str, Any]:
    """Everything the integration may know about a link except its token (not even the last four)."""
    debtors, companies = link.debtors or [], link.companies or []
    return {
        "id": link.id,
        "short_id": link.short_id,
        "kind": link.kind or "soap",
        "state": str(link.state),
        "username": link.username,
        "environment": link.environment,
        "label": link.label,
        "platform": link.platform,
        "debtor_count": len(debtors),
        "company_count": len(companies),
        "debtors": _debtors(debtors),
        "companies": _companies(companies),
        "scope_digest": link.scope_digest,
        "last_reason": link.last_reason,
        "last_fault_code": link.last_fault_code,
        "created_at": iso(link.created_at),
        "updated_at": iso(link.updated_at),
        "state_changed_at": iso(link.state_changed_at),
        "last_checked_at": iso(link.last_checked_at),
    }


def card_metadata(card: LinkCard) -> dict[str, Any]:
    """The same shape from an alert's snapshot, for the rare event whose link row is gone."""
    return {
        "id": card.id, "short_id": card.short_id, "kind": card.kind, "state": card.state, "username": card.username,
        "environment": card.environment, "label": card.label, "platform": card.platform,
        "debtor_count": card.debtor_count, "company_count": card.company_count, "debtors": [], "companies": [],
        "scope_digest": None, "last_reason": None, "last_fault_code": None, "created_at": None,
        "updated_at": None, "state_changed_at": None, "last_checked_at": None,
    }


def event_body(*, event_id: str, type_: str, at: datetime, link: Mapping[str, Any], details: Mapping[str, Any]) -> str:
    """The JSON document sent for an event (Standard Webhooks' id/type/timestamp/data layout)."""
    return _document(event_id=event_id, type_=type_, at=at, data={"link": dict(link), "details": dict(details)})


def _document(*, event_id: str, type_: str, at: datetime, data: Mapping[str, Any]) -> str:
    document = {"id": event_id, "type": type_, "timestamp": iso(at), "data": dict(data)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)


async def record_desk_event(session: AsyncSession, alert: Alert, key: str) -> bool:
    """Write the webhook event of a desk-wide alert (DESK_EVENT_TYPES), once per key; True when it is new.
    Its `data` names the kind of link it is about instead of one link: {"kind": "soap", "details": {…}}."""
    found = DESK_EVENT_TYPES.get(str(alert.kind))
    if found is None:
        return False
    type_, kind = found
    details = {name: value for name, value in alert.details.items() if "token" not in name.lower()}
    now = utcnow()
    event_id = new_event_id()
    body = _document(event_id=event_id, type_=type_, at=now, data={"kind": kind, "details": details})
    return await webhook_events.add(
        session,
        values={
            "event_id": event_id, "key": key[:200], "type": type_, "link_id": None, "body": body,
            "status": str(WebhookStatus.PENDING), "created_at": now, "next_attempt_at": now, "attempts": 0,
        },
    )


async def record_link_event(session: AsyncSession, alert: Alert, key: str) -> bool:
    """Write the webhook event of a link transition, once per key; True when it is new.

    Call inside the transaction of the transition (handlers.alerts.queue does)."""
    type_ = EVENT_TYPES.get(str(alert.kind))
    if type_ is None or alert.link is None:
        return False
    link = await session.get(Link, alert.link.id)
    metadata = link_metadata(link) if link is not None else card_metadata(alert.link)
    # Alert details are chat-safe already; dropping anything named like a token is belt and braces.
    details = {name: value for name, value in alert.details.items() if "token" not in name.lower()}
    now = utcnow()
    event_id = new_event_id()
    body = event_body(event_id=event_id, type_=type_, at=now, link=metadata, details=details)
    return await webhook_events.add(
        session,
        values={
            "event_id": event_id, "key": key[:200], "type": type_, "link_id": alert.link.id, "body": body,
            "status": str(WebhookStatus.PENDING), "created_at": now, "next_attempt_at": now, "attempts": 0,
        },
    )


__all__ = [
    "DESK_EVENT_TYPES", "EVENT_TYPES", "RETRYABLE", "card_metadata", "count_events", "event_body", "iso", "link_metadata",
    "list_events", "new_event_id", "record_desk_event", "record_link_event", "retry_events",
]
