"""Comparing what a token reaches before and after: which debtors and companies came or went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class ScopeChange:
    debtors_added: tuple[str, ...] = ()
    debtors_removed: tuple[str, ...] = ()
    companies_added: tuple[str, ...] = ()
    companies_removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any((self.debtors_added, self.debtors_removed, self.companies_added, self.companies_removed))

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "debtors_added": list(self.debtors_added), "debtors_removed": list(self.debtors_removed),
            "companies_added": list(self.companies_added), "companies_removed": list(self.companies_removed),
        }


def _by_id(items: Iterable[Mapping[str, Any]]) -> dict[Any, str]:
    return {item.get("id"): str(item.get("name") or f"#{item.get('id')}") for item in items}


def scope_change(
    old_debtors: Iterable[Mapping[str, Any]], new_debtors: Iterable[Mapping[str, Any]],
    old_companies: Iterable[Mapping[str, Any]], new_companies: Iterable[Mapping[str, Any]],
) -> ScopeChange:
    od, nd, oc, nc = _by_id(old_debtors), _by_id(new_debtors), _by_id(old_companies), _by_id(new_companies)
    return ScopeChange(
        debtors_added=tuple(sorted(nd[k] for k in nd.keys() - od.keys())),
        debtors_removed=tuple(sorted(od[k] for k in od.keys() - nd.keys())),
        companies_added=tuple(sorted(nc[k] for k in nc.keys() - oc.keys())),
        companies_removed=tuple(sorted(oc[k] for k in oc.keys() - nc.keys())),
    )
