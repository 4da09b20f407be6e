"""REST links in the store: their sealed refresh and access tokens, the per-link refresh lease,
storing a consent (a second one for the same debtor replaces the first; the old refresh token goes
to the revocation queue, storage.revocations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cipher import Sealed, TokenCipher, link_secret_row
from storage.links import StoredLink, set_state
from storage.models import Link, LinkKind, LinkState, utcnow
from storage.revocations import queue_revocation

REFRESH = "refresh"
ACCESS = "access"


def seal_refresh(link: Link, token: str, cipher: TokenCipher) -> None:
    if link.id is None:
        raise ValueError("seal_refresh needs a flushed link with an id")
    sealed = cipher.seal(token, row=link_secret_row(link.id, REFRESH))
    link.token_ciphertext, link.token_key_id, link.token_last4 = sealed.ciphertext, sealed.key_id, None


def open_refresh(link: Link, cipher: TokenCipher) -> str:
    if link.token_ciphertext is None or link.token_key_id is None:
        raise ValueError(f"link {link.short_id} holds no refresh token")
    return cipher.open(Sealed(link.token_key_id, link.token_ciphertext), row=link_secret_row(link.id, REFRESH),
                       label=f"link {link.short_id} (refresh token)")


def seal_access(link: Link, token: str, expires_at: datetime, cipher: TokenCipher) -> None:
    sealed = cipher.seal(token, row=link_secret_row(link.id, ACCESS))
    link.access_ciphertext, link.access_key_id, link.access_expires_at = sealed.ciphertext, sealed.key_id, expires_at


def open_access(link: Link, cipher: TokenCipher) -> str | None:
    if link.access_ciphertext is None or link.access_key_id is None:
        return None
    return cipher.open(Sealed(link.access_key_id, link.access_ciphertext), row=link_secret_row(link.id, ACCESS),
                       label=f"link {link.short_id} (access token)")


def drop_access(link: Link) -> None:
    link.access_ciphertext = link.access_key_id = link.access_expires_at = None


async def store_rest_link(
    session: AsyncSession,
    cipher: TokenCipher,
    *,
    debtor_id: str,
    debtor_number: str | None,
    debtor_name: str,
    user_email: str,
    rest_user_id: str,
    scopes: Sequence[str],
    refresh_token: str,
    access_token: str,
    access_expires_at: datetime,
    companies: list[dict[str, Any]],
    scope_digest: str | None,
    platform: str,
    team_id: str | None,
    user_id: str | None,
    now: datetime | None = None,
) -> StoredLink:
    """Store a consented REST link, active. A link for the same debtor gets the new consent (its
    id, thread and history kept) and its old refresh token is queued for revocation at Nmbrs."""
    now = now or utcnow()
    existing = await session.scalar(
        select(Link).where(Link.kind == LinkKind.REST, Link.debtor_id == debtor_id).with_for_update()
    )
    created = existing is None
    link = existing or Link(
        kind=LinkKind.REST, username=user_email.strip().lower(), environment=None, debtor_id=debtor_id,
        platform=platform, team_id=team_id, user_id=user_id, debtors=[], companies=[], failed_checks=0,
        created_at=now, state_changed_at=now, state=LinkState.ACTIVE,
    )
    if created:
        session.add(link)
        await session.flush()
    elif link.token_ciphertext is not None:
        old = open_refresh(link, cipher)
        await queue_revocation(session, cipher, link_id=link.id, refresh_token=old, now=now)
        old = ""
    replaced = not created and link.token_ciphertext is not None
    link.username = user_email.strip().lower()
    link.platform, link.team_id, link.user_id = platform, team_id, user_id
    link.rest_user_id, link.debtor_number, link.debtor_name = rest_user_id, debtor_number, debtor_name
    link.scopes = " ".join(scopes)
    seal_refresh(link, refresh_token, cipher)
    seal_access(link, access_token, access_expires_at, cipher)
    link.refreshed_at, link.refresh_started_at, link.refresh_lease_until = now, None, None
    link.debtors = [{"id": debtor_id, "number": debtor_number, "name": debtor_name}]
    link.companies = companies
    link.scope_digest = scope_digest
    set_state(link, LinkState.ACTIVE, at=now)
    link.confirm_due_at, link.failed_checks = None, 0
    link.last_fault_code = link.last_reason = None
    await session.flush()
    return StoredLink(link=link, created=created, token_replaced=replaced)


# --- the refresh lease ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    """What taking a link's refresh lease found. `busy_until`: another worker holds it."""

    link: Link | None
    busy_until: datetime | None = None
    fresh: bool = False
    """Another worker refreshed the link since `fresh_since`: its access token is used, no lease taken."""
    unsettled_since: datetime | None = None
    """A refresh started then and its answer never settled (lost or crashed): a token it rotated is
    unknown to us, so invalid_grant now means "lost on our side", not a withdrawn consent."""


async def lock_link(session: AsyncSession, link_id: int) -> Link | None:
    """The row, locked until commit (FOR UPDATE on PostgreSQL; SQLite's write lock, taken by a
    no-op write since its transactions start only at the first write), read again."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(update(Link).where(Link.id == link_id).values(failed_checks=Link.failed_checks)
                              .execution_options(synchronize_session=False))
    return await session.scalar(
        select(Link).where(Link.id == link_id).with_for_update().execution_options(populate_existing=True))


async def take_lease(
    session: AsyncSession, link_id: int, *, now: datetime, hold: timedelta, fresh_since: datetime | None = None,
    min_validity: timedelta = timedelta(minutes=5),
) -> Lease:
    """Under the row lock: mark the refresh as started (before it is sent) and hold the lease until
    now + hold, unless someone else holds it or already refreshed since `fresh_since` (its access
    token still valid for `min_validity`). The caller commits at once."""
    link = await lock_link(session, link_id)
    if link is None:
        return Lease(None)
    if link.refresh_lease_until is not None and link.refresh_lease_until > now:
        return Lease(link, busy_until=link.refresh_lease_until)
    if (fresh_since is not None and link.refreshed_at is not None and link.refreshed_at >= fresh_since
            and link.access_expires_at is not None and link.access_expires_at > now + min_validity):
        return Lease(link, fresh=True)
    unsettled = link.refresh_started_at
    link.refresh_started_at, link.refresh_lease_until = now, now + hold
    return Lease(link, unsettled_since=unsettled)


def settle(link: Link, *, mark: datetime | None) -> None:
    """End the lease. `mark`: the started mark to leave, None once no answer is unaccounted for
    (a refresh whose answer may have rotated the token unseen keeps its own or an older mark)."""
    link.refresh_lease_until = None
    link.refresh_started_at = mark
