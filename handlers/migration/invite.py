"""`/nmbrs migration invite <link|all>`: the customer of a SOAP link is asked, on the platform the
link came from, to consent over REST for each debtor still to move (one "Connect with Nmbrs" button
and one forwardable invitation link per debtor); a `web` link's invitation links go to support.

No secret is stored in clear on the way: the customer's message is an alert that names the debtors
and the invite's round, and its notifier makes the tickets and invitations when it sends it
(`InviteLinks`), so the URLs go straight into the message. At most once per
TOKENDESK_MIGRATION_REMIND_DAYS per link; every invite is audited (`migration.invite`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import queue
from handlers.invitations import invitation_url
from handlers.migration.outcomes import (
    InviteAllAsk,
    InvitesDone,
    InviteSent,
    InviteTooSoon,
    InviteUnavailable,
    InviteWeb,
    MigrationOutcome,
    NothingToInvite,
    NotMigrating,
    WebDebtor,
)
from handlers.model import Alert, AlertKind, LinkCard, Person
from storage import invitations as invitation_store
from storage import migration as store
from storage import migration_invites
from storage.audit import audit
from storage.invitations import MigrationTarget
from storage.migration import LinkMove
from storage.models import Link, MoveState

if TYPE_CHECKING:
    from handlers.connect import Tickets

log = logging.getLogger(__name__)

ACTION = "migration.invite"
#: Platforms whose customers get the message in their chat (others: support gets the links).
CHAT = frozenset({"slack", "teams"})
#: Debtors in one customer message at most (Slack allows 50 blocks); the rest come with the next invite.
PER_MESSAGE = 40
#: `invite all`: web links whose invitation URLs one answer lists at most (the rest: one at a time).
WEB_PER_ANSWER = 10


class Runner(Protocol):
    """What an invite needs of handlers.migration.service.Migration."""

    sessions: async_sessionmaker[AsyncSession]
    soap_until: date | None
    remind_days: int
    clock: Callable[[], datetime]

    def _kick(self) -> None: ...


@dataclass(frozen=True)
class DebtorLinks:
    """One debtor's part of the customer's message."""

    debtor_id: int
    number: str | None
    name: str
    button_url: str
    """A ticket bound to the customer and to this SOAP debtor (as long as the invitation)."""
    invitation_url: str
    """An invitation bound to this SOAP debtor, to forward (once, until `expires_at`)."""
    invitation: str
    expires_at: datetime


class InviteLinks:
    """Makes the per-debtor URLs of an invite when its message is sent. Built from the consent
    tickets (REST on) and the invitations' lifetime; None when REST is off."""

    def __init__(self, *, tickets: "Tickets", ttl: timedelta) -> None:
        self.tickets = tickets
        self.sessions = tickets.sessions
        self.ttl = ttl

    async def invitations(
        self, session: AsyncSession, *, soap_link_id: int, round_: str, debtors: Sequence[Mapping[str, Any]],
        by: Mapping[str, Any],
    ) -> list[tuple[Mapping[str, Any], str, str, datetime]]:
        """For each debtor (id, number, name): its invitation of this round, renewed with a new secret
        when a delivery is retried. (debtor, URL, short id, expiry) each; in the caller's transaction."""
        now = self.tickets.clock()
        made = []
        for debtor in debtors:
            target = MigrationTarget(link_id=soap_link_id, debtor_id=int(debtor["id"]), round=round_)
            found = await invitation_store.find_open_migration(session, target=target, now=now)
            if found is not None:
                secret, record = await invitation_store.rekey(session, found), found
            else:
                name = " ".join(f"{debtor.get('number') or ''} {debtor.get('name') or ''}".split())[:200] or "?"
                new = await invitation_store.create(
                    session, name=name, email=None, ttl=self.ttl, platform=str(by.get("platform") or "cli"),
                    team_id=by.get("team_id"), user_id=str(by.get("user_id") or "?"), migration=target)
                secret, record = new.secret, new.record
            made.append((debtor, invitation_url(self.tickets.public_url, secret), record.short_id, record.expires_at))
        return made

    async def for_support(self, alert: Alert) -> tuple[WebDebtor, ...]:
        """The invitation URLs of an invite its customer's platform refused (MIGRATION_UNDELIVERED):
        the same invitations of the round, renewed, for support to forward. No consent ticket: those
        are the customer's, for the message that never arrived."""
        details = alert.details
        async with self.sessions() as session, session.begin():
            made = await self.invitations(session, soap_link_id=int(details["soap_link_id"]),
                                          round_=str(details["round"]), debtors=details.get("debtors") or [],
                                          by=details.get("invited_by") or {})
        return forwardable(made)

    async def for_customer(self, alert: Alert, *, lang: str) -> list[DebtorLinks]:
        """The buttons and invitation links of a CUSTOMER_MIGRATION alert, made now for its customer."""
        details = alert.details
        soap_link_id = int(details["soap_link_id"])
        async with self.sessions() as session, session.begin():
            made = await self.invitations(session, soap_link_id=soap_link_id, round_=str(details["round"]),
                                          debtors=details.get("debtors") or [], by=details.get("invited_by") or {})
        customer = Person(str(details["platform"]), details.get("team_id"), str(details["user_id"]), lang)
        found = []
        for debtor, url, short_id, expires_at in made:
            button = await self.tickets.url(customer, migration_link_id=soap_link_id,
                                            migration_debtor_id=int(debtor["id"]), ttl=self.ttl)
            found.append(DebtorLinks(int(debtor["id"]), debtor.get("number"), str(debtor.get("name") or ""),
                                     button, url, short_id, expires_at))
        return found


