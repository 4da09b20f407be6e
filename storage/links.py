"""The link store: sealing tokens onto rows, finding links, rotation of tokens and revocation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cipher import Sealed, TokenCipher, link_row
from storage.models import CHECKED_STATES, Link, LinkKind, LinkState, utcnow

_SHORT_ID = re.compile(r"^[Ll]?(\d{1,9})$")


@dataclass(frozen=True)
class StoredLink:
    link: Link
    created: bool
    """False when an existing link for the same username and environment got the new token."""
    token_replaced: bool


def last4(token: str) -> str:
    return token[-4:]


def seal_onto(link: Link, token: str, cipher: TokenCipher) -> None:
    """Encrypt `token` bound to this link's id. The link must have been flushed (it needs an id)."""
    if link.id is None:
        raise ValueError("seal_onto needs a flushed link with an id")
    sealed = cipher.seal(token, row=link_row(link.id))
    link.token_ciphertext = sealed.ciphertext
    link.token_key_id = sealed.key_id
    link.token_last4 = last4(token)


def open_token(link: Link, cipher: TokenCipher) -> str:
    """The link's token in clear, for the moment it is needed; raises DecryptionError."""
    if link.token_ciphertext is None or link.token_key_id is None:
        raise ValueError(f"link {link.short_id} holds no token")
    return cipher.open(
        Sealed(link.token_key_id, link.token_ciphertext), row=link_row(link.id), label=f"link {link.short_id}"
    )


async def store_credentials(
    session: AsyncSession,
    cipher: TokenCipher,
    *,
    username: str,
    token: str,
    environment: str | None,
    state: LinkState,
    platform: str,
    team_id: str | None,
    user_id: str | None,
    debtors: list[dict[str, Any]] | None = None,
    companies: list[dict[str, Any]] | None = None,
    scope_digest: str | None = None,
) -> StoredLink:
    """Create a link, or give an existing one (same username and environment) the new token.

    Replacing keeps the link's id, history and support thread: a rotated token is the same link.
    """
    username = username.strip().lower()
    existing = None
    if environment is not None:
        existing = await session.scalar(
            select(Link).where(Link.kind == LinkKind.SOAP, Link.username == username,
                               Link.environment == environment).with_for_update()
        )
    else:
        # Nmbrs did not tell us the environment: reuse a pending link of the same sender and login.
        existing = await session.scalar(
            select(Link).where(
                Link.kind == LinkKind.SOAP,
                Link.username == username,
                Link.environment.is_(None),
                Link.platform == platform,
                Link.user_id == user_id,
            )
        )
    now = utcnow()
    if existing is not None:
        link, created = existing, False
    else:
        link = Link(
            username=username, environment=environment, platform=platform, team_id=team_id, user_id=user_id,
            debtors=[], companies=[], failed_checks=0, created_at=now, state_changed_at=now,
        )
        created = await _created(session, link)
        if not created:
            found = await session.scalar(select(Link).where(
                Link.kind == LinkKind.SOAP, Link.username == username, Link.environment == environment,
            ).with_for_update())
            assert found is not None  # the row whose unique key stopped our insert
            link = found
    replaced = not created and link.token_last4 is not None and link.token_ciphertext is not None
    if not created:
        link.platform, link.team_id, link.user_id = platform, team_id, user_id
    seal_onto(link, token, cipher)
    if link.state != state:
        link.state = state
        link.state_changed_at = now
    if debtors is not None:
        link.debtors = debtors
    if companies is not None:
        link.companies = companies
    if scope_digest is not None:
        link.scope_digest = scope_digest
    link.confirm_due_at = None
    link.failed_checks = 0
    await session.flush()
    return StoredLink(link=link, created=created, token_replaced=replaced)


async def _created(session: AsyncSession, link: Link) -> bool:
    """Insert a new link; False when another intake of the same login and environment committed
    it first (two people sending one login at once): the caller then gives that link the token, as a
    rotation, instead of failing on the unique key. A savepoint keeps the rest of the transaction."""
    try:
        async with session.begin_nested():
            session.add(link)
            await session.flush()
    except IntegrityError:
        if link.environment is None:
            raise
        return False
    return True


def parse_short_id(text: str) -> int | None:
    match = _SHORT_ID.match(text.strip())
    return int(match.group(1)) if match else None


async def get_link(session: AsyncSession, ref: str | int) -> Link | None:
    link_id = ref if isinstance(ref, int) else parse_short_id(ref)
    return None if link_id is None else await session.get(Link, link_id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_query(query: str | None = None, *, state: str | None = None, user_id: str | None = None) -> Select[tuple[Link]]:
    """Links matching a free query on link id, username, environment or label."""
    statement = select(Link).order_by(Link.id)
    if state:
        statement = statement.where(Link.state == state)
    if user_id is not None:
        statement = statement.where(Link.user_id == user_id)
    if query and query.strip():
        text = query.strip()
        link_id = parse_short_id(text)
        pattern = f"%{_escape_like(text.lower())}%"
        conditions = [
            func.lower(Link.username).like(pattern, escape="\\"),
            func.lower(Link.environment).like(pattern, escape="\\"),
            func.lower(Link.label).like(pattern, escape="\\"),
        ]
        if link_id is not None:
            conditions.append(Link.id == link_id)
        statement = statement.where(or_(*conditions))
    return statement


async def find_links(
    session: AsyncSession, query: str | None = None, *, state: str | None = None,
    user_id: str | None = None, limit: int = 200,
) -> Sequence[Link]:
    return (await session.scalars(search_query(query, state=state, user_id=user_id).limit(limit))).all()


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Link.state, func.count()).group_by(Link.state))
    counts = {state.value: 0 for state in LinkState}
    counts.update({state: n for state, n in rows.all()})
    return counts


