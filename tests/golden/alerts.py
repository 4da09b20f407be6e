"""Support-channel alerts (thread parents, updates, notes, a stuck customer, the digest, SOAP switched off and
back) and customer alert DMs, as the Slack and Teams notifiers send them."""

from __future__ import annotations

import dataclasses

import itertools

from handlers.text import conversation, customer_alerts
from tests.golden.inputs import CARDS, CUSTOMER_DETAILS, NAMES
from tests.golden.renderings import (
    Alert, AlertKind, DUTCH, LOCALES, LONG, NASTY, attempt, dump, lname, replies, slack, teams, teams_activity,
    teams_json, teams_support, wanted,
)


#: What the notifiers post in (or, without a link, above) a link's thread; the other kinds never go there.
THREAD_KINDS = tuple(kind for kind in AlertKind if kind not in (
    AlertKind.CUSTOMER_BROKEN, AlertKind.CUSTOMER_RESULT, AlertKind.CUSTOMER_CONSENT, AlertKind.CUSTOMER_MIGRATION,
    AlertKind.CUSTOMER_STUCK,
    AlertKind.DIGEST, AlertKind.SOAP_SWITCHED_OFF, AlertKind.SOAP_ANSWERING,
    # the migration tracker's: rendered as the notifiers send them by tests.golden.migration
    AlertKind.DEBTOR_MIGRATED, AlertKind.LINK_MIGRATED, AlertKind.MIGRATION_MATCH, AlertKind.MIGRATION_REMINDER,
    AlertKind.MIGRATION_UNDELIVERED))
ALERT_DETAILS = (
    {},
    {"by": "U123ABC"},
    {"by": "29:abc", "by_platform": "teams", "via": "teams command"},
    {"by": NASTY, "by_platform": "api", "via": LONG},
    {"category": "credentials", "code": 1000, "previous_state": "active"},
    {"reason": "rights", "code": 1002, "previous_state": "<weird>"},
    {"category": NASTY, "code": "<1>", "message": LONG},
    {"category": "subscription", "code": None},
    {"cause": "timeout", "nights": 3},
    {"reason": "html", "nights": "<7>"},
    {"cause": "bogus", "code": 9999, "previous_state": "pending"},
    {"debtors_added": [NASTY, DUTCH, "D3"], "companies_removed": [f"C{k}" for k in range(25)]},
    {"debtors_removed": [LONG], "companies_added": []},
    {"label": "Nieuw", "previous": "Oud"},
    {"label": None, "previous": NASTY},
    {"label": LONG},
    {"attempts": 3, "queued_at": "2026-11-23T01:30:00+00:00"},
    {"attempts": NASTY, "queued_at": NASTY, "earlier_consent": True},
)
DIGESTS_IN = (
    {},
    {"run_id": 41, "checked": 0},
    {"run_id": NASTY, "checked": 17, "outcomes": {"valid": 12, "rejected": 0, "unreachable": 3, "<x>": 2},
     "counts": {"active": 12, "broken": 2, "pending": 0, "<weird>": 1}, "failed": 2,
     "changes": [{"link": f"L{k}", "environment": [None, DUTCH, NASTY][k % 3], "username": ["a@b.nl", NASTY][k % 2],
                  "transition": ["broken", "restored", None][k % 3], "state": "active",
                  "reason": [None, LONG][k % 2]} for k in range(6)], "changes_total": 40,
     "broken": [{"link": "L3", "environment": "E", "username": "u", "category": "credentials", "code": 1000},
                {"link": None, "username": None}, {"link": LONG, "reason": NASTY}], "broken_total": 2,
     "failures": [{"link": "L9", "username": "z", "reason": "decrypt"}, {"link": "L10"}, "not a mapping"]},
    {"checked": "<3>", "outcomes": "not a mapping", "counts": [], "changes": "nope", "broken": [], "failed": "x"},
)
#: The desk-wide SOAP alerts' details (handlers.recheck.switchoff), with and without the migration's numbers.
SOAP_IN = (
    {},
    {"run_id": 12, "checks": 200, "signs": 200, "reason": "soap_switched_off", "migration": None},
    {"run_id": 13, "checks": 40, "signs": 33, "migration": {"soap_links": 40, "debtors_to_move": 31,
                                                            "debtors_covered": 9, "days_left": 12}},
    {"run_id": NASTY, "checks": "<3>", "signs": LONG, "migration": {"soap_links": NASTY, "debtors_to_move": None,
                                                                    "days_left": "<7>"}},
    {"checks": 10, "signs": 0, "migration": "not a mapping"},
)
STUCK = (
    {},
    {"platform": "slack", "user_id": "U123ABC", "attempts": 3, "category": "credentials", "code": 1000,
     "username": "jan@bakker.nl"},
    {"platform": "teams", "user_id": "29:abc", "attempts": "<4>", "reason": NASTY, "username": LONG},
    {"platform": "slack", "user_id": NASTY, "cause": "timeout"},
)


