"""Generated inputs shared by the families: links, check outcomes, runs, details; built from the real types
(named only through renderings.py's adapter), with every escape, limit and empty case worth rendering."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta
from typing import Any

from tests.golden.renderings import (
    AlertRow, AuditRow, Company, DUTCH, Debtor, LONG, LinkCard, NASTY, Rejected, RejectionCategory, RunInfo,
    STATES, SupportSummary, T0, T1, Unreachable, UnreachableCause, Valid,
)


def card(i: int = 12, *, username: str = "jan@bakker.nl", environment: str | None = "Bakkerij BV",
         state: str = "active", last4: str | None = "AbCd", label: str | None = None, platform: str = "slack",
         team: str | None = "T1", user: str | None = "U123ABC", debtors: int = 1, companies: int = 3,
         debtor_names: tuple[str, ...] | None = None, company_names: tuple[str, ...] | None = None) -> LinkCard:
    return LinkCard(
        id=i, username=username, environment=environment, state=state, token_last4=last4, label=label,
        platform=platform, team_id=team, user_id=user, debtor_count=debtors, company_count=companies,
        debtor_names=debtor_names if debtor_names is not None else tuple(f"Debiteur {n}" for n in range(min(debtors, 10))),
        company_names=company_names if company_names is not None else tuple(f"Bedrijf {n}" for n in range(min(companies, 10))),
    )


CARDS: dict[str, LinkCard] = {
    "full": card(label="Hoofdadministratie"),
    "bare": card(7, environment=None, state="pending", last4=None, platform="teams", team=None, user=None,
                 debtors=0, companies=0),
    "nasty": card(3141, username=NASTY, environment=NASTY, state="rejected", last4="<&>*", label=NASTY,
                  platform="teams", team="tenant-1", user="29:abc", debtors=2, companies=2,
                  debtor_names=(NASTY, DUTCH), company_names=(LONG, "")),
    "long": card(99999, username=LONG, environment=LONG, state="broken", label=LONG, debtors=5, companies=5,
                 user="not a slack id"),
    "many": card(60, environment=DUTCH, state="unverified", label=DUTCH, debtors=60, companies=60,
                 user="W0GUEST1", team="T9"),
    "names_mismatch": card(8, state="revoked", last4=None, debtors=3, companies=2, debtor_names=("a",),
                           company_names=()),
    # A REST link: a consent, no token end; the debtor, scopes and access-token expiry instead.
    "rest": dataclasses.replace(
        card(21, username="hr@acme.nl", environment=None, last4=None, debtors=1, companies=2),
        kind="rest", debtor_name=NASTY, scopes=("offline_access", "user.info.read", "company.info.read"),
        access_expires_at=T1 + timedelta(hours=1)),
}


def validations() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in (0, 1, 2, 5, 6, 60):
        debtors = tuple(Debtor(id=100 + k, number=k or None, name=[DUTCH, NASTY, "D"][k % 3]) for k in range(n))
        for m in (0, 1, 3, 60):
            companies = tuple(Company(id=500 + k, number=k, name=[NASTY, "C", LONG][k % 3],
                                      debtor_id=(100 + k) if k % 2 else None) for k in range(m))
            out[f"valid_d{n}_c{m}"] = Valid(username="jan@bakker.nl", environment=[DUTCH, "Acme", NASTY][n % 3],
                                            debtors=debtors, companies=companies, latency_s=0.4567)
    for category, code, message, op in itertools.product(
            RejectionCategory, (None, 1000, 1002, 2003, 1004, 9998), ("", NASTY, LONG), (None, "CompanyService.List_GetAll")):
        out[f"rejected_{category.value}_{code}_{len(message)}_{op}"] = Rejected(
            code=code, category=category, message=message, latency_s=1.25, operation=op)
    for cause, detail, code in itertools.product(UnreachableCause, ("", NASTY), (None, 9999)):
        out[f"unreachable_{cause.value}_{len(detail)}_{code}"] = Unreachable(
            cause=cause, detail=detail, latency_s=30.0, code=code, operation="DebtorService.List_GetAll" if code else None)
    return out


VALIDATIONS = validations()
REASONS = ("empty_username", "bad_username", "empty_token", "token_has_spaces", "token_too_long",
           "token_bad_characters", "something_new")
DURATIONS = (timedelta(0), timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=61),
             timedelta(minutes=10), timedelta(hours=1))
CUSTOMER_DETAILS = (
    {}, {"category": "credentials", "code": 1000}, {"category": "rights", "code": 1002}, {"reason": "rights"},
    {"category": "subscription"}, {"category": "bogus", "code": "x", "message": NASTY},
    {"category": "other", "code": 9998, "message": LONG}, {"outcome": "valid"}, {"outcome": "active"},
    {"outcome": "rejected", "category": "credentials"}, {"outcome": "broken", "reason": "other", "code": 77},
    {"outcome": "unreachable", "cause": "timeout"}, {"outcome": "pending", "reason": "html"},
    {"outcome": "unverified", "cause": "nope"},
)
#: A consent's chat alert details (handlers.connect._chat_alert), odd ones included.
CONSENT_DETAILS = (
    {}, {"outcome": "connected"}, {"outcome": "denied"}, {"outcome": "refused", "reason": "scopes_missing",
                                                          "missing": ["company.info.read", NASTY]},
    {"outcome": "refused", "reason": "no_refresh_token"}, {"outcome": "failed", "category": "credentials",
                                                           "code": None},
    {"outcome": "failed", "cause": "timeout"}, {"outcome": NASTY, "reason": LONG},
)



RUNS = {"none": None, "running": RunInfo(started_at=T0, finished_at=None, status="running", trigger="schedule"),
        "nightly": RunInfo(started_at=T0, finished_at=T1, status="finished", trigger="schedule", counts={"active": 3}),
        "manual_failed": RunInfo(started_at=T0, finished_at=T1, status="failed <&>", trigger="command")}
CHANGES = [{"link": f"L{k}", "username": [NASTY, "a@b.nl", LONG][k % 3], "environment": [None, DUTCH, "E"][k % 3],
            "transition": ["broken", "restored", "confirming", "mystery", None, "activated", "rotated", "rejected",
                           "unverified", "scope_changed"][k % 10], "reason": [None, "credentials", NASTY][k % 3],
            "state": STATES[k % len(STATES)]} for k in range(25)]



def support_summary(n: int) -> Any:
    """The support overview with `n` alerts and audit entries (60 fill App Home past its 100 blocks)."""
    alerts = tuple(AlertRow(kind=["broken", "<x>", "digest"][k % 3], link_id=[None, 12][k % 2], created_at=T0,
                            sent_at=[None, T1][k % 2]) for k in range(n))
    audits = tuple(AuditRow(at=T1, platform=["slack", "teams"][k % 2], actor=["U123ABC", "29:abc"][k % 2],
                            action="label", result=["ok", "refused"][k % 2]) for k in range(n))
    return SupportSummary(counts={s: k * n for k, s in enumerate(STATES)}, alerts=alerts, audits=audits,
                          last_run=RUNS["nightly" if n % 2 else "running"])


NAMES = {"29:abc": "Jan <de> *Vries*", "U123ABC": DUTCH}
