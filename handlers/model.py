"""The domain as plain values: people, links, alerts, and what a credential check against Nmbrs returns.

Frozen values, safe to log, store and print: none shows a token (`SoapLogin` holds one, never in repr).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Mapping, TypeAlias

from storage.models import Link


@dataclass(frozen=True)
class Person:
    """Someone on a chat platform, as the adapter saw them on this request."""

    platform: str
    team_id: str
    user_id: str
    lang: str = "nl"
    """nl or en: from the user's locale, else TOKENDESK_LANGUAGE."""
    home_team: bool = True
    """False for guests from another organisation (Slack Connect): never support staff."""
    display_name: str | None = field(default=None, compare=False)


class RejectionCategory(StrEnum):
    """Why Nmbrs said no, grouped by what the customer has to do about it."""

    CREDENTIALS = "credentials"  # 1001: wrong, reset or deleted login/token
    RIGHTS = "rights"  # 1002, 1003: template or filter blocks a call
    SUBSCRIPTION = "subscription"  # 1004: no valid Nmbrs subscription
    OTHER = "other"  # any other Nmbrs code: unexpected, never breaks a link (see `unexpected`)
    CONSENT = "consent"  # REST: invalid_grant or 401 after a fresh refresh: consent withdrawn or expired
    LOST = "lost"  # REST: a refresh whose answer we lost rotated the token: lost on our side


class UnreachableCause(StrEnum):
    """Why no verdict about the token could be had; none of these says the token is bad."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_ERROR = "http_error"  # 5xx (or 408/429) without a SOAP fault
    HTML = "html"  # an HTML page where a SOAP envelope was expected (maintenance, proxy)
    MALFORMED = "malformed"  # not well-formed XML, or not the envelope we expect
    NMBRS_ERROR = "nmbrs_error"  # Nmbrs fault 9999 / 1006, or a server fault without a code
    MISCONFIGURED = "misconfigured"  # our side: soap:Client fault, a redirect or 4xx from a wrong URL, ...
    SERVICE_GONE = "service_gone"
    """The SOAP endpoint answers as a switched-off service would: HTTP 404/410, connection refused
    by the host, or a fault saying the service is retired. One such answer proves nothing (a wrong
    URL looks the same); most SOAP checks of a run answering so is "SOAP looks switched off"."""


@dataclass(frozen=True, slots=True)
class Debtor:
    """A debtor (an employer administration under an accountant) the login can see."""

    id: int | str  # SOAP: a number; REST: a UUID
    number: int | str | None
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "name": self.name}


@dataclass(frozen=True, slots=True)
class Company:
    """A company the login can see; `debtor_id` is None when it was not looked up."""

    id: int | str
    number: int | str | None
    name: str
    debtor_id: int | str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "name": self.name,
            "debtor_id": self.debtor_id,
        }


@dataclass(frozen=True, slots=True)
class Valid:
    """Nmbrs accepted the credentials; this is what they reach."""

    username: str
    environment: str
    debtors: tuple[Debtor, ...]
    companies: tuple[Company, ...]
    latency_s: float

    @property
    def outcome(self) -> Literal["valid"]:
        return "valid"

    @property
    def reaches_nothing(self) -> bool:
        """A login whose company filter is empty works, but the integration can do nothing with it."""
        return not self.companies

    @property
    def scope_digest(self) -> str:
        """A stable fingerprint of what the login reaches, to notice scope changes between checks.

        Ids and names only: `debtor_id` is filled only when cheap to look up, so it must not
        make the digest flip when the number of debtors crosses that threshold.
        """
        scope = {
            "debtors": sorted([d.id, d.name] for d in self.debtors),
            "companies": sorted([c.id, c.name] for c in self.companies),
        }
        canonical = json.dumps(scope, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "username": self.username,
            "environment": self.environment,
            "debtors": [d.to_dict() for d in self.debtors],
            "companies": [c.to_dict() for c in self.companies],
            "reaches_nothing": self.reaches_nothing,
            "scope_digest": self.scope_digest,
            "latency_s": round(self.latency_s, 3),
        }


@dataclass(frozen=True, slots=True)
class Rejected:
    """Nmbrs answered with a fault that says something definitive about the credentials."""

    code: int | None
    category: RejectionCategory
    message: str
    latency_s: float
    operation: str | None = None  # e.g. "CompanyService.List_GetAll": which call was refused

    @property
    def outcome(self) -> Literal["rejected"]:
        return "rejected"

    @property
    def unexpected(self) -> bool:
        """A code outside 1001-1004: no verdict on the login, so a link keeps its state."""
        return self.category is RejectionCategory.OTHER

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "code": self.code,
            "category": self.category.value,
            "message": self.message,
            "operation": self.operation,
            "latency_s": round(self.latency_s, 3),
        }


@dataclass(frozen=True, slots=True)
class Unreachable:
    """No verdict: Nmbrs could not be asked, or its answer could not be understood."""

    cause: UnreachableCause
    detail: str
    latency_s: float
    code: int | None = None
    operation: str | None = None
    retry_after_s: float | None = None
    """The server's own retry delay (REST 429 / 42909 Retry-After), when it gave one."""
    maybe_delivered: bool = False
    """REST refresh: the request may have reached Nmbrs (read timeout, cut answer), so the refresh
    token may have rotated without us seeing the new one."""

    @property
    def outcome(self) -> Literal["unreachable"]:
        return "unreachable"

    @property
    def transient(self) -> bool:
        """Worth trying again later by itself; a misconfiguration needs a person first."""
        return self.cause is not UnreachableCause.MISCONFIGURED

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "cause": self.cause.value,
            "detail": self.detail,
            "code": self.code,
            "operation": self.operation,
            "latency_s": round(self.latency_s, 3),
        }


