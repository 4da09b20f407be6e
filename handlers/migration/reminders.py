"""The tracker in the nightly run: the digest's progress line while anything is left to move, and the
reminders to the support channel 30, 14, 7 and 1 days before TOKENDESK_NMBRS_SOAP_UNTIL.

Each reminder is an alert keyed by the date and the threshold, so it is sent once however many
replicas run the night and however often the run is resumed; a night that was missed sends the
most urgent reminder due, not a burst of older ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import queue
from handlers.migration.service import days_left
from handlers.model import Alert, AlertKind
from storage import migration as store

#: Days before the switch-off on which support is reminded.
REMIND_AT = (30, 14, 7, 1)


def due_reminder(days: int | None) -> int | None:
    """The threshold whose reminder is due with `days` left (None past the date or far from it)."""
    if days is None or days < 0:
        return None
    due = [threshold for threshold in REMIND_AT if days <= threshold]
    return min(due) if due else None


async def nightly(session: AsyncSession, *, soap_until: date | None, today: date) -> dict[str, Any] | None:
    """In the nightly run's closing transaction: queue the reminder due, if any, and return the
    digest's progress values (None when nothing is left to move)."""
    totals = store.totals(await store.link_moves(session))
    if totals.to_move == 0:
        return None
    days = days_left(soap_until, today)
    progress = {"to_move": totals.to_move, "links_to_move": totals.links_to_move, "covered": totals.covered,
                "not_needed": totals.not_needed, "days_left": days}
    threshold = due_reminder(days)
    if threshold is not None and soap_until is not None:
        await queue(session, Alert(AlertKind.MIGRATION_REMINDER, None, {
            "days": days, "threshold": threshold, "soap_until": soap_until.isoformat(),
            "totals": {"to_move": totals.to_move, "links_to_move": totals.links_to_move, "covered": totals.covered},
        }), key=f"migration:reminder:{soap_until.isoformat()}:{threshold}")
    return progress
