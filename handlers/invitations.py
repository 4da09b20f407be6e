"""Invitations: support makes a one-time link for a customer outside Slack and Teams; the web page
sends the customer's credentials through the same intake as the chat, limited per invitation and
per client address. Platform-neutral: bot.pages renders the page, the chat adapters the commands.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox, queue
from handlers.intake import REJECTED_PER_HOUR, Connected, Intake, IntakeOutcome, Refused
from handlers.model import Alert, AlertKind, LinkCard, Person
from handlers.redact import redact
from storage import intake_attempts as attempts
from storage import invitations as store
from storage.audit import audit
from storage.models import Invitation, utcnow

log = logging.getLogger(__name__)

#: `/nmbrs invites` names at most this many open invitations.
LIST_CAP = 30
MAX_NAME = 200
#: The platform of links made on the invitation page, and of the people who submit there.
WEB = "web"
#: Person.team_id of a submission counted per invitation / per client address.
BY_INVITATION = "invitation"
BY_ADDRESS = "address"


@dataclass(frozen=True)
class Invited:
    """A new invitation: the URL is shown once, to the person who asked for it."""

    short_id: str
    url: str
    name: str
    email: str | None
    expires_at: datetime


@dataclass(frozen=True)
class InvitationRow:
    short_id: str
    name: str
    email: str | None
    created_by: str
    created_platform: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitationList:
    rows: tuple[InvitationRow, ...]


@dataclass(frozen=True)
class InvitationRevoked:
    short_id: str


@dataclass(frozen=True)
class NoInvitation:
    """No open invitation with that id (unknown, used, expired or revoked already)."""

    short_id: str


@dataclass(frozen=True)
class BadInvitation:
    """What support typed cannot be an invitation's name; `problem` names why."""

    problem: str


@dataclass(frozen=True)
class OpenInvitation:
    """What the page may show about an invitation that can still be used."""

    id: int
    short_id: str
    name: str
    migration_link_id: int | None = None
    """Made by `/nmbrs migration invite` for one SOAP debtor: a consent from the page covers it."""
    migration_debtor_id: int | None = None


@dataclass(frozen=True)
class Gone:
    """Unknown, expired, used or revoked: the page says the same for all of them."""


InvitationOutcome: TypeAlias = Invited | InvitationList | InvitationRevoked | NoInvitation | BadInvitation
SubmitOutcome: TypeAlias = IntakeOutcome | Gone


def invitation_url(public_url: str, secret: str) -> str:
    return f"{public_url.rstrip('/')}/i/{secret}"


def clean_name(text: str) -> tuple[str, str | None]:
    """The invitation's name and, when what was typed is an e-mail address, that address.
    Raises ValueError naming the problem (`missing`, `too_long`, `secret`, `control`)."""
    name = " ".join(text.split())
    if not name:
        raise ValueError("missing")
    if len(name) > MAX_NAME:
        raise ValueError("too_long")
    if any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in name):
        raise ValueError("control")
    if redact(name) != name:
        raise ValueError("secret")  # a pasted token must not become a name shown in the channel
    email = name if " " not in name and name.count("@") == 1 and "." in name.split("@")[1] else None
    return name, email