def forwardable(made: Sequence[tuple[Mapping[str, Any], str, str, datetime]]) -> tuple[WebDebtor, ...]:
    """Invitations (as InviteLinks.invitations makes them) as support lists them, to forward."""
    return tuple(WebDebtor(d.get("number"), str(d.get("name") or ""), short_id, url, expires_at)
                 for d, url, short_id, expires_at in made)


async def forward_links(links: InviteLinks | None, alert: Alert) -> tuple[WebDebtor, ...]:
    """What a support message forwards: an undelivered invite's invitation URLs, renewed now (none for
    other messages, or with REST off)."""
    if alert.kind is not AlertKind.MIGRATION_UNDELIVERED or links is None:
        return ()
    return await links.for_support(alert)


def more_debtors(alert: Alert) -> int:
    """Debtors to move that did not fit in this invite's message."""
    more = alert.details.get("more")
    return more if isinstance(more, int) and more > 0 else 0


def soap_until(alert: Alert) -> date | None:
    """The switch-off date an invite names (as it was when support sent it)."""
    value = alert.details.get("soap_until")
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def invite_links(tickets: "Tickets | None", ttl: timedelta) -> InviteLinks | None:
    """What makes an invite's URLs, or None when REST is off (no tickets)."""
    return InviteLinks(tickets=tickets, ttl=ttl) if tickets is not None else None


def _actor(person: Person) -> dict[str, Any]:
    return {"platform": person.platform, "team_id": person.team_id, "actor": person.user_id}


def _to_move(move: LinkMove) -> list[dict[str, Any]]:
    return [{"id": d.debtor_id, "number": d.number, "name": d.name} for d in move.debtors
            if d.state is MoveState.TO_MOVE]


