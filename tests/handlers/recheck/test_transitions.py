"""The link state machine as a table: every checked state against every kind of check outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from handlers.model import AlertKind as K
from handlers.recheck.transitions import Answer, Decision, LinkFacts, Rules, decide
from storage.models import LinkState as S

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
DELAY = timedelta(minutes=15)
DUE = NOW + DELAY
EARLIER = NOW - timedelta(minutes=1)
LATER = NOW + timedelta(minutes=5)
UNVERIFIED_AFTER = 3


def rules(trigger: str = "recheck", *, nights: bool = True, notify: bool = True) -> Rules:
    return Rules(trigger=trigger, counts_nights=nights, unverified_after=UNVERIFIED_AFTER, confirm_delay=DELAY,
                 notify_customers=notify)


def facts(state: S, *, streak: int = 0, due: datetime | None = None, customer: bool = True) -> LinkFacts:
    return LinkFacts(state=state, failed_checks=streak, confirm_due_at=due, has_customer=customer)


def d(state: S, transition: str | None, alerts: tuple[K, ...] = (), streak: int = 0, due: datetime | None = None,
      **extra: bool) -> Decision:
    return Decision(state, transition, alerts, streak, due, **extra)


CASES = [
    # -- valid ---------------------------------------------------------------------------------
    ("pending valid", facts(S.PENDING), Answer.VALID, rules(), False,
     d(S.ACTIVE, "activated", (K.ACTIVATED, K.CUSTOMER_RESULT))),
    ("pending valid, sender unknown", facts(S.PENDING, customer=False), Answer.VALID, rules(), False,
     d(S.ACTIVE, "activated", (K.ACTIVATED,))),
    ("active valid", facts(S.ACTIVE, streak=2), Answer.VALID, rules(), False, d(S.ACTIVE, None)),
    ("active valid, confirmation waiting", facts(S.ACTIVE, due=LATER), Answer.VALID, rules(), False,
     d(S.ACTIVE, None)),
    ("active valid, scope changed", facts(S.ACTIVE), Answer.VALID, rules(), True,
     d(S.ACTIVE, "scope_changed", (K.SCOPE_CHANGED,))),
    ("unverified valid", facts(S.UNVERIFIED, streak=4), Answer.VALID, rules(), False,
     d(S.ACTIVE, "restored", (K.RESTORED,))),
    ("broken valid", facts(S.BROKEN), Answer.VALID, rules("manual"), False,
     d(S.ACTIVE, "restored", (K.RESTORED,))),
    ("broken valid, scope changed", facts(S.BROKEN), Answer.VALID, rules(), True,
     d(S.ACTIVE, "restored", (K.RESTORED, K.SCOPE_CHANGED))),
    # -- definitive failure --------------------------------------------------------------------
    ("pending rejected", facts(S.PENDING), Answer.REJECTED, rules(), False,
     d(S.REJECTED, "rejected", (K.CUSTOMER_RESULT,), destroy_token=True)),
    ("pending rejected, sender unknown", facts(S.PENDING, customer=False), Answer.REJECTED, rules(), False,
     d(S.REJECTED, "rejected", (), destroy_token=True)),
    ("active rejected first time", facts(S.ACTIVE, streak=1), Answer.REJECTED, rules(), False,
     d(S.ACTIVE, None, due=DUE, confirming=True)),
    ("unverified rejected first time", facts(S.UNVERIFIED, streak=5), Answer.REJECTED, rules(), False,
     d(S.UNVERIFIED, None, due=DUE, confirming=True)),
    ("active rejected before the delay", facts(S.ACTIVE, due=LATER), Answer.REJECTED, rules("manual"), False,
     d(S.ACTIVE, None, due=LATER, confirming=True)),
    ("active rejected, confirmed by the confirming attempt", facts(S.ACTIVE, due=LATER), Answer.REJECTED,
     rules("confirm"), False, d(S.BROKEN, "broken", (K.BROKEN, K.CUSTOMER_BROKEN))),
    ("active rejected after the delay", facts(S.ACTIVE, due=EARLIER), Answer.REJECTED, rules(), False,
     d(S.BROKEN, "broken", (K.BROKEN, K.CUSTOMER_BROKEN))),
    ("unverified rejected, confirmed", facts(S.UNVERIFIED, due=EARLIER), Answer.REJECTED, rules("confirm"), False,
     d(S.BROKEN, "broken", (K.BROKEN, K.CUSTOMER_BROKEN))),
    ("confirmed, customers not notified", facts(S.ACTIVE, due=EARLIER), Answer.REJECTED,
     rules("confirm", notify=False), False, d(S.BROKEN, "broken", (K.BROKEN,))),
    ("confirmed, sender unknown", facts(S.ACTIVE, due=EARLIER, customer=False), Answer.REJECTED,
     rules("confirm"), False, d(S.BROKEN, "broken", (K.BROKEN,))),
    ("broken rejected", facts(S.BROKEN, streak=2), Answer.REJECTED, rules(), False, d(S.BROKEN, None)),
    # -- transient failure ---------------------------------------------------------------------
    ("active unreachable, below the limit", facts(S.ACTIVE, streak=0), Answer.UNREACHABLE, rules(), False,
     d(S.ACTIVE, None, streak=1)),
    ("active unreachable, reaching the limit", facts(S.ACTIVE, streak=UNVERIFIED_AFTER - 1), Answer.UNREACHABLE,
     rules(), False, d(S.UNVERIFIED, "unverified", (K.UNVERIFIED,), streak=UNVERIFIED_AFTER)),
    ("active unreachable, above the limit", facts(S.ACTIVE, streak=UNVERIFIED_AFTER + 1), Answer.UNREACHABLE,
     rules(), False, d(S.UNVERIFIED, "unverified", (K.UNVERIFIED,), streak=UNVERIFIED_AFTER + 2)),
    ("unverified unreachable, above the limit", facts(S.UNVERIFIED, streak=UNVERIFIED_AFTER), Answer.UNREACHABLE,
     rules(), False, d(S.UNVERIFIED, None, streak=UNVERIFIED_AFTER + 1)),
    ("pending unreachable", facts(S.PENDING, streak=UNVERIFIED_AFTER), Answer.UNREACHABLE, rules(), False,
     d(S.PENDING, None, streak=UNVERIFIED_AFTER + 1)),
    ("broken unreachable", facts(S.BROKEN, streak=1), Answer.UNREACHABLE, rules(), False,
     d(S.BROKEN, None, streak=1)),
    ("unreachable in support's check all: not a night", facts(S.ACTIVE, streak=UNVERIFIED_AFTER - 1),
     Answer.UNREACHABLE, rules(nights=False), False, d(S.ACTIVE, None, streak=UNVERIFIED_AFTER - 1)),
    ("unreachable on a single check: not a night", facts(S.ACTIVE, streak=UNVERIFIED_AFTER - 1),
     Answer.UNREACHABLE, rules("manual"), False, d(S.ACTIVE, None, streak=UNVERIFIED_AFTER - 1)),
    ("unreachable on the confirming attempt: asked again later", facts(S.ACTIVE, due=EARLIER),
     Answer.UNREACHABLE, rules("confirm"), False, d(S.ACTIVE, None, due=DUE)),
    ("unreachable in a run while a confirmation waits", facts(S.ACTIVE, due=LATER), Answer.UNREACHABLE,
     rules(), False, d(S.ACTIVE, None, streak=1, due=LATER)),
    # -- a fault on our side (decryption, unexpected exception): nothing changes ---------------------
    *[(f"{state} error", facts(state, streak=1, due=LATER), Answer.ERROR, rules(), False,
       d(state, None, streak=1, due=LATER)) for state in (S.PENDING, S.ACTIVE, S.UNVERIFIED, S.BROKEN)],
    # -- the run found SOAP switched off: nothing changes, nobody is told per link -------------------
    *[(f"{state} while SOAP looks switched off", facts(state, streak=UNVERIFIED_AFTER - 1, due=LATER),
       Answer.SWITCHED_OFF, rules(), False, d(state, None, streak=UNVERIFIED_AFTER - 1, due=LATER))
      for state in (S.PENDING, S.ACTIVE, S.UNVERIFIED, S.BROKEN)],
    # -- a fault code outside 1001-1004: state, streak and confirmation kept; support told -----------
    *[(f"{state} unexpected fault", facts(state, streak=1, due=LATER), Answer.UNEXPECTED, rules(), False,
       d(state, None, (K.UNVERIFIED,), streak=1, due=LATER))
      for state in (S.PENDING, S.ACTIVE, S.UNVERIFIED, S.BROKEN)],
    # -- revoked and rejected links hold no token: no answer moves them ------------------------------
    *[(f"{state} {answer}", facts(state), answer, rules(), False, d(state, None))
      for state in (S.REVOKED, S.REJECTED)
      for answer in (Answer.VALID, Answer.REJECTED, Answer.UNREACHABLE, Answer.UNEXPECTED, Answer.ERROR,
                     Answer.SWITCHED_OFF)],
    # -- a pending link's token turns out to replace an existing link's ------------------------------
    ("new token for an active link", facts(S.ACTIVE), Answer.NEW_TOKEN, rules(), False,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.CUSTOMER_RESULT))),
    ("new token for an active link, scope changed", facts(S.ACTIVE), Answer.NEW_TOKEN, rules(), True,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.SCOPE_CHANGED, K.CUSTOMER_RESULT))),
    ("new token for a broken link", facts(S.BROKEN, due=LATER), Answer.NEW_TOKEN, rules(), True,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.RESTORED, K.SCOPE_CHANGED, K.CUSTOMER_RESULT))),
    ("new token for an unverified link", facts(S.UNVERIFIED, streak=4, customer=False), Answer.NEW_TOKEN,
     rules(), False, d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.RESTORED))),
    ("new token for a pending link", facts(S.PENDING), Answer.NEW_TOKEN, rules(), True,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.CUSTOMER_RESULT))),
    ("new token for a revoked link", facts(S.REVOKED), Answer.NEW_TOKEN, rules(), True,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.CUSTOMER_RESULT))),
    ("new token for a rejected link", facts(S.REJECTED), Answer.NEW_TOKEN, rules(), True,
     d(S.ACTIVE, "rotated", (K.ACTIVATED, K.TOKEN_REPLACED, K.CUSTOMER_RESULT))),
]


@pytest.mark.parametrize(("link", "answer", "rules_", "scope_changed", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_transition(link: LinkFacts, answer: Answer, rules_: Rules, scope_changed: bool, expected: Decision) -> None:
    assert decide(link, answer, rules=rules_, now=NOW, scope_changed=scope_changed) == expected


def test_every_state_meets_every_answer() -> None:
    covered = {(case[1].state, case[2]) for case in CASES}
    assert covered == {(state, answer) for state in S for answer in Answer}
