"""What a `/nmbrs` command returns: a closed set of plain results that the adapters render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeAlias

from handlers.commands.parser import STATES
from handlers.commands.table import CommandSpec
from handlers.invitations import InvitationOutcome
from handlers.migration import MigrationOutcome
from handlers.model import LinkCard, Person
from handlers.offer import Offer
from storage.models import RecheckRun


@dataclass(frozen=True)
class Help:
    commands: tuple[CommandSpec, ...]
    staff: bool
    offer: Offer = Offer.SOAP
    """Which ways to connect the desk offers now (handlers.offer)."""
    soap_until: date | None = None


@dataclass(frozen=True)
class OpenConnect:
    """The adapter opens its credentials form."""


@dataclass(frozen=True)
class Unknown:
    word: str
    commands: tuple[CommandSpec, ...]
    """What the caller may use instead."""


@dataclass(frozen=True)
class Usage:
    spec: CommandSpec
    problem: str
    given: str | None = None
    limit: int | None = None
    states: tuple[str, ...] = STATES


@dataclass(frozen=True)
class Refused:
    """Not for this person. Says nothing about whether any link exists."""

    commands: tuple[CommandSpec, ...]


@dataclass(frozen=True)
class TokenInCommand:
    """Something in the command looked like an API token (issue 12 finding 8): the command did not
    run, nothing of it was stored, and the person is told (privately) to reset that token."""


@dataclass(frozen=True)
class NoLink:
    link_id: int

    @property
    def short_id(self) -> str:
        return f"L{self.link_id}"


@dataclass(frozen=True)
class Unavailable:
    """The command needs a part this process was started without (the re-check)."""

    what: str


@dataclass(frozen=True)
class LinkStatus:
    card: LinkCard
    created_at: datetime
    state_changed_at: datetime
    last_checked_at: datetime | None
    last_outcome: str | None
    last_reason: str | None
    last_fault_code: int | None


@dataclass(frozen=True)
class StatusResult:
    query: str | None
    links: tuple[LinkStatus, ...]
    more: int
    staff: bool


@dataclass(frozen=True)
class RunInfo:
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkList:
    state: str | None
    links: tuple[LinkCard, ...]
    more: int
    counts: dict[str, int]
    last_run: RunInfo | None


@dataclass(frozen=True)
class NotCheckable:
    """The link holds no token any more (revoked)."""

    card: LinkCard


@dataclass(frozen=True)
class CheckQueued:
    """Authorised; run it with Commands.run_check after acknowledging."""

    card: LinkCard
    person: Person


@dataclass(frozen=True)
class CheckAllQueued:
    total: int
    person: Person


@dataclass(frozen=True)
class Busy:
    """A check run is going on already (the nightly one, or someone's `check all`)."""


class CheckReportLike(Protocol):
    link: LinkCard
    outcome: str
    transition: str | None
    reason: str | None
    fault_code: int | None


class RunSummaryLike(Protocol):
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    checked: int
    counts: dict[str, int]
    changes: list[dict[str, Any]]
    failed: int


class RunProgressLike(Protocol):
    done: int
    total: int


ProgressCallback: TypeAlias = Callable[[Any], Awaitable[None]]


class Rechecker(Protocol):
    """What the commands need of handlers.recheck.Recheck."""

    async def check_one(self, link_id: int, *, trigger: str = ..., actor: Person | None = ...) -> Any: ...

    async def run(self, *, trigger: str = ..., progress: ProgressCallback | None = ...) -> Any: ...

    async def last_run(self) -> RecheckRun | None: ...


@dataclass(frozen=True)
class Checked:
    report: CheckReportLike


@dataclass(frozen=True)
class CheckedAll:
    summary: RunSummaryLike


@dataclass(frozen=True)
class CheckRow:
    checked_at: datetime
    trigger: str
    outcome: str
    reason: str | None
    fault_code: int | None
    latency_ms: int


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    platform: str
    actor: str
    action: str
    result: str


@dataclass(frozen=True)
class History:
    card: LinkCard
    checks: tuple[CheckRow, ...]
    more_checks: int
    audits: tuple[AuditRow, ...]
    more_audits: int


@dataclass(frozen=True)
class Labelled:
    card: LinkCard
    previous: str | None


@dataclass(frozen=True)
class RevokeAsk:
    """Confirm first: the adapter shows the link with a confirm and a cancel button."""

    card: LinkCard


@dataclass(frozen=True)
class Revoked:
    card: LinkCard
    at_nmbrs: bool | None = None
    """A REST link's refresh token: revoked at Nmbrs (True) or queued for retries (False); None for SOAP."""


@dataclass(frozen=True)
class AlreadyRevoked:
    card: LinkCard


@dataclass(frozen=True)
class RevokeCancelled:
    link_id: int


@dataclass(frozen=True)
class AlertRow:
    kind: str
    link_id: int | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class SupportSummary:
    """The support page: links by state, what happened lately, the last nightly run."""

    counts: dict[str, int]
    alerts: tuple[AlertRow, ...]
    audits: tuple[AuditRow, ...]
    last_run: RunInfo | None


Outcome: TypeAlias = (
    Help | OpenConnect | Unknown | Usage | Refused | TokenInCommand | NoLink | Unavailable | StatusResult | LinkList
    | NotCheckable | CheckQueued | CheckAllQueued | Checked | CheckedAll | Busy | History | Labelled | RevokeAsk
    | Revoked | AlreadyRevoked | RevokeCancelled | InvitationOutcome | MigrationOutcome
)