async def invite_one(migration: Runner, *, person: Person, link_id: int, links: InviteLinks) -> MigrationOutcome:
    """Invite one SOAP link's customer, in one transaction with its audit entry (and, for a `web`
    link, its invitations, whose URLs only the answer holds)."""
    now = migration.clock()
    every = timedelta(days=migration.remind_days)
    async with migration.sessions() as session, session.begin():
        move = await store.link_move(session, link_id)
        link = await session.get(Link, link_id) if move is not None else None
        if move is None or link is None:
            audit(session, **_actor(person), action=ACTION, result="failed",
                  detail={"link": f"L{link_id}", "problem": "not_soap"})
            return NotMigrating(link_id)
        debtors = _to_move(move)
        if not debtors:
            audit(session, **_actor(person), action=ACTION, link_id=link_id, result="failed",
                  detail={"problem": "nothing_to_move"})
            return NothingToInvite(link_id)
        round_ = await migration_invites.claim(session, soap_link_id=link_id, by=f"{person.platform} {person.user_id}",
                                               now=now, every=every)
        if round_ is None:
            again = await migration_invites.next_allowed(session, soap_link_id=link_id, every=every)
            audit(session, **_actor(person), action=ACTION, link_id=link_id, result="failed",
                  detail={"problem": "too_soon", "again_at": again.isoformat() if again else None})
            return InviteTooSoon(link_id, again or now)
        by = {"platform": person.platform, "team_id": person.team_id, "user_id": person.user_id}
        platform = link.platform
        detail = {"round": round_, "debtors": len(debtors), "to": platform}
        if platform not in CHAT or not link.user_id:  # no chat reaches the customer: support sends the links
            made = await links.invitations(session, soap_link_id=link_id, round_=round_, debtors=debtors, by=by)
            audit(session, **_actor(person), action=ACTION, link_id=link_id,
                  detail={**detail, "invitations": [short_id for _, _, short_id, _ in made]})
            return InviteWeb(link_id, forwardable(made))
        await queue(session, Alert(AlertKind.CUSTOMER_MIGRATION, LinkCard.of(link), {
            "platform": link.platform, "team_id": link.team_id, "user_id": link.user_id, "soap_link_id": link_id,
            "round": round_, "debtors": debtors[:PER_MESSAGE], "more": max(len(debtors) - PER_MESSAGE, 0),
            "invited_by": by,
            "soap_until": migration.soap_until.isoformat() if migration.soap_until else None,
        }), key=f"migration:invite:{link_id}:{round_}")
        audit(session, **_actor(person), action=ACTION, link_id=link_id, detail=detail)
    log.info("migration: customer of link L%s invited (%s debtor(s))", link_id, len(debtors))
    migration._kick()
    return InviteSent(link_id, platform, len(debtors))


async def ask_all(migration: Runner, *, person: Person) -> MigrationOutcome:
    async with migration.sessions() as session, session.begin():
        moves = store.worst_first(await store.link_moves(session))
        audit(session, **_actor(person), action=ACTION, detail={"stage": "asked", "links": len(moves)})
    return InviteAllAsk(soap_links=len(moves), debtors=sum(move.to_move for move in moves))


async def invite_all(migration: Runner, *, person: Person, links: InviteLinks) -> MigrationOutcome:
    """The confirmation's button: every SOAP link with debtors to move, each on its own."""
    async with migration.sessions() as session:
        ids = [move.link_id for move in store.worst_first(await store.link_moves(session))]
        rows = (await session.execute(select(Link.id, Link.platform).where(Link.id.in_(ids)))).all()
    platforms = {link_id: platform for link_id, platform in rows}
    sent: list[InviteSent] = []
    skipped: list[InviteTooSoon] = []
    web: list[InviteWeb] = []
    web_left: list[int] = []
    for link_id in ids:
        if platforms.get(link_id) not in CHAT and len(web) >= WEB_PER_ANSWER:
            web_left.append(link_id)  # not claimed: its URLs would have nowhere to go
            continue
        outcome = await invite_one(migration, person=person, link_id=link_id, links=links)
        if isinstance(outcome, InviteSent):
            sent.append(outcome)
        elif isinstance(outcome, InviteTooSoon):
            skipped.append(outcome)
        elif isinstance(outcome, InviteWeb):
            web.append(outcome)
    return InvitesDone(tuple(sent), tuple(skipped), tuple(web), tuple(web_left))


__all__ = ["ACTION", "DebtorLinks", "InviteLinks", "ask_all", "forward_links", "forwardable", "invite_all", "invite_links", "invite_one", "more_debtors",
           "soap_until"]
