"""A customer message its platform refused for good (handlers.ports.Undeliverable): what support is
told in its place, and the audit entry that says so. The outbox (handlers.alerts) queues it in the
same transaction that settles the refused alert.

Only a migration invite has a message in its place so far: support gets, in the SOAP link's thread,
why the customer could not be reached and the round's invitation URLs to forward (made when that
message is sent, like the customer's own). Other customer alerts refused for good stay as they were:
queued and retried until the outbox gives up on them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.model import Alert, AlertKind
from handlers.ports import Undeliverable
from storage.audit import audit

#: Undeliverable's code when no 1:1 chat with a Teams customer is known (the app is not installed for them).
NOT_INSTALLED = "NotInstalled"
#: The invite's audit action (handlers.migration.invite.ACTION) and this outcome of it.
INVITE_ACTION = "migration.invite"
REDIRECTED = "redirected"
#: What of a migration invite's details support's message needs (never a secret: none are stored).
_INVITE_KEYS = ("platform", "team_id", "user_id", "soap_link_id", "round", "debtors", "more", "invited_by")


def instead(alert: Alert, refusal: Undeliverable) -> Alert | None:
    """Support's message in place of `alert`, or None when its kind has none."""
    if alert.kind is not AlertKind.CUSTOMER_MIGRATION or alert.link is None:
        return None
    details = {key: alert.details.get(key) for key in _INVITE_KEYS}
    details.update(refused_on=refusal.platform, error=refusal.code[:120], external=refusal.external)
    return Alert(AlertKind.MIGRATION_UNDELIVERED, alert.link, details)


def key_of(alert: Alert) -> str:
    """The outbox key of support's message in place of `alert` (one per invite round)."""
    return f"migration:undelivered:{alert.details.get('soap_link_id')}:{alert.details.get('round')}"


def record(session: AsyncSession, alert: Alert, refusal: Undeliverable) -> None:
    """The audit entry: the invite went to support instead, and what the platform said."""
    by = alert.details.get("invited_by") or {}
    audit(session, platform=str(by.get("platform") or "system"), team_id=by.get("team_id"),
          actor=str(by.get("user_id") or "outbox"), action=INVITE_ACTION, link_id=alert.link.id if alert.link else None,
          result=REDIRECTED, detail={"round": alert.details.get("round"), "to": refusal.platform,
                                     "error": refusal.code[:120], "external": refusal.external})
