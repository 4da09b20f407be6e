"""The SOAP → REST migration in the store: for each SOAP link still in use, each debtor it reaches now
(its `debtors`) and whether that debtor is to move, covered by a REST link, or not needed.

A debtor without a row is to move; a row whose debtor left the SOAP link no longer counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CHECKED_STATES, Link, LinkKind, MigrationDebtor, MoveState
from storage.upsert import insert_ignoring_conflict


@dataclass(frozen=True)
class DebtorMove:
    """One debtor of one SOAP link and how far its move is."""

    debtor_id: int
    number: str | None
    name: str
    state: MoveState
    rest_link_id: int | None = None
    matched_by: str | None = None
    matched_at: datetime | None = None


@dataclass(frozen=True)
class LinkMove:
    """A SOAP link and its debtors, in the order the link lists them."""

    link_id: int
    username: str
    environment: str | None
    label: str | None
    state: str
    debtors: tuple[DebtorMove, ...]

    @property
    def short_id(self) -> str:
        return f"L{self.link_id}"

    def count(self, state: MoveState) -> int:
        return sum(1 for debtor in self.debtors if debtor.state is state)

    @property
    def to_move(self) -> int:
        return self.count(MoveState.TO_MOVE)

    @property
    def done(self) -> bool:
        """Every debtor covered or not needed (a link that reaches no debtor has nothing to move)."""
        return self.to_move == 0

    def debtor(self, debtor_id: int) -> DebtorMove | None:
        return next((d for d in self.debtors if d.debtor_id == debtor_id), None)


@dataclass(frozen=True)
class Totals:
    soap_links: int
    debtors: int
    to_move: int
    covered: int
    not_needed: int
    links_to_move: int


def normalise(text: object) -> str:
    """Numbers and names compare stripped, with inner spaces collapsed, case-insensitively."""
    return " ".join(str(text or "").split()).casefold()


def soap_debtor_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _number(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _move_of(link: Link, rows: dict[int, MigrationDebtor]) -> LinkMove:
    debtors: list[DebtorMove] = []
    for item in link.debtors or []:
        debtor_id = soap_debtor_id(item.get("id"))
        if debtor_id is None:
            continue
        row = rows.get(debtor_id)
        number, name = _number(item.get("number")), str(item.get("name") or "")
        if row is None:
            debtors.append(DebtorMove(debtor_id, number, name, MoveState.TO_MOVE))
        else:
            debtors.append(DebtorMove(debtor_id, number, name, MoveState(row.state), row.rest_link_id,
                                      row.matched_by, row.matched_at))
    return LinkMove(link_id=link.id, username=link.username, environment=link.environment, label=link.label,
                    state=str(link.state), debtors=tuple(debtors))


def _in_scope() -> Any:
    """SOAP links still in use: the ones re-checked every night (not revoked, not rejected)."""
    return select(Link).where(Link.kind == LinkKind.SOAP, Link.state.in_([str(s) for s in CHECKED_STATES]))


async def _rows(session: AsyncSession, link_ids: Sequence[int]) -> dict[int, dict[int, MigrationDebtor]]:
    found: dict[int, dict[int, MigrationDebtor]] = {}
    if not link_ids:
        return found
    query = select(MigrationDebtor).where(MigrationDebtor.soap_link_id.in_(list(link_ids)))
    for row in (await session.scalars(query)).all():
        found.setdefault(row.soap_link_id, {})[row.debtor_id] = row
    return found


async def link_moves(session: AsyncSession) -> list[LinkMove]:
    """Every SOAP link in use with its debtors' moves, by link id."""
    links = (await session.scalars(_in_scope().order_by(Link.id))).all()
    rows = await _rows(session, [link.id for link in links])
    return [_move_of(link, rows.get(link.id, {})) for link in links]


async def link_move(session: AsyncSession, link_id: int) -> LinkMove | None:
    """One SOAP link in use, or None (unknown, REST, revoked or rejected)."""
    link = await session.scalar(_in_scope().where(Link.id == link_id))
    if link is None:
        return None
    rows = await _rows(session, [link.id])
    return _move_of(link, rows.get(link.id, {}))


def totals(moves: Iterable[LinkMove]) -> Totals:
    moves = list(moves)
    count = lambda state: sum(move.count(state) for move in moves)  # noqa: E731 - three uses, here
    return Totals(soap_links=len(moves), debtors=sum(len(move.debtors) for move in moves),
                  to_move=count(MoveState.TO_MOVE), covered=count(MoveState.COVERED),
                  not_needed=count(MoveState.NOT_NEEDED), links_to_move=sum(1 for m in moves if not m.done))


def worst_first(moves: Iterable[LinkMove]) -> list[LinkMove]:
    """The links with debtors still to move, most to move first (then the oldest link)."""
    return sorted((move for move in moves if not move.done), key=lambda move: (-move.to_move, move.link_id))


async def candidates(
    session: AsyncSession, *, number: str | None, name: str | None, exclude: tuple[int, int] | None = None,
) -> list[tuple[LinkMove, DebtorMove]]:
    """SOAP debtors still to move whose number or name equals the given one (normalised); those with
    both equal first. `exclude`: a (link id, debtor id) already ruled out."""
    want_number, want_name = normalise(number), normalise(name)
    found: list[tuple[int, LinkMove, DebtorMove]] = []
    for move in await link_moves(session):
        for debtor in move.debtors:
            if debtor.state is not MoveState.TO_MOVE or (move.link_id, debtor.debtor_id) == exclude:
                continue
            same_number = bool(want_number) and normalise(debtor.number) == want_number
            same_name = bool(want_name) and normalise(debtor.name) == want_name
            if same_number or same_name:
                found.append((0 if same_number and same_name else 1, move, debtor))
    found.sort(key=lambda item: (item[0], item[1].link_id, item[2].debtor_id))
    return [(move, debtor) for _, move, debtor in found]


async def record(
    session: AsyncSession, *, soap_link_id: int, debtor_id: int, state: MoveState, matched_by: str,
    rest_link_id: int | None = None, now: datetime,
) -> bool:
    """Record a debtor as covered or not needed unless it was decided already; True when this did."""
    if state is MoveState.TO_MOVE:
        raise ValueError("to move is the absence of a record")
    return await insert_ignoring_conflict(
        session, MigrationDebtor,
        values={"soap_link_id": soap_link_id, "debtor_id": debtor_id, "state": str(state),
                "rest_link_id": rest_link_id, "matched_by": matched_by[:200], "matched_at": now},
        index_elements=["soap_link_id", "debtor_id"],
    )


async def covered_by(session: AsyncSession, rest_link_id: int) -> list[MigrationDebtor]:
    """The SOAP debtors a REST link covers."""
    query = select(MigrationDebtor).where(MigrationDebtor.rest_link_id == rest_link_id,
                                          MigrationDebtor.state == str(MoveState.COVERED))
    return list((await session.scalars(query)).all())
