"""What the migration tracker answers: a closed set of plain results that the adapters render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

from storage.migration import DebtorMove, LinkMove, Totals


@dataclass(frozen=True)
class MigrationOverview:
    """`/nmbrs migration`: the totals and the links with debtors still to move, worst first."""

    totals: Totals
    links: tuple[LinkMove, ...]
    more: int
    """Links with debtors to move that are not listed."""
    soap_until: date | None
    days_left: int | None


@dataclass(frozen=True)
class MigrationChecklist:
    """`/nmbrs migration <link>`: each debtor of one SOAP link and its state."""

    move: LinkMove


@dataclass(frozen=True)
class NotMigrating:
    """No SOAP link in use with that id (unknown, a REST link, revoked or rejected)."""

    link_id: int


@dataclass(frozen=True)
class NoDebtor:
    """The SOAP link reaches no debtor with that number."""

    link_id: int
    number: str


@dataclass(frozen=True)
class AlreadyDecided:
    """The debtor is covered or marked not needed already (or no longer to move)."""

    link_id: int
    debtor: DebtorMove


@dataclass(frozen=True)
class MarkedNotNeeded:
    link_id: int
    debtor: DebtorMove
    link_done: bool


@dataclass(frozen=True)
class MatchConfirmed:
    """Support confirmed that a REST link covers a SOAP debtor."""

    link_id: int
    debtor: DebtorMove
    rest_link_id: int
    link_done: bool


@dataclass(frozen=True)
class MatchGone:
    """The question is out of date: the REST link is gone, or the debtor left the SOAP link."""

    rest_link_id: int


@dataclass(frozen=True)
class MatchDeclined:
    """"None of these": the REST link covers none of the candidates; nothing recorded."""

    rest_link_id: int


@dataclass(frozen=True)
class InviteUnavailable:
    """REST consent is not configured: no invite possible, nothing sent."""


@dataclass(frozen=True)
class NothingToInvite:
    link_id: int


@dataclass(frozen=True)
class InviteTooSoon:
    """The link's customer was invited within TOKENDESK_MIGRATION_REMIND_DAYS."""

    link_id: int
    again_at: datetime


@dataclass(frozen=True)
class InviteSent:
    """The customer's message is queued on `platform` (delivered by the outbox)."""

    link_id: int
    platform: str
    debtors: int


@dataclass(frozen=True)
class WebDebtor:
    """One debtor's invitation URL for support to send (a web link: no chat reaches its customer)."""

    number: str | None
    name: str
    invitation: str
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class InviteWeb:
    link_id: int
    debtors: tuple[WebDebtor, ...]


@dataclass(frozen=True)
class InviteAllAsk:
    """`migration invite all`: the count first, and a confirmation button."""

    soap_links: int
    debtors: int


@dataclass(frozen=True)
class InvitesDone:
    """What `migration invite all` did once confirmed."""

    sent: tuple[InviteSent, ...]
    skipped: tuple[InviteTooSoon, ...]
    web: tuple[InviteWeb, ...]
    web_left: tuple[int, ...] = ()
    """Web links beyond what one answer lists: not invited, for support to invite one at a time."""


MigrationOutcome: TypeAlias = (
    MigrationOverview | MigrationChecklist | NotMigrating | NoDebtor | AlreadyDecided | MarkedNotNeeded
    | MatchConfirmed | MatchGone | MatchDeclined | InviteUnavailable | NothingToInvite | InviteTooSoon | InviteSent
    | InviteWeb | InviteAllAsk | InvitesDone
)
MIGRATION_OUTCOMES = (MigrationOverview, MigrationChecklist, NotMigrating, NoDebtor, AlreadyDecided, MarkedNotNeeded,
                      MatchConfirmed, MatchGone, MatchDeclined, InviteUnavailable, NothingToInvite, InviteTooSoon,
                      InviteSent, InviteWeb, InviteAllAsk, InvitesDone)
