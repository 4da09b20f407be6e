"""The migration tracker's use cases for support: the overview, one SOAP link's checklist, marking a
debtor not needed, and answering the "which debtor is this?" question. Staff only, audited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox
from handlers.migration import invite
from handlers.migration.invite import InviteLinks
from handlers.migration.matching import by_support, cover
from handlers.migration.outcomes import (
    AlreadyDecided,
    InviteUnavailable,
    MarkedNotNeeded,
    MatchConfirmed,
    MatchDeclined,
    MatchGone,
    MigrationChecklist,
    MigrationOutcome,
    MigrationOverview,
    NoDebtor,
    NotMigrating,
)
from handlers.model import Person
from handlers.staff import StaffDirectory
from storage import migration as store
from storage.audit import audit
from storage.migration import DebtorMove, LinkMove
from storage.models import Link, LinkKind, MoveState, utcnow

log = logging.getLogger(__name__)

#: `/nmbrs migration` lists at most this many links with debtors to move.
OVERVIEW_CAP = 15


def days_left(soap_until: date | None, today: date) -> int | None:
    return None if soap_until is None else (soap_until - today).days


def _actor(person: Person) -> dict[str, Any]:
    return {"platform": person.platform, "team_id": person.team_id, "actor": person.user_id}


def _who(person: Person) -> str:
    return by_support(person.user_id if person.platform == "slack" else f"{person.platform} {person.user_id}")


async def overview(session: AsyncSession, *, soap_until: date | None, today: date,
                   cap: int = OVERVIEW_CAP) -> MigrationOverview:
    """The whole move (also what the CLI and the API show)."""
    moves = await store.link_moves(session)
    worst = store.worst_first(moves)
    return MigrationOverview(totals=store.totals(moves), links=tuple(worst[:cap]), more=max(len(worst) - cap, 0),
                             soap_until=soap_until, days_left=days_left(soap_until, today))


class Refusal(Exception):
    """A button pressed by someone who is not support staff."""


class Migration:
    """Runs the tracker's support commands and buttons for any chat platform. One per process."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], staff: StaffDirectory, outbox: Outbox | None = None,
        soap_until: date | None = None, clock: Callable[[], datetime] = utcnow,
        links: InviteLinks | None = None, remind_days: int = 7,
    ) -> None:
        self.sessions = sessions
        self.staff = staff
        self.outbox = outbox
        self.soap_until = soap_until
        self.clock = clock
        self.links = links
        """With REST on: makes the per-debtor URLs of `migration invite` (handlers.migration.invite)."""
        self.remind_days = remind_days

    async def overview(self, *, person: Person) -> MigrationOutcome:
        async with self.sessions() as session, session.begin():
            found = await overview(session, soap_until=self.soap_until, today=self.clock().date())
            audit(session, **_actor(person), action="command.migration",
                  detail={"to_move": found.totals.to_move, "links": found.totals.links_to_move})
        return found

    async def checklist(self, *, person: Person, link_id: int) -> MigrationOutcome:
        async with self.sessions() as session, session.begin():
            move = await store.link_move(session, link_id)
            if move is None:
                audit(session, **_actor(person), action="command.migration", result="failed",
                      detail={"link": f"L{link_id}", "problem": "not_soap"})
                return NotMigrating(link_id)
            audit(session, **_actor(person), action="command.migration", link_id=link_id,
                  detail={"to_move": move.to_move})
        return MigrationChecklist(move)

    async def not_needed(self, *, person: Person, link_id: int, number: str) -> MigrationOutcome:
        """`migration not-needed <link> <debtor number>`."""
        action = "command.migration.not_needed"
        async with self.sessions() as session, session.begin():
            move = await store.link_move(session, link_id)
            if move is None:
                audit(session, **_actor(person), action=action, result="failed",
                      detail={"link": f"L{link_id}", "problem": "not_soap"})
                return NotMigrating(link_id)
            debtor = next((d for d in move.debtors if store.normalise(d.number) == store.normalise(number)), None)
            if debtor is None:
                audit(session, **_actor(person), action=action, link_id=link_id, result="failed",
                      detail={"problem": "no_debtor", "number": number})
                return NoDebtor(link_id, number)
            done = await self._decide(session, person, action, move=move, debtor=debtor, rest_link=None)
        if done is None:
            return AlreadyDecided(link_id, debtor)
        self._kick()
        return MarkedNotNeeded(link_id, debtor, link_done=done)

    async def confirm_match(self, *, person: Person, link_id: int, debtor_id: int, rest_link_id: int) -> MigrationOutcome:
        """A candidate's button: the REST link covers this SOAP debtor, as `person` confirmed."""
        action = "migration.match"
        await self._staff_only(person, action, link_id)
        async with self.sessions() as session, session.begin():
            rest = await session.get(Link, rest_link_id)
            move = await store.link_move(session, link_id)
            debtor = move.debtor(debtor_id) if move is not None else None
            if rest is None or rest.kind != LinkKind.REST or move is None or debtor is None:
                audit(session, **_actor(person), action=action, result="failed",
                      detail={"link": f"L{link_id}", "debtor": debtor_id, "rest_link": f"L{rest_link_id}"})
                return MatchGone(rest_link_id)
            done = await self._decide(session, person, action, move=move, debtor=debtor, rest_link=rest)
        if done is None:
            return AlreadyDecided(link_id, debtor)
        self._kick()
        return MatchConfirmed(link_id, debtor, rest_link_id, link_done=done)

    async def _decide(self, session: AsyncSession, person: Person, action: str, *, move: LinkMove,
                      debtor: DebtorMove, rest_link: Link | None) -> bool | None:
        """Cover the debtor by `rest_link` (None: mark it not needed) as `person` decided, audited;
        None when it was decided already, else whether its link is done now."""
        done = None
        if debtor.state is MoveState.TO_MOVE:
            state = MoveState.COVERED if rest_link is not None else MoveState.NOT_NEEDED
            done = await cover(session, move=move, debtor=debtor, state=state, matched_by=_who(person),
                               rest_link=rest_link, now=self.clock())
        detail = {"debtor": debtor.debtor_id, **({"rest_link": rest_link.short_id} if rest_link is not None else {})}
        if done is None:
            audit(session, **_actor(person), action=action, link_id=move.link_id, result="failed",
                  detail={**detail, "problem": "decided", "state": str(debtor.state)})
        else:
            audit(session, **_actor(person), action=action, link_id=move.link_id, detail=detail)
        return done

    async def decline_match(self, *, person: Person, rest_link_id: int) -> MigrationOutcome:
        """"None of these": recorded in the audit log only; the SOAP debtors stay to move."""
        await self._staff_only(person, "migration.match.none", None)
        async with self.sessions() as session, session.begin():
            exists = await session.get(Link, rest_link_id) is not None
            audit(session, **_actor(person), action="migration.match.none",
                  link_id=rest_link_id if exists else None, detail={"rest_link": f"L{rest_link_id}"})
        return MatchDeclined(rest_link_id)

    async def invite(self, *, person: Person, link_id: int | None) -> MigrationOutcome:
        """`migration invite <link>` (sends) or `migration invite all` (asks first); staff checked by the command."""
        if self.links is None:
            return await self._no_rest(person)
        if link_id is None:
            return await invite.ask_all(self, person=person)
        return await invite.invite_one(self, person=person, link_id=link_id, links=self.links)

    async def invite_all(self, *, person: Person) -> MigrationOutcome:
        """The confirmation's button (a request of its own: staff checked again)."""
        await self._staff_only(person, invite.ACTION, None)
        if self.links is None:
            return await self._no_rest(person)
        return await invite.invite_all(self, person=person, links=self.links)

    async def _no_rest(self, person: Person) -> MigrationOutcome:
        async with self.sessions() as session, session.begin():
            audit(session, **_actor(person), action=invite.ACTION, result="failed", detail={"problem": "no_rest"})
        return InviteUnavailable()

    async def _staff_only(self, person: Person, action: str, link_id: int | None) -> None:
        if await self.staff.is_staff(person):
            return
        async with self.sessions() as session, session.begin():
            exists = link_id is not None and await session.get(Link, link_id) is not None
            audit(session, **_actor(person), action=action, result="refused", link_id=link_id if exists else None)
        log.info("migration: %s refused for a non-staff user", action)
        raise Refusal(action)

    def _kick(self) -> None:
        if self.outbox is not None:
            self.outbox.kick()


def _debtor_document(debtor: Any) -> dict[str, Any]:
    return {"id": debtor.debtor_id, "number": debtor.number, "name": debtor.name, "state": str(debtor.state),
            "rest_link": f"L{debtor.rest_link_id}" if debtor.rest_link_id is not None else None,
            "matched_by": debtor.matched_by,
            "matched_at": debtor.matched_at.isoformat() if debtor.matched_at else None}


def overview_document(found: MigrationOverview) -> dict[str, Any]:
    """The overview as JSON for operators and the integration (`tokendesk migration --json`, /api/v1/migration)."""
    totals = found.totals
    return {
        "soap_until": found.soap_until.isoformat() if found.soap_until else None,
        "days_left": found.days_left,
        "totals": {"soap_links": totals.soap_links, "debtors": totals.debtors, "to_move": totals.to_move,
                   "covered": totals.covered, "not_needed": totals.not_needed, "links_to_move": totals.links_to_move},
        "links": [{"id": move.link_id, "short_id": move.short_id, "state": move.state, "username": move.username,
                   "environment": move.environment, "label": move.label, "to_move": move.to_move,
                   "debtors": [_debtor_document(d) for d in move.debtors]} for move in found.links],
        "more": found.more,
    }
