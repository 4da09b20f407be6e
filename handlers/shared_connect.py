"""Connect messages in shared channels (Slack Connect): people of the customer's organisation are
not members of the vendor's workspace and may not be able to open a DM with the bot.

Support, after `/nmbrs invite` in such a channel, posts a "Connect Nmbrs" message there for that
invitation; whoever presses it gets the credentials form privately. Where the platform will not open
the form for them, they get an invitation URL of their own, privately: one open invitation per
person and Connect message (pressing again gives it a new secret; the URL shown before stops
working), and none while that person's rejected attempts are used up. Nothing secret is ever
posted in the channel. Platform-neutral: bot.slack renders and posts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.intake import Intake, Limited, Via
from handlers.invitations import Invitations, Invited, clean_name
from handlers.model import Person
from handlers.staff import StaffDirectory
from storage import invitations as store
from storage.audit import audit
from storage.invitations import ForPerson
from storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MayPost:
    """Support may post the Connect message of this (live) invitation in this channel."""

    via: Via


@dataclass(frozen=True)
class NotStaff:
    """Only support staff post Connect messages."""


@dataclass(frozen=True)
class OfferGone:
    """The invitation behind the Connect message is revoked, expired or unknown."""

    invitation: str


class SharedConnect:
    """The use cases of Connect messages in shared channels. One per process."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], invitations: Invitations,
                 staff: StaffDirectory, intake: Intake) -> None:
        self.sessions = sessions
        self.invitations = invitations
        self.staff = staff
        self.intake = intake

    async def may_post(self, *, person: Person, via: Via) -> MayPost | NotStaff | OfferGone:
        """Checked when support presses "Post a Connect message" (the button's value is not trusted)."""
        staff = await self.staff.is_staff(person)
        async with self.sessions() as session, session.begin():
            live = staff and await self._live(session, via) is not None
            result = "ok" if live else "refused" if not staff else "failed"
            audit(session, platform=person.platform, team_id=person.team_id, actor=person.user_id,
                  action="invitation.connect_message", result=result,
                  detail={"invitation": via.invitation, "channel": via.channel})
        if not staff:
            return NotStaff()
        return MayPost(via) if live else OfferGone(via.invitation)

    async def pressed(self, via: Via) -> Via | OfferGone:
        """Someone pressed a Connect message: does its invitation still stand?"""
        async with self.sessions() as session:
            live = await self._live(session, via)
        return via if live is not None else OfferGone(via.invitation)

    async def private_invitation(self, *, person: Person, via: Via) -> Invited | Limited | OfferGone:
        """An invitation URL for this one person (the form could not be opened for them)."""
        limited = await self.intake.limited(person)
        if limited is not None:
            return limited
        who = ForPerson(platform=person.platform, team_id=person.team_id, user_id=person.user_id,
                        channel_id=via.channel, via_id=via.invitation_id)
        now = utcnow()
        async with self.sessions() as session, session.begin():
            if await self._live(session, via) is None:
                return OfferGone(via.invitation)
            record = await store.find_open_for(session, person=who, now=now)
            reused = record is not None
            if record is not None:
                secret = await store.rekey(session, record)
            else:
                new = await store.create(session, name=_name_of(person), email=None, ttl=self.invitations.ttl,
                                         platform=person.platform, team_id=person.team_id, user_id=person.user_id,
                                         for_person=who)
                record, secret = new.record, new.secret
            audit(session, platform=person.platform, team_id=person.team_id, actor=person.user_id,
                  action="invitation.create", detail={
                      "invitation": record.short_id, "for": person.user_id, "team": person.team_id,
                      "channel": via.channel, "via": via.invitation, "reused": reused,
                      "expires_at": record.expires_at.isoformat()})
        log.info("shared channel: invitation %s %s for a person from the Connect message of %s",
                 record.short_id, "re-keyed" if reused else "created", via.invitation)
        return Invited(short_id=record.short_id, url=self.invitations.url(secret), name=record.name, email=None,
                       expires_at=record.expires_at)

    @staticmethod
    async def _live(session: AsyncSession, via: Via) -> object | None:
        return await store.find_live(session, invitation_id=via.invitation_id, now=utcnow())


def _name_of(person: Person) -> str:
    """Who the invitation is for, as support will read it: their name and team (or their ids)."""
    for candidate in (f"{person.display_name} ({person.team_id})" if person.display_name else None,
                      f"{person.user_id} ({person.team_id})"):
        if candidate is None:
            continue
        try:
            return clean_name(candidate)[0]
        except ValueError:
            continue
    return person.user_id[:100]


__all__ = ["MayPost", "NotStaff", "OfferGone", "SharedConnect"]
