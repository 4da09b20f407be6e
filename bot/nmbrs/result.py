"""What a credential check against Nmbrs can come back with.

Plain frozen values, safe to log, store and print: none of them holds the token.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeAlias


class RejectionCategory(StrEnum):
    """Why Nmbrs said no, grouped by what the customer has to do about it."""

    CREDENTIALS = "credentials"  # 1001: wrong, reset or deleted login/token
    RIGHTS = "rights"  # 1002, 1003: template or filter blocks a call
    SUBSCRIPTION = "subscription"  # 1004: no valid Nmbrs subscription
    OTHER = "other"  # any other Nmbrs code: unexpected, never breaks a link (see `unexpected`)


class UnreachableCause(StrEnum):
    """Why no verdict about the token could be had; none of these says the token is bad."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_ERROR = "http_error"  # 5xx (or 408/429) without a SOAP fault
    HTML = "html"  # an HTML page where a SOAP envelope was expected (maintenance, proxy)
    MALFORMED = "malformed"  # not well-formed XML, or not the envelope we expect
    NMBRS_ERROR = "nmbrs_error"  # Nmbrs fault 9999 / 1006, or a server fault without a code
    MISCONFIGURED = "misconfigured"  # our side: soap:Client fault, 404 from a wrong URL, ...


@dataclass(frozen=True, slots=True)
class Debtor:
    """A debtor (an employer administration under an accountant) the login can see."""

    id: int
    number: int | None
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "name": self.name}


@dataclass(frozen=True, slots=True)
class Company:
    """A company the login can see; `debtor_id` is None when it was not looked up."""

    id: int
    number: int | None
    name: str
    debtor_id: int | None = None

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