#: A link made on the invitation page (no chat user), and the details of its INVITED alert.
WEB_CARD = dataclasses.replace(CARDS["full"], id=77, state="broken", platform="web", team_id="invitation", user_id="I7")
INVITED_DETAILS = (
    {"invitation": "I7", "name": NASTY, "email": LONG, "by": "U123ABC", "by_platform": "slack", "by_team": "T1"},
    {"invitation": "I8", "name": "hr@acme.nl", "email": None, "by": "operator", "by_platform": "cli"},
    # A shared channel's Connect message: the form (no e-mail), then an invitation made for the presser.
    {"invitation": "I7", "name": "Acme BV", "email": None, "channel": "C0SHARED", "by": "U0GUEST",
     "by_platform": "slack", "by_team": "T0OTHERORG"},
    {"invitation": "I9", "name": f"{NASTY} (T0OTHERORG)", "email": None, "channel": NASTY, "from_invitation": "I7",
     "by": "U0GUEST", "by_platform": "slack", "by_team": "T0OTHERORG"},
)


def web_family(out: dict[str, str], lang: str | None) -> None:
    """Invitation links in the support thread: the parent, the INVITED post, a break with no chat to reach them."""
    ln = lname(lang)
    alerts = [(f"invited/{i}", Alert(kind=AlertKind.INVITED, link=WEB_CARD, details=dict(d), lang=lang))
              for i, d in enumerate(INVITED_DETAILS)]
    alerts.append(("broken", Alert(kind=AlertKind.BROKEN, link=WEB_CARD, details={"category": "credentials", "code": 1001},
                                   lang=lang)))
    out[f"alert/{ln}/web/parent/slack"] = dump(attempt(lambda: slack.support_parent(WEB_CARD, lang, by="I7")))
    out[f"alert/{ln}/web/parent/teams"] = dump(attempt(lambda: teams_json(teams_support.parent(WEB_CARD, lang, by="I7"))))
    for name, alert in alerts:
        out[f"alert/{ln}/web/{name}/slack"] = dump(attempt(lambda: slack.support_update(alert, lang)))
        out[f"alert/{ln}/web/{name}/teams"] = dump(attempt(lambda: teams_json(teams_support.update(alert, lang))))