Validation: TypeAlias = Valid | Rejected | Unreachable

InvalidInputReason: TypeAlias = Literal[
    "empty_username",
    "bad_username",
    "empty_token",
    "token_has_spaces",
    "token_too_long",
    "token_bad_characters",
]


class InvalidInput(ValueError):
    """The credentials were refused locally, before any call to Nmbrs.

    The message never quotes the token (nor the username): it is shown to people and logged.
    """

    def __init__(self, reason: InvalidInputReason, message: str) -> None:
        super().__init__(message)
        self.reason: InvalidInputReason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"InvalidInput(reason={self.reason!r}, message={self.message!r})"


NmbrsKind: TypeAlias = Literal["soap", "rest"]
"""Which Nmbrs API a link goes through: the SOAP login e-mail + token, or a REST (OAuth) consent."""


@dataclass(frozen=True, slots=True)
class SoapLogin:
    """The credentials of a SOAP link: the login e-mail and its API token (never in repr)."""

    username: str
    token: str = field(repr=False)

    @property
    def kind(self) -> Literal["soap"]:
        return "soap"


#: What a link holds to reach Nmbrs (REST links go through handlers.ports.NmbrsRest instead).
Credentials: TypeAlias = SoapLogin


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """What Nmbrs' token endpoint gave: tokens never in repr. `refresh_token` None: keep the old
    one (RFC 6749 §6); `scopes` None: every requested scope was granted (§5.1)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in_s: int
    scopes: tuple[str, ...] | None
    latency_s: float = 0.0


@dataclass(frozen=True, slots=True)
class RestUser:
    """Who consented (from GET /api/user/info)."""

    user_id: str
    email: str
    name: str
    debtor_id: str


@dataclass(frozen=True, slots=True)
class RestView:
    """What one access token reaches: the consenting user, their debtor and its companies."""

    user: RestUser
    debtor: Debtor
    companies: tuple[Company, ...]
    latency_s: float

    def as_valid(self) -> Valid:
        return Valid(username=self.user.email.strip().lower(), environment=str(self.debtor.id),
                     debtors=(self.debtor,), companies=self.companies, latency_s=self.latency_s)


RestAnswer: TypeAlias = RestView | Rejected | Unreachable
TokenResult: TypeAlias = TokenAnswer | Rejected | Unreachable


#: How many named debtors/companies an alert carries; the rest are counted.
NAMED_SCOPE = 10


class AlertKind(StrEnum):
    ACTIVATED = "activated"  # support: parent message of the link's thread
    TOKEN_REPLACED = "token_replaced"  # support thread: same login and environment, new token
    BROKEN = "broken"  # support thread, broadcast to the channel
    RESTORED = "restored"  # support thread
    SCOPE_CHANGED = "scope_changed"  # support thread
    UNVERIFIED = "unverified"  # support thread: could not be checked for N nights
    REVOKED = "revoked"  # support thread
    LABELLED = "labelled"  # support thread
    INVITED = "invited"  # support thread: the link came from an invitation page (which, whose, e-mail)
    REVOCATION_DONE = "revocation_done"  # support thread: a queued refresh token was revoked at Nmbrs after all
    REVOCATION_GIVEN_UP = "revocation_given_up"  # support thread: ... could not be, in 30 days; destroyed
    CUSTOMER_STUCK = "customer_stuck"  # support channel: 3 rejected attempts in a day
    CUSTOMER_BROKEN = "customer_broken"  # customer DM: your link broke, reconnect
    CUSTOMER_RESULT = "customer_result"  # customer DM: the outcome of a check that was pending
    CUSTOMER_CONSENT = "customer_consent"  # customer DM: what came of a consent on Nmbrs' page
    CUSTOMER_MIGRATION = "customer_migration"  # customer DM: move your debtors to REST, one button each
    DIGEST = "digest"  # support channel: nightly summary
    SOAP_SWITCHED_OFF = "soap_switched_off"  # support channel: most SOAP checks of a run answered as a retired API
    SOAP_ANSWERING = "soap_answering"  # support channel: after that, SOAP answers again
    DEBTOR_MIGRATED = "debtor_migrated"  # SOAP link's thread: a REST link covers one of its debtors
    LINK_MIGRATED = "link_migrated"  # SOAP link's thread: nothing left to move; revoke the SOAP token? (button)
    MIGRATION_MATCH = "migration_match"  # support channel: which SOAP debtor does a new REST link cover? (buttons)
    MIGRATION_REMINDER = "migration_reminder"  # support channel: N days left until SOAP stops
    # SOAP link's thread: the customer's migration invite was refused for good; its invitation URLs to forward
    MIGRATION_UNDELIVERED = "migration_undelivered"


#: Alerts that go to the customer rather than to support.
CUSTOMER_KINDS = frozenset({AlertKind.CUSTOMER_BROKEN, AlertKind.CUSTOMER_RESULT, AlertKind.CUSTOMER_CONSENT,
                            AlertKind.CUSTOMER_MIGRATION})


@dataclass(frozen=True)
class LinkCard:
    """A snapshot of a link for messages: everything people may see, never the token (only its end)."""

    id: int
    username: str
    environment: str | None
    state: str
    token_last4: str | None
    label: str | None
    platform: str
    team_id: str | None
    user_id: str | None
    debtor_count: int
    company_count: int
    debtor_names: tuple[str, ...] = ()
    company_names: tuple[str, ...] = ()
    kind: str = "soap"
    """soap or rest; the fields below are REST's (the consenting user is `username`)."""
    debtor_name: str | None = None
    scopes: tuple[str, ...] = ()
    access_expires_at: datetime | None = None

    @property
    def short_id(self) -> str:
        return f"L{self.id}"

    @property
    def is_rest(self) -> bool:
        return self.kind == "rest"

    @classmethod
    def of(cls, link: Link) -> "LinkCard":
        debtors, companies = link.debtors or [], link.companies or []
        return cls(
            id=link.id, username=link.username, environment=link.environment, state=link.state,
            token_last4=link.token_last4, label=link.label, platform=link.platform, team_id=link.team_id,
            user_id=link.user_id, debtor_count=len(debtors), company_count=len(companies),
            debtor_names=tuple(str(d.get("name", "")) for d in debtors[:NAMED_SCOPE]),
            company_names=tuple(str(c.get("name", "")) for c in companies[:NAMED_SCOPE]),
            kind=link.kind or "soap", debtor_name=link.debtor_name, scopes=tuple((link.scopes or "").split()),
            access_expires_at=link.access_expires_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "username": self.username, "environment": self.environment, "state": self.state,
            "token_last4": self.token_last4, "label": self.label, "platform": self.platform,
            "team_id": self.team_id, "user_id": self.user_id, "debtor_count": self.debtor_count,
            "company_count": self.company_count, "debtor_names": list(self.debtor_names),
            "company_names": list(self.company_names), **self._rest_dict(),
        }

    def _rest_dict(self) -> dict[str, Any]:
        # SOAP cards serialise as before (stored alerts and digests stay byte-identical).
        if not self.is_rest:
            return {}
        return {"kind": self.kind, "debtor_name": self.debtor_name, "scopes": list(self.scopes),
                "access_expires_at": self.access_expires_at.isoformat() if self.access_expires_at else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LinkCard":
        values = dict(data)
        values["debtor_names"] = tuple(values.get("debtor_names", ()))
        values["company_names"] = tuple(values.get("company_names", ()))
        values["scopes"] = tuple(values.get("scopes", ()))
        expires = values.get("access_expires_at")
        values["access_expires_at"] = datetime.fromisoformat(expires) if isinstance(expires, str) else None
        return cls(**values)


@dataclass(frozen=True)
class Alert:
    """A neutral alert. `details` holds kind-specific plain values (reasons, names, counts, who)."""

    kind: AlertKind
    link: LinkCard | None = None
    details: dict[str, Any] = field(default_factory=dict)
    lang: str | None = None
    """For customer alerts: the language to speak."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind), "link": self.link.to_dict() if self.link else None,
            "details": self.details, "lang": self.lang,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Alert":
        link = data.get("link")
        return cls(
            kind=AlertKind(data["kind"]), link=LinkCard.from_dict(link) if link else None,
            details=dict(data.get("details") or {}), lang=data.get("lang"),
        )

