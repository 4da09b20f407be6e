"""The accounts the Nmbrs stand-in knows (debtors, companies, per-operation faults) and what it
records of each request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StandinDebtor:
    id: int
    number: int | str | None
    name: str


@dataclass(frozen=True)
class StandinCompany:
    id: int
    number: int
    name: str
    debtor_id: int | None = None  # None: the account's first debtor
    kvk: str = ""
    period: str = "Month"


@dataclass
class StandinAccount:
    username: str
    token: str
    subdomain: str
    debtors: list[StandinDebtor]
    companies: list[StandinCompany]
    # operation ("CompanyService", "CompanyService.List_GetAll") -> Nmbrs code to fault with
    faults: dict[str, int] = field(default_factory=dict)
    # debtor ids whose List_GetByDebtor answers 2009 (the login lost its rights on that debtor)
    denied_debtors: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class RecordedRequest:
    """What one request looked like; no token kept, so tests can print these safely."""

    operation: str | None  # "DebtorService.List_GetAll", None when it could not be told
    soap_version: int | None
    soap_action: str | None
    header: str | None  # "AuthHeader" / "AuthHeaderWithDomain" / None
    header_fields: tuple[str, ...]  # Clark names of the header's children, in order
    username: str | None
    domain: str | None
    at: float


def as_debtor(value: StandinDebtor | Mapping[str, Any]) -> StandinDebtor:
    return value if isinstance(value, StandinDebtor) else StandinDebtor(**value)


def as_company(value: StandinCompany | Mapping[str, Any]) -> StandinCompany:
    return value if isinstance(value, StandinCompany) else StandinCompany(**value)