def alert_family(out: dict[str, str]) -> None:
    for lang in LOCALES:
        web_family(out, lang)
        ln = lname(lang)
        for (cname, c), by in itertools.product(CARDS.items(), (None, "U999XYZ", "29:abc", NASTY)):
            key = f"alert/{ln}/parent/{cname}/{by!r:.12}"
            out[f"{key}/slack"] = dump(attempt(lambda: slack.support_parent(c, lang, by=by)))
            out[f"{key}/teams"] = dump(attempt(lambda: teams_json(teams_support.parent(c, lang, by=by))))
            out[f"{key}/teams.names"] = dump(attempt(lambda: teams_activity(teams_support.parent(c, lang, by=by, names=NAMES),
                                                                            c.short_id)))
        for k, (kind, (i, details), cname) in enumerate(itertools.product(THREAD_KINDS, enumerate(ALERT_DETAILS), ("full", "nasty", "bare"))):
            if not wanted(lang, k):
                continue
            alert = Alert(kind=kind, link=CARDS[cname], details=dict(details), lang=lang)
            key = f"alert/{ln}/update/{kind.value}/{i}/{cname}"
            out[f"{key}/slack"] = dump(attempt(lambda: slack.support_update(alert, lang)))
            out[f"{key}/teams"] = dump(attempt(lambda: teams_json(teams_support.update(alert, lang))))
            out[f"{key}/teams.names"] = dump(attempt(lambda: teams_json(teams_support.update(alert, lang, names=NAMES))))
            out[f"{key}/teams.summary"] = dump(attempt(lambda: teams_support.summary(alert, lang)))
            if cname == "full":
                bare = Alert(kind=kind, link=None, details=dict(details), lang=lang)
                out[f"alert/{ln}/note/{kind.value}/{i}/slack"] = dump(attempt(lambda: slack.support_note(bare, lang)))
                out[f"alert/{ln}/note/{kind.value}/{i}/teams"] = dump(attempt(lambda: teams_activity(
                    teams_support.note(bare, lang), teams_support.summary(bare, lang))))
        for i, details in enumerate(STUCK):
            out[f"alert/{ln}/stuck/{i}/slack"] = dump(attempt(lambda: slack.support_stuck(details, lang)))
            out[f"alert/{ln}/stuck/{i}/teams"] = dump(attempt(lambda: teams_json(teams_support.stuck(details, lang))))
            out[f"alert/{ln}/stuck/{i}/teams.names"] = dump(attempt(lambda: teams_json(teams_support.stuck(details, lang, names=NAMES))))
        for (i, details), kind in itertools.product(enumerate(SOAP_IN), (AlertKind.SOAP_SWITCHED_OFF,
                                                                          AlertKind.SOAP_ANSWERING)):
            soap = Alert(kind=kind, details=dict(details))
            out[f"alert/{ln}/soap/{kind.value}/{i}/slack"] = dump(attempt(lambda: slack.support_soap(soap, lang)))
            out[f"alert/{ln}/soap/{kind.value}/{i}/teams"] = dump(attempt(lambda: teams_activity(
                teams_support.soap(soap, lang), teams_support.summary(soap, lang))))
        for i, details in enumerate(DIGESTS_IN):
            digest = Alert(kind=AlertKind.DIGEST, details=dict(details))
            out[f"alert/{ln}/digest/{i}/slack"] = dump(attempt(lambda: slack.support_digest(details, lang)))
            out[f"alert/{ln}/digest/{i}/teams"] = dump(attempt(lambda: teams_activity(
                teams_support.digest(details, lang), teams_support.summary(digest, lang))))
        for k, ((cname, c), (i, details), kind) in enumerate(itertools.product(
                CARDS.items(), enumerate(CUSTOMER_DETAILS), (AlertKind.CUSTOMER_BROKEN, AlertKind.CUSTOMER_RESULT))):
            if not wanted(lang, k):
                continue
            # What both notifiers send a customer; the language falls back to the desk's when the alert has none.
            said = replies.lang_of(lang, "nl")
            make = customer_alerts.customer_broken if kind is AlertKind.CUSTOMER_BROKEN else customer_alerts.customer_result
            reply = attempt(lambda: make(c, details, said))
            if isinstance(reply, dict):
                out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}"] = dump(reply)
                continue
            out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}/teams.activity"] = dump(attempt(lambda: teams_activity(
                teams.reply_card(reply, said, form_intro=conversation.form_intro(said)), reply.headline)))
            out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}/slack"] = dump(attempt(lambda: slack.reply_message(reply, said)))
