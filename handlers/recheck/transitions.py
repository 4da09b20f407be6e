"""The link state machine of DESIGN.md as a pure function: what one check's outcome does to a link
(its state, its streak of unanswered nights, its pending confirmation) and which alerts it raises.

No I/O here: handlers.recheck.step applies a Decision to the locked row and writes the alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from handlers.model import AlertKind
from storage.models import CHECKED_STATES, LinkState


class Answer(StrEnum):
    """What Nmbrs (or our side) said about a link's token."""

    VALID = "valid"
    REJECTED = "rejected"
    """A definitive failure: the token, the user or its access is refused."""
    UNREACHABLE = "unreachable"
    """A transient failure: no verdict (timeout, outage, rate limit)."""
    UNEXPECTED = "unexpected"
    """A fault code outside the documented definitive ones: no verdict on the login, but worth one
    word to support (per link and code: the step keys the alert so)."""
    ERROR = "error"
    """A fault on our side (decryption, an unexpected exception): says nothing about the token."""
    SWITCHED_OFF = "switched_off"
    """No verdict, and the run found SOAP looks switched off (most of its SOAP checks answered as a retired
    endpoint would): nothing counts toward the unverified rule and nobody is told per link; the run tells
    support once (handlers.recheck.switchoff)."""
    NEW_TOKEN = "new_token"
    """Valid, for a pending link whose user and environment another link already has: the token
    moves onto that link, and the decision is about that (existing) link."""


@dataclass(frozen=True)
class LinkFacts:
    """What the state machine needs to know of a link, as found when its answer is applied."""

    state: LinkState
    failed_checks: int = 0
    """Nights in a row without a verdict."""
    confirm_due_at: datetime | None = None
    """Set while a definitive failure waits for its confirming attempt."""
    has_customer: bool = False
    """The link knows the chat user who sent the token (customer alerts need one)."""


@dataclass(frozen=True)
class Rules:
    trigger: str
    """recheck, confirm, retry, manual, …: who asked for this check."""
    counts_nights: bool
    """The run is a night for the unverified rule (support's `check all` is not)."""
    unverified_after: int
    confirm_delay: timedelta
    notify_customers: bool


@dataclass(frozen=True)
class Decision:
    state: LinkState
    transition: str | None
    """Recorded on the check: activated, rejected, rotated, broken, restored, unverified, scope_changed."""
    alerts: tuple[AlertKind, ...]
    """In the order they are to be raised (one link's alerts are delivered in order)."""
    failed_checks: int
    confirm_due_at: datetime | None
    confirming: bool = False
    """A definitive failure waits for its confirming attempt (reported as `confirming`)."""
    destroy_token: bool = False


_UNSETTLED = (LinkState.BROKEN, LinkState.UNVERIFIED)


def decide(link: LinkFacts, answer: Answer, *, rules: Rules, now: datetime, scope_changed: bool = False) -> Decision:
    """The link's next state and the alerts to raise. `scope_changed`: the debtors and companies
    the token reaches differ from what the last check recorded (valid answers only)."""
    if answer is Answer.NEW_TOKEN:
        return _new_token(link, scope_changed=scope_changed)
    unchanged = Decision(link.state, None, (), link.failed_checks, link.confirm_due_at)
    if link.state not in CHECKED_STATES or answer in (Answer.ERROR, Answer.SWITCHED_OFF):
        # Revoked and rejected links hold no token to check; our own faults prove nothing, and neither does
        # an API that is gone for everyone: the link keeps its state, streak, confirmation and credentials.
        return unchanged
    if answer is Answer.VALID:
        return _valid(link, scope_changed=scope_changed)
    if answer is Answer.REJECTED:
        return _rejected(link, rules=rules, now=now)
    if answer is Answer.UNEXPECTED:
        # The link keeps its state, streak and any waiting confirmation; its token stays served.
        return Decision(link.state, None, (AlertKind.UNVERIFIED,), link.failed_checks, link.confirm_due_at)
    return _unreachable(link, rules=rules, now=now)


def _valid(link: LinkFacts, *, scope_changed: bool) -> Decision:
    if link.state == LinkState.PENDING:
        alerts = (AlertKind.ACTIVATED, *_customer_result(link))
        return Decision(LinkState.ACTIVE, "activated", alerts, 0, None)
    restored = link.state in _UNSETTLED
    alerts = (*((AlertKind.RESTORED,) if restored else ()), *((AlertKind.SCOPE_CHANGED,) if scope_changed else ()))
    transition = "restored" if restored else "scope_changed" if scope_changed else None
    return Decision(LinkState.ACTIVE, transition, alerts, 0, None)


def _new_token(existing: LinkFacts, *, scope_changed: bool) -> Decision:
    was = existing.state
    alerts = [AlertKind.ACTIVATED, AlertKind.TOKEN_REPLACED]
    if was in _UNSETTLED:
        alerts.append(AlertKind.RESTORED)
    # A link that never worked, or was given up, had no scope anyone relied on.
    if scope_changed and was not in (LinkState.PENDING, LinkState.REVOKED, LinkState.REJECTED):
        alerts.append(AlertKind.SCOPE_CHANGED)
    alerts.extend(_customer_result(existing))
    return Decision(LinkState.ACTIVE, "rotated", tuple(alerts), 0, None)


def _rejected(link: LinkFacts, *, rules: Rules, now: datetime) -> Decision:
    if link.state == LinkState.PENDING:
        return Decision(LinkState.REJECTED, "rejected", tuple(_customer_result(link)), 0, None, destroy_token=True)
    if link.state == LinkState.BROKEN:
        return Decision(LinkState.BROKEN, None, (), 0, link.confirm_due_at)
    # Active or unverified: a definitive failure is believed only when one more attempt, after
    # the delay, says the same.
    first = link.confirm_due_at
    confirmed = first is not None and (rules.trigger == "confirm" or now >= first)
    if not confirmed:
        due = first if first is not None else now + rules.confirm_delay
        return Decision(link.state, None, (), 0, due, confirming=True)
    alerts = [AlertKind.BROKEN]
    if rules.notify_customers and link.has_customer:
        alerts.append(AlertKind.CUSTOMER_BROKEN)
    return Decision(LinkState.BROKEN, "broken", tuple(alerts), 0, None)


def _unreachable(link: LinkFacts, *, rules: Rules, now: datetime) -> Decision:
    due = link.confirm_due_at
    if rules.trigger == "confirm" and due is not None:
        # No verdict on the confirming attempt: ask again after another delay.
        due = now + rules.confirm_delay
    streak, state, transition = link.failed_checks, link.state, None
    if (rules.trigger == "recheck" and rules.counts_nights
            and link.state in (LinkState.ACTIVE, LinkState.UNVERIFIED, LinkState.PENDING)):
        streak += 1  # one per run: nights in a row
        if link.state == LinkState.ACTIVE and streak >= rules.unverified_after:
            state, transition = LinkState.UNVERIFIED, "unverified"
    alerts = (AlertKind.UNVERIFIED,) if transition else ()
    return Decision(state, transition, alerts, streak, due)


def _customer_result(link: LinkFacts) -> tuple[AlertKind, ...]:
    """The customer whose token was checked after an outage is told how it ended."""
    return (AlertKind.CUSTOMER_RESULT,) if link.has_customer else ()
