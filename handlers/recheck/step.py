"""One answer applied to one locked link: the state machine's decision (handlers.recheck.transitions)
written onto the row, its check recorded and its alerts queued, all in the caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import queue
from handlers.model import (
    Alert, AlertKind, LinkCard, Person, Rejected, Unreachable, UnreachableCause, Valid, Validation,
)
from handlers.recheck.transitions import Answer as Verdict
from handlers.recheck.transitions import Decision, LinkFacts, Rules, decide
from handlers.recheck.values import SOAP_SWITCHED_OFF, Answer, CheckReport, Failure, RecheckPolicy, iso
from handlers.scope import scope_change
from handlers.text.explain import explain
from storage import links as link_store
from storage.audit import audit
from storage.cipher import TokenCipher
from storage.links import open_token, seal_onto, set_state
from storage.models import Check, Link, LinkState

log = logging.getLogger(__name__)


class Step:
    """One answer applied to one locked link: the transition, its check row and its alerts."""

    def __init__(
        self, session: AsyncSession, link: Link, answer: Answer, *, cipher: TokenCipher, policy: RecheckPolicy,
        trigger: str, run_id: int | None, now: datetime, actor: Person | None, nights: bool,
    ) -> None:
        self.cipher = cipher
        self.policy = policy
        self.session = session
        self.link = link
        self.answer = answer
        self.trigger = trigger
        self.run_id = run_id
        self.now = now
        self.actor = actor
        self.rules = Rules(
            trigger=trigger, counts_nights=nights, unverified_after=self.policy.unverified_after,
            confirm_delay=_seconds(self.policy.confirm_delay_s), notify_customers=self.policy.notify_customers,
        )
        self.check: Check | None = None

    async def apply(self) -> CheckReport:
        answer = self.answer
        if isinstance(answer, Failure):
            await self._record(outcome="error", reason=answer.reason)
            return self._report("error", None, answer.reason)
        self.link.last_checked_at = self.now
        if isinstance(answer, Valid):
            return await self._valid(answer)
        if isinstance(answer, Rejected):
            if answer.unexpected:
                return await self._unexpected(answer)
            return await self._rejected(answer)
        return await self._unreachable(answer)

    def _decide(self, link: Link, verdict: Verdict, *, scope_changed: bool = False,
                has_customer: bool | None = None) -> Decision:
        facts = LinkFacts(
            state=LinkState(link.state), failed_checks=link.failed_checks or 0, confirm_due_at=link.confirm_due_at,
            has_customer=bool(link.user_id) if has_customer is None else has_customer,
        )
        decision = decide(facts, verdict, rules=self.rules, now=self.now, scope_changed=scope_changed)
        link.failed_checks = decision.failed_checks
        link.confirm_due_at = decision.confirm_due_at
        if decision.state != link.state:
            set_state(link, decision.state, at=self.now)
        return decision

    # -- outcomes -----------------------------------------------------------------------------

    async def _valid(self, result: Valid) -> CheckReport:
        link = self.link
        if link.state == LinkState.PENDING:
            other = await link_store.lock_same_account(
                self.session, username=link.username, environment=result.environment, other_than=link.id
            )
            if other is not None:
                return await self._rotate(into=other, result=result)
            link.environment = result.environment
            self._scope(link, result)
            self._clear_fault(link)
            decision = self._decide(link, Verdict.VALID)
            await self._record(outcome="valid", scope_digest=result.scope_digest, transition=decision.transition,
                               latency_s=result.latency_s)
            card = LinkCard.of(link)
            for kind in decision.alerts:
                if kind is AlertKind.ACTIVATED:
                    await self._alert(kind, card, {**self._sender(link), "via": self.trigger},
                                      key=f"link:{link.id}:activated")
                elif kind is AlertKind.CUSTOMER_RESULT:
                    await self._customer_result(card, link, result)
            log.info("recheck: pending link %s is active", link.short_id)
            return self._report("valid", decision.transition, None, result=result)

        was, since = link.state, link.state_changed_at
        old_debtors, old_companies, old_digest = list(link.debtors or []), list(link.companies or []), link.scope_digest
        self._scope(link, result)
        self._clear_fault(link)
        change = scope_change(old_debtors, link.debtors, old_companies, link.companies)
        scope_changed = old_digest is not None and old_digest != result.scope_digest and bool(change)
        decision = self._decide(link, Verdict.VALID, scope_changed=scope_changed)
        await self._record(outcome="valid", scope_digest=result.scope_digest, transition=decision.transition,
                           latency_s=result.latency_s)
        card = LinkCard.of(link)
        for kind in decision.alerts:
            if kind is AlertKind.RESTORED:
                await self._alert(kind, card,
                                  {"previous_state": str(was), "since": iso(since), "via": self.trigger, **self._by()},
                                  key=f"link:{link.id}:restored:{self._check_id}")
                log.info("recheck: link %s restored (was %s)", link.short_id, was)
            elif kind is AlertKind.SCOPE_CHANGED:
                await self._alert(kind, card, {**change.to_dict(), "via": self.trigger},
                                  key=f"link:{link.id}:scope:{self._check_id}")
                log.info("recheck: scope of link %s changed", link.short_id)
        return self._report("valid", decision.transition, None, result=result)

    async def _rotate(self, *, into: Link, result: Valid) -> CheckReport:
        """A pending link turned out to be a new token for an existing link: move it there."""
        pending = self.link
        token = open_token(pending, self.cipher)
        was, since = into.state, into.state_changed_at
        old_debtors, old_companies = list(into.debtors or []), list(into.companies or [])
        seal_onto(into, token, self.cipher)
        token = ""
        into.platform, into.team_id, into.user_id = pending.platform, pending.team_id, pending.user_id
        self._scope(into, result)
        self._clear_fault(into)
        into.last_checked_at = self.now
        change = scope_change(old_debtors, into.debtors, old_companies, into.companies)
        decision = self._decide(into, Verdict.NEW_TOKEN, scope_changed=bool(change))
        self.link = into
        await self.session.delete(pending)
        await self._record(outcome="valid", scope_digest=result.scope_digest, transition=decision.transition,
                           latency_s=result.latency_s)
        card = LinkCard.of(into)
        who = {**self._sender(into), "via": self.trigger}
        for kind in decision.alerts:
            if kind is AlertKind.ACTIVATED:
                await self._alert(kind, card, who, key=f"link:{into.id}:activated")
            elif kind is AlertKind.TOKEN_REPLACED:
                await self._alert(kind, card, {**who, "previous_state": str(was)},
                                  key=f"link:{into.id}:replaced:{self._check_id}")
            elif kind is AlertKind.RESTORED:
                await self._alert(kind, card, {"previous_state": str(was), "since": iso(since), **who},
                                  key=f"link:{into.id}:restored:{self._check_id}")
            elif kind is AlertKind.SCOPE_CHANGED:
                await self._alert(kind, card, {**change.to_dict(), "via": self.trigger},
                                  key=f"link:{into.id}:scope:{self._check_id}")
            elif kind is AlertKind.CUSTOMER_RESULT:
                await self._customer_result(card, into, result)
        audit(self.session, platform="system", actor="recheck", action="link.rotate", link_id=into.id,
              detail={"from_pending": f"L{pending.id}", "previous_state": str(was)})
        log.info("recheck: pending link %s was a new token for link %s", pending.short_id, into.short_id)
        return self._report("valid", decision.transition, None, result=result)

    async def _rejected(self, result: Rejected) -> CheckReport:
        link = self.link
        reason = str(result.category)
        link.last_fault_code, link.last_reason = result.code, reason
        was, first = link.state, link.confirm_due_at
        decision = self._decide(link, Verdict.REJECTED)
        if decision.destroy_token:
            link.token_ciphertext = None
            link.token_key_id = None
        if decision.confirming and first is None:
            log.info("recheck: link %s failed definitively (%s); confirming after %.0f s",
                     link.short_id, reason, self.policy.confirm_delay_s)
        await self._record(outcome="rejected", reason=reason, code=result.code, transition=decision.transition,
                           latency_s=result.latency_s)
        if decision.confirming:
            return self._report("rejected", "confirming", reason, code=result.code, result=result,
                                due=link.confirm_due_at)
        card = LinkCard.of(link)
        told = AlertKind.CUSTOMER_BROKEN in decision.alerts
        for kind in decision.alerts:
            if kind is AlertKind.CUSTOMER_RESULT:
                await self._customer_result(card, link, result)
            elif kind is AlertKind.BROKEN:
                support = explain(result, "en")
                await self._alert(kind, card, {
                    "reason": reason, "code": result.code, "message": result.message, "operation": result.operation,
                    "headline": support.headline, "detail": support.detail, "action": support.action,
                    "previous_state": str(was), "customer_notified": told, "via": self.trigger, **self._by(),
                }, key=f"link:{link.id}:broken:{self._check_id}")
            elif kind is AlertKind.CUSTOMER_BROKEN:
                lang = self.policy.language
                words = explain(result, lang)
                await self._alert(kind, card, {
                    **self._customer(link), "lang": lang, "reason": reason, "code": result.code,
                    "message": result.message, "environment": link.environment, "token_last4": link.token_last4,
                    "headline": words.headline, "detail": words.detail, "action": words.action,
                }, key=f"link:{link.id}:customer_broken:{self._check_id}", lang=lang)
        if decision.transition == "rejected":
            log.info("recheck: pending link %s rejected by Nmbrs (%s); token destroyed", link.short_id, reason)
        elif decision.transition == "broken":
            log.warning("recheck: link %s is broken (%s, code %s)", link.short_id, reason, result.code)
        return self._report("rejected", decision.transition, reason, code=result.code, result=result)

    async def _unexpected(self, result: Rejected) -> CheckReport:
        """A fault code outside 1001-1004 says nothing about the login: support hears of each such
        code once per link, with Nmbrs' own words."""
        link = self.link
        reason = "unexpected"
        link.last_fault_code, link.last_reason = result.code, reason
        decision = self._decide(link, Verdict.UNEXPECTED)
        await self._record(outcome="unexpected", reason=reason, code=result.code, latency_s=result.latency_s)
        fresh = False
        if AlertKind.UNVERIFIED in decision.alerts:
            words = explain(result, "en")
            fresh = await queue(self.session, Alert(AlertKind.UNVERIFIED, LinkCard.of(link), {
                "cause": "nmbrs_error", "code": result.code, "nmbrs_said": result.message,
                "operation": result.operation, "headline": words.headline, "explanation": words.detail,
                "via": self.trigger,
            }), key=f"link:{link.id}:unexpected:{result.code}")
        log.warning("recheck: link %s got unexpected Nmbrs fault %s; state kept (%s)%s",
                    link.short_id, result.code, link.state, "" if fresh else ", support already told")
        return self._report("unexpected", None, reason, code=result.code, result=result)

    async def _unreachable(self, result: Unreachable) -> CheckReport:
        link = self.link
        cause = str(result.cause)
        link.last_fault_code, link.last_reason = result.code, cause
        if self._waits_for_run(result):
            # A switch-off sign in a run: recorded now, settled by the run's verdict at its end
            # (handlers.recheck.switchoff), so that SOAP switched off is not one alert per link.
            await self._record(outcome="unreachable", reason=cause, code=result.code, latency_s=result.latency_s)
            return self._report("unreachable", None, cause, code=result.code, result=result)
        decision = self._decide(link, Verdict.UNREACHABLE)
        await self._record(outcome="unreachable", reason=cause, code=result.code, transition=decision.transition,
                           latency_s=result.latency_s)
        await self._unverified(decision, result)
        return self._report("unreachable", decision.transition, cause, code=result.code, result=result)

    def _waits_for_run(self, result: Unreachable) -> bool:
        return (result.cause is UnreachableCause.SERVICE_GONE and self.run_id is not None
                and self.trigger == "recheck" and not self.link.is_rest)

    async def settle(self, check: Check, *, switched_off: bool) -> None:
        """Apply a switch-off sign that waited for its run's verdict (`check`, this link's latest): with SOAP
        switched off nothing changes but the reason; otherwise it is the ordinary transient failure it was."""
        self.check = check
        link = self.link
        if switched_off:
            self._decide(link, Verdict.SWITCHED_OFF)
            link.last_reason = check.reason = SOAP_SWITCHED_OFF
            return
        assert isinstance(self.answer, Unreachable)
        decision = self._decide(link, Verdict.UNREACHABLE)
        check.transition = decision.transition
        await self._unverified(decision, self.answer)

    async def _unverified(self, decision: Decision, result: Unreachable) -> None:
        link = self.link
        if AlertKind.UNVERIFIED not in decision.alerts:
            return
        words = explain(result, "en")
        await self._alert(AlertKind.UNVERIFIED, LinkCard.of(link), {
            "nights": link.failed_checks, "cause": str(result.cause), "code": result.code, "detail": result.detail,
            "headline": words.headline, "explanation": words.detail,
        }, key=f"link:{link.id}:unverified:{self._check_id}")
        log.warning("recheck: link %s could not be checked for %d nights", link.short_id, link.failed_checks)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _scope(link: Link, result: Valid) -> None:
        link.debtors = [d.to_dict() for d in result.debtors]
        link.companies = [c.to_dict() for c in result.companies]
        link.scope_digest = result.scope_digest

    @staticmethod
    def _clear_fault(link: Link) -> None:
        link.last_fault_code = None
        link.last_reason = None

    async def _record(
        self, *, outcome: str, reason: str | None = None, code: int | None = None, scope_digest: str | None = None,
        transition: str | None = None, latency_s: float = 0.0,
    ) -> None:
        self.check = Check(
            link_id=self.link.id, checked_at=self.now, trigger=self.trigger[:16], outcome=outcome,
            reason=reason[:32] if reason else None, fault_code=code, latency_ms=round(latency_s * 1000),
            scope_digest=scope_digest, run_id=self.run_id, transition=transition,
        )
        self.session.add(self.check)
        await self.session.flush()

    @property
    def _check_id(self) -> int:
        assert self.check is not None
        return self.check.id

    async def _alert(self, kind: AlertKind, card: LinkCard, details: dict[str, Any], *, key: str,
                     lang: str | None = None) -> None:
        await queue(self.session, Alert(kind, card, details, lang=lang), key=key)

    def _by(self) -> dict[str, Any]:
        if self.actor is None:
            return {}
        return {"by": self.actor.user_id, "by_platform": self.actor.platform, "by_team": self.actor.team_id}

    @staticmethod
    def _sender(link: Link) -> dict[str, Any]:
        return {"by": link.user_id, "by_platform": link.platform, "by_team": link.team_id}

    @staticmethod
    def _customer(link: Link) -> dict[str, Any]:
        return {"platform": link.platform, "team_id": link.team_id, "user_id": link.user_id}

    async def _customer_result(self, card: LinkCard, link: Link, result: Valid | Rejected) -> None:
        """Tell the customer whose check hit an outage how it ended."""
        if not link.user_id:
            return
        lang = self.policy.language
        words = explain(result, lang)
        details = {
            **self._customer(link), "lang": lang, "outcome": result.outcome,
            "headline": words.headline, "detail": words.detail, "action": words.action,
            "environment": link.environment, "token_last4": link.token_last4,
        }
        if isinstance(result, Rejected):
            details.update(reason=str(result.category), code=result.code, message=result.message)
        await self._alert(AlertKind.CUSTOMER_RESULT, card, details,
                          key=f"link:{link.id}:customer_result:{self._check_id}", lang=lang)

    def _report(
        self, outcome: str, transition: str | None, reason: str | None, *, code: int | None = None,
        result: Validation | None = None, due: datetime | None = None,
    ) -> CheckReport:
        return CheckReport(LinkCard.of(self.link), outcome, transition, reason, fault_code=code,
                           confirm_due_at=due, result=result)


def _seconds(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
