"""Which SOAP debtor a new REST consent covers: automatically only when the consent started from that
debtor's migration button or invitation and its number and name match; otherwise support is asked
to pick from the SOAP debtors still to move with the same number or name (buttons).

Everything here runs inside the caller's transaction (the one that stored the REST link), so the
match, its alerts and its webhook events commit together with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import queue
from handlers.model import Alert, AlertKind, LinkCard
from storage import migration as store
from storage.migration import DebtorMove, LinkMove
from storage.models import Link, MoveState, utcnow

log = logging.getLogger(__name__)

#: How a consent from a debtor's own migration button or invitation is recorded.
BY_BUTTON = "consent from migration button"
#: Candidates offered to support at most (one button each, then "none of these").
CANDIDATES = 5


def by_support(user: str) -> str:
    return f"support: {user}"


@dataclass(frozen=True)
class Covered:
    link_id: int
    debtor: DebtorMove
    link_done: bool


@dataclass(frozen=True)
class AskedSupport:
    candidates: int


@dataclass(frozen=True)
class NothingToMatch:
    """No SOAP debtor to move looks like this REST link's debtor (or it covers one already)."""


ConsentMatch: TypeAlias = Covered | AskedSupport | NothingToMatch


def _debtor_details(debtor: DebtorMove) -> dict[str, object]:
    return {"debtor_id": debtor.debtor_id, "debtor_number": debtor.number, "debtor_name": debtor.name}


async def cover(
    session: AsyncSession, *, move: LinkMove, debtor: DebtorMove, state: MoveState, matched_by: str,
    rest_link: Link | None, now: datetime,
) -> bool | None:
    """Record one debtor's move (covered by `rest_link`, or not needed) with its alerts: the SOAP
    link's thread is told of a covered debtor (and the integration: debtor.migrated); once nothing is
    left to move, link.migrated and the revoke question. None when it was decided already, else
    whether the link is done now."""
    if not await store.record(session, soap_link_id=move.link_id, debtor_id=debtor.debtor_id, state=state,
                              matched_by=matched_by, rest_link_id=rest_link.id if rest_link else None, now=now):
        return None
    soap = await session.get(Link, move.link_id)
    assert soap is not None, "a LinkMove is made from a link row"
    card = LinkCard.of(soap)
    if rest_link is not None:
        await queue(session, Alert(AlertKind.DEBTOR_MIGRATED, card, {
            **_debtor_details(debtor), "rest_link": rest_link.short_id, "rest_link_id": rest_link.id,
            "rest_debtor_id": rest_link.debtor_id, "matched_by": matched_by,
        }), key=f"migration:{move.link_id}:{debtor.debtor_id}:covered")
    after = await store.link_move(session, move.link_id)
    done = after is not None and after.done
    if done and after is not None:
        await queue(session, Alert(AlertKind.LINK_MIGRATED, card, {
            "debtors": len(after.debtors), "covered": after.count(MoveState.COVERED),
            "not_needed": after.count(MoveState.NOT_NEEDED),
            "rest_links": sorted({f"L{d.rest_link_id}" for d in after.debtors if d.rest_link_id is not None}),
        }), key=f"migration:{move.link_id}:done")
    log.info("migration: debtor %s of link %s recorded %s", debtor.debtor_id, move.short_id, state)
    return done


def _same(debtor: DebtorMove, rest_link: Link) -> bool:
    return (store.normalise(debtor.number) == store.normalise(rest_link.debtor_number)
            and store.normalise(debtor.name) == store.normalise(rest_link.debtor_name))


async def on_rest_consent(
    session: AsyncSession, *, rest_link: Link, migration_link_id: int | None, migration_debtor_id: int | None,
    by: str, now: datetime | None = None,
) -> ConsentMatch:
    """After a REST link was stored (in the same transaction): cover the SOAP debtor its consent was
    started for when number and name match, else ask support about the likely candidates."""
    now = now or utcnow()
    if await store.covered_by(session, rest_link.id):
        return NothingToMatch()  # a renewed consent for the same debtor: its match stands
    target = None
    if migration_link_id is not None and migration_debtor_id is not None:
        move = await store.link_move(session, migration_link_id)
        debtor = move.debtor(migration_debtor_id) if move is not None else None
        if move is not None and debtor is not None and debtor.state is MoveState.TO_MOVE:
            target = (move.link_id, debtor.debtor_id)
            if _same(debtor, rest_link):
                done = await cover(session, move=move, debtor=debtor, state=MoveState.COVERED, matched_by=BY_BUTTON,
                                   rest_link=rest_link, now=now)
                if done is not None:
                    return Covered(link_id=move.link_id, debtor=debtor, link_done=done)
    found = await store.candidates(session, number=rest_link.debtor_number, name=rest_link.debtor_name)
    if target is not None:  # the debtor the consent was started for is offered first
        found.sort(key=lambda pair: (pair[0].link_id, pair[1].debtor_id) != target)
    if not found:
        return NothingToMatch()
    shown = found[:CANDIDATES]
    await queue(session, Alert(AlertKind.MIGRATION_MATCH, None, {
        "rest_link": rest_link.short_id, "rest_link_id": rest_link.id, "debtor_number": rest_link.debtor_number,
        "debtor_name": rest_link.debtor_name, "consented_by": by, "more": len(found) - len(shown),
        "started_from": f"L{target[0]}" if target else None,
        "candidates": [{"link_id": move.link_id, "environment": move.environment, "label": move.label,
                        **_debtor_details(debtor)} for move, debtor in shown],
    }), key=f"migration:match:{rest_link.id}:{now.isoformat()}")
    return AskedSupport(candidates=len(shown))
