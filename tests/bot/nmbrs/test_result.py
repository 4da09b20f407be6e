"""The result values: outcomes, scope digest, JSON form."""

from __future__ import annotations

import json

from handlers.model import Company, Debtor, Rejected, RejectionCategory, Unreachable, UnreachableCause, Valid


def _valid(debtors: tuple[Debtor, ...], companies: tuple[Company, ...]) -> Valid:
    return Valid(username="hr@acme.nl", environment="acme", debtors=debtors, companies=companies, latency_s=0.1234)


DEBTORS = (Debtor(1, 101, "Acme Holding"), Debtor(2, None, "Acme & Zonen"))
COMPANIES = (Company(10, 1, "Acme B.V.", 1), Company(11, 2, "Zonen B.V.", 2))


def test_scope_digest_is_stable_and_order_free() -> None:
    a = _valid(DEBTORS, COMPANIES)
    b = _valid(DEBTORS[::-1], COMPANIES[::-1])
    assert a.scope_digest == b.scope_digest
    assert len(a.scope_digest) == 64 and int(a.scope_digest, 16) >= 0


def test_scope_digest_sees_names_and_ids_but_not_debtor_mapping() -> None:
    base = _valid(DEBTORS, COMPANIES).scope_digest
    renamed = _valid(DEBTORS, (Company(10, 1, "Acme Nederland B.V.", 1), COMPANIES[1])).scope_digest
    dropped = _valid(DEBTORS, COMPANIES[:1]).scope_digest
    unmapped = _valid(DEBTORS, tuple(Company(c.id, c.number, c.name) for c in COMPANIES)).scope_digest
    renumbered = _valid(DEBTORS, (Company(10, 99, "Acme B.V.", 1), COMPANIES[1])).scope_digest
    assert len({base, renamed, dropped}) == 3
    assert unmapped == base and renumbered == base


def test_reaches_nothing() -> None:
    assert _valid(DEBTORS, ()).reaches_nothing
    assert not _valid((), COMPANIES).reaches_nothing


def test_valid_to_dict_is_json() -> None:
    data = _valid(DEBTORS, COMPANIES).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["outcome"] == "valid" and data["environment"] == "acme"
    assert data["companies"][0] == {"id": 10, "number": 1, "name": "Acme B.V.", "debtor_id": 1}
    assert data["latency_s"] == 0.123 and data["reaches_nothing"] is False
    assert data["scope_digest"] == _valid(DEBTORS, COMPANIES).scope_digest


def test_rejected_and_unreachable_to_dict() -> None:
    rejected = Rejected(
        1001, RejectionCategory.CREDENTIALS, "Invalid Authentication", 0.5, "DebtorService.Environment_Get"
    )
    assert rejected.outcome == "rejected"
    assert rejected.to_dict() == {
        "outcome": "rejected",
        "code": 1001,
        "category": "credentials",
        "message": "Invalid Authentication",
        "operation": "DebtorService.Environment_Get",
        "latency_s": 0.5,
    }
    unreachable = Unreachable(UnreachableCause.NMBRS_ERROR, "Nmbrs error 9999: Unknown error", 1.0, code=9999)
    assert unreachable.outcome == "unreachable" and unreachable.transient
    assert json.loads(json.dumps(unreachable.to_dict()))["cause"] == "nmbrs_error"
    assert not Unreachable(UnreachableCause.MISCONFIGURED, "HTTP 404", 0.1).transient


def test_results_are_frozen() -> None:
    import dataclasses

    import pytest

    with pytest.raises(dataclasses.FrozenInstanceError):
        _valid(DEBTORS, COMPANIES).environment = "other"  # type: ignore[misc]


def test_enums_are_strings() -> None:
    assert [c.value for c in RejectionCategory] == ["credentials", "rights", "subscription", "other", "consent", "lost"]
    assert {c.value for c in UnreachableCause} == {
        "timeout", "connection", "http_error", "html", "malformed", "nmbrs_error", "misconfigured", "service_gone"
    }
    assert f"{RejectionCategory.RIGHTS}" == "rights"
