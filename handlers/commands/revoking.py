"""The revoke buttons of `/nmbrs revoke`: confirm destroys the link's token at once; a REST link's
refresh token is queued sealed in the same transaction and revoked at Nmbrs right after the commit
(RFC 7009), or left queued for the retry worker when Nmbrs cannot be reached. Cancel changes nothing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from handlers.alerts import Outbox, queue
from handlers.commands.outcomes import AlreadyRevoked, NoLink, Outcome, Refused, RevokeCancelled, Revoked
from handlers.commands.table import allowed_commands
from handlers.model import Alert, AlertKind, LinkCard, Person
from storage import links as link_store
from storage import rest_links
from storage.audit import audit
from storage.cipher import DecryptionError
from storage.models import Link

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from handlers.revocations import Revocations
    from handlers.staff import StaffDirectory

log = logging.getLogger(__name__)


def actor_of(person: Person) -> dict[str, Any]:
    """Who did it, in an audit entry."""
    return {"platform": person.platform, "team_id": person.team_id, "actor": person.user_id}


def who_of(person: Person) -> dict[str, Any]:
    """Who did it, in an alert's details (the same keys intake uses)."""
    return {"by": person.user_id, "by_platform": person.platform, "by_team": person.team_id}


class RevokeButtons:
    """Part of handlers.commands.Commands: what its revoke question's two buttons do."""

    sessions: "async_sessionmaker[AsyncSession]"
    staff: "StaffDirectory"
    outbox: Outbox | None
    revocations: "Revocations | None"

    async def _refuse(self, person: Person, action: str, *, link_id: int | None = None,
                      detail: dict[str, Any] | None = None) -> None:
        raise NotImplementedError

    async def confirm_revoke(self, *, person: Person, link_id: int) -> Outcome:
        """The confirm button: authorised again, since a button click is a request of its own."""
        if not await self.staff.is_staff(person):
            await self._refuse(person, "command.revoke.confirm", link_id=link_id)
            return Refused(commands=allowed_commands(staff=False))
        queued: int | None = None
        async with self.sessions() as session, session.begin():
            link = await session.get(Link, link_id, with_for_update=True)
            if link is None:
                audit(session, **actor_of(person), action="command.revoke.confirm", result="failed",
                      detail={"link": f"L{link_id}"})
                return NoLink(link_id)
            previous = link.state
            if link.is_rest and link.token_ciphertext is not None and self.revocations is not None:
                # Queued before the token is destroyed, in the same commit: a crash after it leaves
                # the retry worker a token to revoke, never a live grant nobody knows of.
                queued = await self._queue_refresh(session, link, self.revocations)
            if not link_store.revoke(link):
                audit(session, **actor_of(person), action="command.revoke.confirm", link_id=link.id, result="failed",
                      detail={"problem": "already_revoked"})
                return AlreadyRevoked(LinkCard.of(link))
            entry = audit(session, **actor_of(person), action="command.revoke.confirm", link_id=link.id,
                          detail={"previous_state": previous, **({"kind": "rest"} if link.is_rest else {})})
            await session.flush()
            card = LinkCard.of(link)
            # Keyed by the audit entry: a link revoked, reconnected and revoked again is told twice.
            await queue(session, Alert(AlertKind.REVOKED, card, {**who_of(person), "previous_state": previous}),
                        key=f"link:{link.id}:revoked:{entry.id}")
        log.info("commands: link %s revoked", card.short_id)
        self._kick()
        at_nmbrs: bool | None = None
        if queued is not None and self.revocations is not None:
            at_nmbrs = await self.revocations.attempt(queued)
            log.info("commands: refresh token of %s %s", card.short_id,
                     "revoked at Nmbrs" if at_nmbrs else "queued for revocation at Nmbrs, will retry")
        return Revoked(card, at_nmbrs=at_nmbrs)

    async def _queue_refresh(self, session: "AsyncSession", link: Link, revocations: "Revocations") -> int | None:
        try:
            token = rest_links.open_refresh(link, revocations.cipher)
        except DecryptionError as exc:
            # Revoked here all the same; at Nmbrs the token simply expires (about 30 days).
            log.error("commands: the refresh token of %s cannot be decrypted, so it is not revoked at Nmbrs: %s",
                      link.short_id, exc)
            return None
        return await revocations.queue(session, link_id=link.id, refresh_token=token)

    async def cancel_revoke(self, *, person: Person, link_id: int) -> Outcome:
        if not await self.staff.is_staff(person):
            await self._refuse(person, "command.revoke.cancel", link_id=link_id)
            return Refused(commands=allowed_commands(staff=False))
        async with self.sessions() as session, session.begin():
            exists = await session.get(Link, link_id) is not None
            audit(session, **actor_of(person), action="command.revoke.cancel", link_id=link_id if exists else None,
                  detail={} if exists else {"link": f"L{link_id}"})
        return RevokeCancelled(link_id)

    def _kick(self) -> None:
        if self.outbox is not None:
            self.outbox.kick()
