"""The re-check's values: its policy, what runs and checks report, and its expected failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeAlias

from handlers.model import LinkCard, Validation

#: Runs started by support (`/nmbrs check all`): their transient failures are not a night.
MANUAL_TRIGGERS = frozenset({"manual"})


@dataclass(frozen=True)
class RecheckPolicy:
    """The settings that shape the state machine and what people are told."""

    confirm_delay_s: float
    unverified_after: int
    notify_customers: bool
    digest: str
    """always, changes or off."""
    language: str = "nl"
    """For customers whose language is unknown (TOKENDESK_LANGUAGE)."""
    switch_off_share: float = 0.8
    """SOAP looks switched off when at least this share of a run's SOAP checks answered as a retired endpoint…"""
    switch_off_min: int = 10
    """…and the run made at least this many SOAP checks (fewer prove nothing; they stay ordinary failures)."""
    soap_until: date | None = None
    """TOKENDESK_NMBRS_SOAP_UNTIL: the migration tracker's reminders count down to it."""

    @classmethod
    def from_settings(cls, settings: Any) -> "RecheckPolicy":
        return cls(
            confirm_delay_s=settings.confirm_delay_s, unverified_after=settings.unverified_after,
            notify_customers=settings.notify_customers, digest=settings.digest, language=settings.language,
            soap_until=getattr(settings, "nmbrs_soap_until", None),
        )


#: The reason a link and its check record when the run found SOAP switched off (no state changes for it).
SOAP_SWITCHED_OFF = "soap_switched_off"


@dataclass(frozen=True)
class MigrationNumbers:
    """The SOAP → REST move in numbers, for the "SOAP looks switched off" alert (from the migration tracker)."""

    soap_links: int
    debtors_to_move: int
    debtors_covered: int
    """Debtors of SOAP links that a REST link covers (or that support marked not needed)."""
    days_left: int | None = None
    """Until TOKENDESK_NMBRS_SOAP_UNTIL; None when it is not set. Negative once it has passed."""

    def to_dict(self) -> dict[str, Any]:
        return {"soap_links": self.soap_links, "debtors_to_move": self.debtors_to_move,
                "debtors_covered": self.debtors_covered, "days_left": self.days_left}


MigrationSummary: TypeAlias = Callable[[], "MigrationNumbers | None | Awaitable[MigrationNumbers | None]"]
"""Asked once when the switch-off is reported; may be async (it reads the database). None: no tracker."""


@dataclass(frozen=True)
class RunProgress:
    done: int
    total: int


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    checked: int
    """Links checked in this run (confirming attempts not counted)."""
    counts: dict[str, int]
    """Links by state after the run."""
    changes: list[dict[str, Any]]
    """Transitions in this run and by single checks since the previous run."""
    failed: int
    """Links that could not be checked because of a fault on our side (decryption, unexpected)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    confirmations: int = 0
    broken: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    trigger: str = "schedule"
    resumed: bool = False
    soap: dict[str, Any] | None = None
    """The run's SOAP verdict: {"verdict": switched_off | answering | None, "checks": n, "signs": m}."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "trigger": self.trigger, "resumed": self.resumed,
            "started_at": iso(self.started_at), "finished_at": iso(self.finished_at),
            "checked": self.checked, "failed": self.failed, "confirmations": self.confirmations,
            "counts": self.counts, "outcomes": self.outcomes, "changes": self.changes,
            "broken": self.broken, "failures": self.failures, "soap": self.soap,
        }


@dataclass(frozen=True)
class CheckReport:
    link: LinkCard
    outcome: str
    """valid, rejected, unreachable, error (our side), skipped (holds no token) or stale (changed meanwhile)."""
    transition: str | None
    """activated, rejected, rotated, broken, restored, unverified, scope_changed, confirming, or None."""
    reason: str | None
    """Rejection category, unreachable cause or error reason."""
    fault_code: int | None = None
    confirm_due_at: datetime | None = None
    result: Validation | None = None


class RecheckBusy(Exception):
    """A run (or the scheduler's sweep) is going on already, here or in another replica."""

    def __init__(self, holder: str | None, expires_at: datetime | None = None) -> None:
        self.holder = holder
        self.expires_at = expires_at
        super().__init__(f"a check is already running ({holder or 'this process'})")


class LinkNotFound(LookupError):
    def __init__(self, link_id: int) -> None:
        self.link_id = link_id
        super().__init__(f"no link L{link_id}")


@dataclass(frozen=True)
class Failure:
    """A link that could not be asked about because of something on our side."""

    reason: str  # decryption, no_token, invalid_input, unexpected
    detail: str


Answer: TypeAlias = Validation | Failure


@dataclass(frozen=True)
class SweepReport:
    """What one scheduler tick did."""

    run: RunSummary | None = None
    confirmed: int = 0
    retried: int = 0


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
