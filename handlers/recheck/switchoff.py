"""SOAP looks switched off: a run weighs its SOAP checks at its end; the switch-off signs that waited for that
(handlers.recheck.step) are settled by the verdict, and support and the integration hear of it once, and once
more when SOAP answers again.

Nmbrs has not said how a switched-off SOAP API will answer. When most SOAP checks of one run answer as a
retired endpoint would (HTTP 404/410, connection refused, a fault naming the service gone: the gateway's
`service_gone`), whatever the date, the links keep their state and credentials and record the reason
`soap_switched_off`; no link gets a broken or unverified alert for it. A run below the threshold, or with too
few SOAP checks to tell, treats those answers as the ordinary transient failures they are.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import queue
from handlers.model import Alert, AlertKind, Unreachable, UnreachableCause
from handlers.recheck.step import Step
from handlers.recheck.values import SOAP_SWITCHED_OFF, MigrationNumbers, MigrationSummary, RecheckPolicy
from storage import links as link_store
from storage import soap_signs
from storage.cipher import TokenCipher
from storage.models import CHECKED_STATES, Check, RecheckRun

log = logging.getLogger(__name__)

SWITCHED_OFF = "switched_off"
ANSWERING = "answering"
_SIGN = str(UnreachableCause.SERVICE_GONE)


@dataclass(frozen=True)
class SoapVerdict:
    """What one run's SOAP checks say about the SOAP API as a whole."""

    checks: int
    """SOAP checks of the run that asked Nmbrs (confirming attempts and our own faults not counted)."""
    signs: int
    """Of those, answers as from a retired endpoint."""
    verdict: str | None
    """switched_off, answering, or None: too few SOAP checks to tell."""
    previous: str | None
    """The last verdict an earlier run reached."""

    @property
    def switched_off(self) -> bool:
        return self.verdict == SWITCHED_OFF

    @property
    def news(self) -> AlertKind | None:
        """The one alert this run owes: the switch-off when it starts, SOAP answering when it ends."""
        if self.switched_off and self.previous != SWITCHED_OFF:
            return AlertKind.SOAP_SWITCHED_OFF
        if self.verdict == ANSWERING and self.previous == SWITCHED_OFF:
            return AlertKind.SOAP_ANSWERING
        return None

    def to_counts(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": self.checks, "signs": self.signs}


def weigh(checks: int, signs: int, policy: RecheckPolicy) -> str | None:
    if checks < max(policy.switch_off_min, 1):
        return None
    return SWITCHED_OFF if signs >= policy.switch_off_share * checks else ANSWERING


async def verdict_of(session: AsyncSession, *, run_id: int, policy: RecheckPolicy) -> SoapVerdict:
    checks, signs = await soap_signs.signs_in_run(session, run_id=run_id, reasons=(_SIGN, SOAP_SWITCHED_OFF))
    previous = await soap_signs.last_verdict(session, before_run_id=run_id)
    return SoapVerdict(checks=checks, signs=signs, verdict=weigh(checks, signs, policy), previous=previous)


async def migration_numbers(summary: MigrationSummary | None) -> MigrationNumbers | None:
    """The tracker's numbers, or None; a failing tracker must not keep the news about SOAP from being told."""
    if summary is None:
        return None
    try:
        numbers = summary()
        if inspect.isawaitable(numbers):
            numbers = await numbers
    except Exception:  # noqa: BLE001 - the alert goes out without the numbers
        log.warning("recheck: the migration summary failed; the switch-off is reported without it", exc_info=True)
        return None
    return numbers if isinstance(numbers, MigrationNumbers) else None


async def settle(
    session: AsyncSession, run: RecheckRun, verdict: SoapVerdict, *, cipher: TokenCipher, policy: RecheckPolicy,
    now: datetime, nights: bool,
) -> int:
    """Apply the verdict to every switch-off sign of the run that waited for it; returns how many."""
    settled = 0
    for check_id, link_id in await soap_signs.waiting_in_run(session, run_id=run.id, reason=_SIGN):
        link = await link_store.lock_for_check(session, link_id=link_id)
        check = await session.get(Check, check_id)
        if link is None or check is None or not link.holds_token or link.state not in CHECKED_STATES:
            continue  # revoked or emptied since: nothing left to settle
        answer = Unreachable(UnreachableCause.SERVICE_GONE, "answered as a retired endpoint", 0.0,
                             code=check.fault_code)
        step = Step(session, link, answer, cipher=cipher, policy=policy, trigger="recheck", run_id=run.id, now=now,
                    actor=None, nights=nights)
        await step.settle(check, switched_off=verdict.switched_off)
        settled += 1
    return settled


async def announce(
    session: AsyncSession, run: RecheckRun, verdict: SoapVerdict, *, migration: MigrationNumbers | None,
) -> bool:
    """Queue this run's news about SOAP: at most one alert, which handlers.alerts.queue also writes as the
    integration's webhook event (`soap.switched_off` or `soap.answering`) in this transaction, under the same key."""
    kind = verdict.news
    if kind is None:
        return False
    details: dict[str, Any] = {
        "run_id": run.id, "checks": verdict.checks, "signs": verdict.signs,
        "migration": migration.to_dict() if migration is not None else None,
    }
    if kind is AlertKind.SOAP_SWITCHED_OFF:
        details["reason"] = SOAP_SWITCHED_OFF
        log.warning("recheck: SOAP looks switched off (%d of %d SOAP checks of run %s); either Nmbrs has switched the "
                    "SOAP API off or TOKENDESK_NMBRS_URL is wrong (`tokendesk validate --soap-url` tells them apart)",
                    verdict.signs, verdict.checks, run.id)
    else:
        log.info("recheck: SOAP answers again (%d of %d SOAP checks of run %s still signs)", verdict.signs,
                 verdict.checks, run.id)
    return await queue(session, Alert(kind, None, details), key=f"{kind}:run:{run.id}")