class Invitations:
    """Creates, lists and revokes invitations, and takes the page's submissions. One per process."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], public_url: str, ttl: timedelta,
        intake: Intake | None = None, outbox: Outbox | None = None,
    ) -> None:
        self.sessions = sessions
        self.public_url = public_url.rstrip("/")
        self.ttl = ttl
        self.intake = intake
        self.outbox = outbox

    def url(self, secret: str) -> str:
        return invitation_url(self.public_url, secret)

    async def create(self, *, person: Person, name: str, email: str | None = None) -> Invited | BadInvitation:
        try:
            name, typed_email = clean_name(name)
        except ValueError as exc:
            return BadInvitation(problem=str(exc))
        email = email or typed_email
        async with self.sessions() as session, session.begin():
            new = await store.create(session, name=name, email=email, ttl=self.ttl, platform=person.platform,
                                     team_id=person.team_id, user_id=person.user_id)
            audit(session, platform=person.platform, team_id=person.team_id, actor=person.user_id,
                  action="invitation.create", detail={"invitation": new.record.short_id, "name": name,
                                                      "email": email, "expires_at": new.record.expires_at.isoformat()})
        log.info("invitations: %s created", new.record.short_id)
        return Invited(short_id=new.record.short_id, url=self.url(new.secret), name=name, email=email,
                       expires_at=new.record.expires_at)

    async def list_open(self, *, person: Person) -> InvitationList:
        async with self.sessions() as session, session.begin():
            found = await store.list_open(session, now=utcnow(), limit=LIST_CAP)
            audit(session, platform=person.platform, team_id=person.team_id, actor=person.user_id,
                  action="invitation.list", detail={"found": len(found)})
        return InvitationList(rows=tuple(_row(record) for record in found))

    async def revoke(self, *, person: Person, short_id: str) -> InvitationRevoked | NoInvitation:
        invitation_id = store.parse_short_id(short_id)
        shown = f"I{invitation_id}" if invitation_id else redact(short_id)[:40]
        async with self.sessions() as session, session.begin():
            ended = invitation_id is not None and await store.revoke(
                session, invitation_id=invitation_id, by=person.user_id, now=utcnow())
            audit(session, platform=person.platform, team_id=person.team_id, actor=person.user_id,
                  action="invitation.revoke", result="ok" if ended else "failed", detail={"invitation": shown})
        return InvitationRevoked(shown) if ended else NoInvitation(shown)

    async def find(self, secret: str) -> OpenInvitation | None:
        async with self.sessions() as session:
            found = await store.find_open(session, secret=secret, now=utcnow())
        if found is None:
            return None
        return OpenInvitation(id=found.id, short_id=found.short_id, name=found.name,
                              migration_link_id=found.migration_link_id, migration_debtor_id=found.migration_debtor_id)

    async def submit(self, *, secret: str, address: str, username: str, token: str, lang: str) -> SubmitOutcome:
        """Credentials from the page: checked like the chat's, the invitation spent on success."""
        assert self.intake is not None, "the page is only served with an intake"
        async with self.sessions() as session:
            invitation = await store.find_open(session, secret=secret, now=utcnow())
        if invitation is None:
            return Gone()
        by_address = Person(platform=WEB, team_id=BY_ADDRESS, user_id=address[:128], lang=lang)
        limited = await self.intake.limited(by_address)
        if limited is not None:
            return limited
        person = Person(platform=WEB, team_id=BY_INVITATION, user_id=invitation.short_id, lang=lang)
        outcome = await self.intake.submit(person=person, username=username, token=token)
        if isinstance(outcome, Refused) and not outcome.result.unexpected:
            return await self._count_for_address(outcome, address, username)
        if isinstance(outcome, Connected):
            await self._spend(invitation, outcome)
        return outcome

    async def _count_for_address(self, outcome: Refused, address: str, username: str) -> Refused:
        now = utcnow()
        async with self.sessions() as session, session.begin():
            session.add(store.rejected_from_address(address=address, username=username,
                                                    reason=str(outcome.result.category), code=outcome.result.code))
            await session.flush()
            used = await attempts.count_rejections(session, platform=WEB, team_id=BY_ADDRESS,
                                                   user_id=address[:128], since=now - timedelta(hours=1))
        return dataclasses.replace(outcome, attempts_left=max(min(outcome.attempts_left, REJECTED_PER_HOUR - used), 0))

    async def _spend(self, invitation: Invitation, outcome: Connected) -> None:
        card = outcome.card
        async with self.sessions() as session, session.begin():
            await use_up(session, invitation, card)
        if self.outbox is not None:
            self.outbox.kick()
        log.info("invitations: %s used by link %s", invitation.short_id, card.short_id)


async def use_up(session: AsyncSession, invitation: Invitation, card: LinkCard) -> bool:
    """Spend the invitation on this link, in the caller's transaction (SOAP form and REST consent
    alike); False when another connection spent it first (audited so, no second thread note)."""
    spent = await store.spend(session, invitation_id=invitation.id, link_id=card.id, now=utcnow())
    audit(session, platform=WEB, team_id=BY_INVITATION, actor=invitation.short_id, action="invitation.use",
          link_id=card.id, result="ok" if spent else "failed",
          detail={"invitation": invitation.short_id} if spent else {"problem": "already_used"})
    if spent:
        # In the link's thread, right after its first post: which invitation, whose, and
        # where to write to the customer (no chat reaches them).
        details = {"invitation": invitation.short_id, "name": invitation.name, "email": invitation.email,
                   "by": invitation.created_by, "by_platform": invitation.created_platform,
                   "by_team": invitation.created_team}
        if invitation.channel_id:  # made for one person from a shared channel's Connect message
            details.update(channel=invitation.channel_id, from_invitation=f"I{invitation.via_id}")
        await queue(session, Alert(AlertKind.INVITED, card, details), key=f"link:{card.id}:invited:{invitation.id}")
    return spent


def _row(record: Invitation) -> InvitationRow:
    return InvitationRow(short_id=record.short_id, name=record.name, email=record.email, created_by=record.created_by,
                         created_platform=record.created_platform, expires_at=record.expires_at)


__all__ = [
    "BadInvitation", "Gone", "InvitationList", "InvitationOutcome", "InvitationRevoked", "InvitationRow",
    "Invitations", "Invited", "NoInvitation", "OpenInvitation", "SubmitOutcome", "clean_name", "invitation_url",
    "use_up",
]
