"""The practice world behind the REST stand-in: the vendor's registered app, the Nmbrs users who
can consent, their debtor and companies (REST ids are UUIDs; number and name match SOAP's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The spec's `components.securitySchemes.Bearer` scopes, with the words the consent page shows.
SCOPES: dict[str, str] = {
    "offline_access": "Used in the authorization process to receive a refresh token",
    "user.info.read": "View user information",
    "debtor.info.read": "View debtor information",
    "company.info": "View and manage company information",
    "company.info.read": "View company information",
    "company.payrollsettings.read": (
        "View payroll settings: hour codes, wage codes, cost centers and cost units"
    ),
    "company.leave.read": "View company leave and absence settings",
    "company.document.read": "Generate company documents",
    "document.read": "View and download document content",
    "employee.info": "View and manage employee information: personal info, address, family data",
    "employee.info.read": "View employee information: personal info, address, family data",
    "employee.employment": "View and manage employment data: contracts, salary, schedule",
    "employee.employment.read": "View employment data: contracts, salary, schedule",
    "employee.payment": "View and manage payment data: hour components, wage components and cost centers",
    "employee.payment.read": "View payment data: hour components, wage components and cost centers",
    "employee.leave": "View and manage leave and absence information",
    "employee.leave.read": "View leave and absence information",
    "employee.orgstructure": "View and manage organization structure data: functions, departments, managers",
    "employee.orgstructure.read": "View organization structure data: functions, departments, managers",
    "employee.bankaccount": "View and manage bank account information",
    "employee.bankaccount.read": "View bank account information",
    "employee.document": "View and manage employee documents",
    "employee.document.read": "Generate employee documents",
    "employee.payrollsettings": "View employee payroll settings",
    "employee.payrollsettings.read": "View and manage employee payroll settings",
}

# A practice app whose secret holds every character that breaks a Basic header sent without the
# percent-encoding of RFC 6749 §2.3.1 (`%7e` decodes to `~`; `:` would split the pair).
PRACTICE_CLIENT_ID = "tokendesk-practice"
PRACTICE_CLIENT_SECRET = "Pr*ct1ce$S3cr%7eT:k3y%"
PRACTICE_SUBSCRIPTION_KEY = "30d05593229f49c18856be06ebc47b24"


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class RestDebtor:
    number: int | str
    name: str
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class RestCompany:
    number: int | str
    name: str
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class PracticeUser:
    """An Nmbrs login that can consent: REST access is per debtor, so one debtor per user."""

    email: str
    password: str
    name: str
    language: str
    debtor: RestDebtor
    companies: list[RestCompany]
    id: str = field(default_factory=new_id)
    # scopes this login may not grant, whatever the app asks (a scenario without the right)
    withheld_scopes: frozenset[str] = frozenset()
    # the debtor's subscription ended: every API call answers 403 code 40304
    environment_disabled: bool = False


def as_debtor(value: RestDebtor | Mapping[str, Any]) -> RestDebtor:
    return value if isinstance(value, RestDebtor) else RestDebtor(**value)


def as_companies(values: Iterable[RestCompany | Mapping[str, Any]]) -> list[RestCompany]:
    return [c if isinstance(c, RestCompany) else RestCompany(**c) for c in values]