def set_state(link: Link, state: LinkState, *, at: datetime | None = None) -> bool:
    """Move a link to `state`; returns whether it changed."""
    if link.state == state:
        return False
    link.state = state
    link.state_changed_at = at or utcnow()
    return True


def revoke(link: Link) -> bool:
    """Destroy the token and mark the link revoked; returns False when it already was."""
    already = link.state == LinkState.REVOKED and link.token_ciphertext is None
    link.token_ciphertext = None
    link.token_key_id = None
    # A REST link's access token goes too (tokens already handed out live until they expire).
    link.access_ciphertext = link.access_key_id = link.access_expires_at = None
    link.confirm_due_at = None
    set_state(link, LinkState.REVOKED)
    return not already


# --- what the re-check works on ------------------------------------------------------------------

#: The links the re-check asks about: in a checked state and still holding a token.
HOLDS_TOKEN = (Link.state.in_([s.value for s in CHECKED_STATES]), Link.token_ciphertext.is_not(None))


async def count_holding_token(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Link).where(*HOLDS_TOKEN)) or 0


async def load_checkable(session: AsyncSession, *, ids: Sequence[int]) -> Sequence[Link]:
    """Those of `ids` that still hold a token (revoked or deleted meanwhile are left out)."""
    return (await session.scalars(select(Link).where(Link.id.in_(list(ids)), *HOLDS_TOKEN).order_by(Link.id))).all()


async def confirmations_due(session: AsyncSession, *, now: datetime) -> Sequence[int]:
    return (await session.scalars(
        select(Link.id).where(*HOLDS_TOKEN, Link.confirm_due_at <= now).order_by(Link.id)
    )).all()


async def confirmations_waiting(session: AsyncSession) -> Sequence[Any]:
    """(id, confirm_due_at) of every definitive failure waiting for its confirming attempt, soonest first."""
    return (await session.execute(
        select(Link.id, Link.confirm_due_at)
        .where(*HOLDS_TOKEN, Link.confirm_due_at.is_not(None))
        .order_by(Link.confirm_due_at, Link.id)
    )).all()


async def pending_to_retry(session: AsyncSession, *, checked_before: datetime) -> Sequence[int]:
    """Pending links never checked, or last checked before `checked_before`."""
    return (await session.scalars(
        select(Link.id).where(
            *HOLDS_TOKEN, Link.state == LinkState.PENDING,
            (Link.last_checked_at.is_(None)) | (Link.last_checked_at <= checked_before),
        ).order_by(Link.id)
    )).all()


async def lock_for_check(session: AsyncSession, *, link_id: int) -> Link | None:
    """The link's current row, locked until commit: a transition happens once even when a run
    and a single check (or two replicas) race. On SQLite a no-op write takes the write lock
    before the read, since SQLite transactions start only at the first write."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(Link).where(Link.id == link_id).values(failed_checks=Link.failed_checks)
            .execution_options(synchronize_session=False)
        )
    return await session.scalar(
        select(Link).where(Link.id == link_id).with_for_update().execution_options(populate_existing=True)
    )


async def lock_same_account(
    session: AsyncSession, *, username: str, environment: str, other_than: int
) -> Link | None:
    """Another link of the same Nmbrs user and environment, locked (a new token replaces its token)."""
    return await session.scalar(
        select(Link).where(
            Link.kind == LinkKind.SOAP, Link.username == username, Link.environment == environment,
            Link.id != other_than,
        ).with_for_update()
    )


async def broken(session: AsyncSession) -> Sequence[Any]:
    """The broken links, longest broken first, with what the digest says of each."""
    return (await session.execute(
        select(Link.id, Link.username, Link.environment, Link.last_reason, Link.last_fault_code,
               Link.state_changed_at, Link.token_last4, Link.kind)
        .where(Link.state == LinkState.BROKEN).order_by(Link.state_changed_at, Link.id)
    )).all()


async def search(
    session: AsyncSession, *, query: str | None, owner: tuple[str, str | None, str | None] | None = None,
    limit: int,
) -> tuple[Sequence[Link], int]:
    """Up to `limit` links matching `query` (only those of `owner`, a (platform, team, user), when
    given) and how many match in all; counted separately only when there are more."""
    statement = search_query(query)
    if owner is not None:
        platform, team_id, user_id = owner
        statement = statement.where(Link.platform == platform, Link.team_id == team_id, Link.user_id == user_id)
    found = (await session.scalars(statement.limit(limit + 1))).all()
    total = len(found)
    if total > limit:
        total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return found[:limit], total


async def page(
    session: AsyncSession, *, after: int | None, limit: int, state: str | None = None,
    environment: str | None = None, updated_since: datetime | None = None,
) -> list[Link]:
    """Links by id after `after`, filtered; one more than `limit`, so the caller knows more follow."""
    statement = select(Link).order_by(Link.id).limit(limit + 1)
    if state is not None:
        statement = statement.where(Link.state == state)
    if environment is not None:
        statement = statement.where(func.lower(Link.environment) == environment.strip().lower())
    if updated_since is not None:
        statement = statement.where(Link.updated_at >= updated_since)
    if after is not None:
        statement = statement.where(Link.id > after)
    return list((await session.scalars(statement)).all())


async def find_account(session: AsyncSession, *, username: str, environment: str) -> Link | None:
    """The link of this Nmbrs user in this environment, if there is one."""
    return await session.scalar(select(Link).where(Link.kind == LinkKind.SOAP, Link.username == username,
                                                   Link.environment == environment))
