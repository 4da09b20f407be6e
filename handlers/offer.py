"""Which ways to connect the desk offers: the one place that decides it.

SOAP only: REST is not configured (no "Connect with Nmbrs" button). Both: REST is configured and
SOAP has not been switched off. REST only: REST is configured and TOKENDESK_NMBRS_SOAP_UNTIL has
been reached (today >= that day, in UTC): only the consent button is offered, and credentials that
still come in are answered without being checked or stored. Existing SOAP links are not affected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from handlers.model import Alert, AlertKind
from storage.models import utcnow


class Offer(StrEnum):
    SOAP = "soap"
    REST = "rest"
    BOTH = "both"


def decide(*, rest: bool, soap_until: date | None, today: date) -> Offer:
    if not rest:
        return Offer.SOAP
    if soap_until is not None and today >= soap_until:
        return Offer.REST
    return Offer.BOTH


@dataclass(frozen=True)
class Offering:
    """Built once per process from the settings; asked each time something offers to connect."""

    rest: bool
    """REST consent is configured (the "Connect with Nmbrs" button can be made)."""
    soap_until: date | None = None
    clock: Callable[[], datetime] = utcnow

    def now(self) -> Offer:
        return decide(rest=self.rest, soap_until=self.soap_until, today=self.clock().date())

    def soap_closed(self) -> date | None:
        """The day SOAP intake stopped, when the desk is REST only now; None otherwise."""
        return self.soap_until if self.now() is Offer.REST else None

    def stop_passed_without_rest(self) -> bool:
        """The SOAP stop date has passed but REST is not configured: intake stays SOAP only."""
        return not self.rest and self.soap_until is not None and self.clock().date() >= self.soap_until


@dataclass(frozen=True)
class Consent:
    """A "Connect with Nmbrs" button to show: its URL (a fresh ticket), and whether it is the only
    way offered (REST only: no credentials form, no "Connect Nmbrs" button)."""

    url: str
    only: bool = False
    first: bool = False
    """Consent is the way back (a REST link's message, a consent that failed): its button comes first
    and is the primary one; the credentials form's button follows."""

    def for_alert(self, alert: Alert) -> "Consent":
        """This button as a customer alert shows it: first when the alert is about a REST link or a consent."""
        rest = alert.link is not None and alert.link.is_rest
        return replace(self, first=rest or alert.kind is AlertKind.CUSTOMER_CONSENT)
