"""zeep's decoded answers to the list and environment calls, turned into result values.

Tolerant of how zeep unwraps arrays and one-element results; strict about what must be there
(an id, a sub-domain): a missing one is a malformed answer, not an empty scope.
"""

from __future__ import annotations

from typing import Any

from bot.nmbrs.failures import CallFailed
from handlers.model import Company, Debtor, UnreachableCause


def _items(result: Any, element: str) -> list[Any]:
    """The records of a List_* answer, however zeep chose to unwrap the array."""
    if result is None:
        return []
    if isinstance(result, list):
        return [item for item in result if item is not None]
    inner = getattr(result, element, None)
    if inner is None:
        return []
    if isinstance(inner, list):
        return [item for item in inner if item is not None]
    return [inner]


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _malformed(what: str) -> CallFailed:
    return CallFailed.unreachable(UnreachableCause.MALFORMED, what)


def _required_id(value: Any) -> int:
    number = _as_int(value)
    if number is None:
        raise _malformed("answer has a record without an id")
    return number


def _name(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def parse_environment(answer: Any) -> str:
    # A one-element result comes back unwrapped: the SubDomain string itself.
    subdomain = getattr(answer, "SubDomain", answer)
    if not isinstance(subdomain, str) or not subdomain.strip():
        raise _malformed("answer has no SubDomain")
    return subdomain.strip()


def parse_debtors(answer: Any) -> tuple[Debtor, ...]:
    return tuple(
        Debtor(id=_required_id(item.Id), number=_as_int(item.Number), name=_name(item.Name))
        for item in _items(answer, "Debtor")
    )


def parse_companies(answer: Any) -> tuple[Company, ...]:
    return tuple(
        Company(id=_required_id(item.ID), number=_as_int(item.Number), name=_name(item.Name))
        for item in _items(answer, "Company")
    )
