"""The SOAP → REST migration tracker: `/nmbrs migration` answers (also `migration invite`) and the tracker's
support-channel messages (with their buttons), the customer's invite, as Slack blocks and Teams cards, and the
digest's progress line."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from bot.slack import migration_blocks as slack_invite
from bot.teams import migration_cards as teams_invite
from handlers.migration import (
    AlreadyDecided, MarkedNotNeeded, MatchConfirmed, MatchDeclined, MatchGone, MigrationChecklist, MigrationOverview,
    NoDebtor, NotMigrating,
)
from handlers.migration.invite import DebtorLinks
from handlers.migration.outcomes import (
    InviteAllAsk, InvitesDone, InviteSent, InviteTooSoon, InviteUnavailable, InviteWeb, NothingToInvite, WebDebtor,
)
from storage.migration import DebtorMove, LinkMove, Totals
from storage.models import MoveState
from tests.golden.renderings import (
    COMMANDS, DUTCH, LOCALES, LONG, NASTY, T1, Alert, AlertKind, Unavailable, Usage, attempt, dump, lname, slack,
    slack_cmd, teams_cmd, teams_json, teams_support,
)

DEBTORS = (
    DebtorMove(2001, "1", "Bakkerij Jansen", MoveState.COVERED, 41, "consent from migration button", T1),
    DebtorMove(2002, "2", DUTCH, MoveState.COVERED, 42, "support: U123ABC", T1),
    DebtorMove(2003, NASTY[:32], NASTY, MoveState.NOT_NEEDED, None, f"support: {NASTY}", T1),
    DebtorMove(2004, None, LONG, MoveState.TO_MOVE),
    DebtorMove(2005, "5", "", MoveState.TO_MOVE),
)


def moves() -> dict[str, LinkMove]:
    return {
        "five": LinkMove(5, "acc@kantoor.nl", "kantoor", "Hoofdkantoor", "active", DEBTORS),
        "nasty": LinkMove(3141, NASTY, NASTY, NASTY, "broken", DEBTORS[3:]),
        "bare": LinkMove(7, LONG, None, None, "unverified", ()),
    }


def outcomes() -> dict[str, Any]:
    found = moves()
    out: dict[str, Any] = {}
    totals = (Totals(0, 0, 0, 0, 0, 0), Totals(3, 45, 12, 30, 3, 2), Totals(1200, 40000, 39000, 900, 100, 1199))
    for t, total in enumerate(totals):
        for soap_until, days in ((None, None), (date(2027, 6, 30), 210), (date(2027, 6, 30), 1), (date(2027, 6, 30), 0),
                                 (date(2027, 6, 30), -3)):
            for more in (0, 12):
                links = tuple(found.values()) if total.to_move else ()
                out[f"overview_{t}_{days}_{more}"] = MigrationOverview(total, links, more, soap_until, days)
    for name, move in found.items():
        out[f"checklist_{name}"] = MigrationChecklist(move)
        out[f"already_{name}"] = AlreadyDecided(move.link_id, DEBTORS[2])
    for done in (False, True):
        out[f"not_needed_{done}"] = MarkedNotNeeded(5, DEBTORS[3], link_done=done)
        out[f"confirmed_{done}"] = MatchConfirmed(5, DEBTORS[1], 42, link_done=done)
    out["not_migrating"] = NotMigrating(12)
    out["no_debtor"] = NoDebtor(5, NASTY[:32])
    out["match_gone"] = MatchGone(42)
    out["match_declined"] = MatchDeclined(42)
    out["unavailable"] = Unavailable("migration")
    out.update(invite_outcomes())
    for problem in ("too_many", "bad_link", "missing_link", "missing_debtor", "bad_debtor"):
        out[f"usage_{problem}"] = Usage(spec=COMMANDS["migration"], problem=problem, given=NASTY)
    return out


URL = "https://desk.example.nl"
WEB = (WebDebtor("4", "Drukkerij Smit", "I7", f"{URL}/i/{'a' * 43}"), WebDebtor(NASTY[:32], NASTY, "I8", f"{URL}/i/{'b' * 43}"),
       WebDebtor(None, LONG, "I9", f"{URL}/i/{'c' * 43}"))
#: As invites make them: with their expiry (the earliest is shown).
WEB_UNTIL = tuple(dataclasses.replace(d, expires_at=T1 + timedelta(days=7, minutes=i)) for i, d in enumerate(WEB))


def invite_outcomes() -> dict[str, Any]:
    sent = (InviteSent(5, "slack", 2), InviteSent(6, "teams", 40), InviteSent(7, NASTY[:16], 1))
    soon = (InviteTooSoon(8, T1 + timedelta(days=7)), InviteTooSoon(9, T1))
    web = (InviteWeb(10, WEB), InviteWeb(3141, WEB[2:]))
    out: dict[str, Any] = {"invite_no_rest": InviteUnavailable(), "invite_nothing": NothingToInvite(5),
                           "invite_ask_none": InviteAllAsk(0, 0), "invite_ask": InviteAllAsk(3, 12),
                           "invite_ask_many": InviteAllAsk(1200, 39000), "invite_done_none": InvitesDone((), (), ()),
                           "invite_done": InvitesDone(sent, soon, web),
                           "invite_done_many": InvitesDone(sent * 10, soon * 20, (), tuple(range(11, 40))),
                           "invite_web_until": InviteWeb(11, WEB_UNTIL),
                           "invite_done_until": InvitesDone(sent[:1], (), (InviteWeb(11, WEB_UNTIL), *web))}
    for i, outcome in enumerate((*sent, *soon, *web)):
        out[f"invite_{i}"] = outcome
    return out


def debtor_links() -> dict[str, tuple[DebtorLinks, ...]]:
    def one(n: int, number: str | None, name: str) -> DebtorLinks:
        return DebtorLinks(2000 + n, number, name, f"{URL}/connect/nmbrs/start?t={chr(96 + n) * 43}",
                           f"{URL}/i/{chr(65 + n) * 43}", f"I{n}", T1 + timedelta(days=7))

    return {"two": (one(4, "4", "Drukkerij Smit"), one(5, "5", DUTCH)),
            "nasty": (one(1, NASTY[:32], NASTY), one(2, None, LONG), one(3, "", "")),
            "none": ()}


CANDIDATES = [
    {"link_id": 5, "environment": "kantoor", "label": "Hoofdkantoor", "debtor_id": 2003, "debtor_number": "3",
     "debtor_name": "Kapsalon Els"},
    {"link_id": 3141, "environment": NASTY, "label": None, "debtor_id": 9, "debtor_number": NASTY, "debtor_name": LONG},
]
ALERTS = {
    "debtor_migrated": (AlertKind.DEBTOR_MIGRATED, {"debtor_id": 2001, "debtor_number": "1", "debtor_name": DUTCH,
                                                    "rest_link": "L41", "matched_by": "consent from migration button"}),
    "debtor_migrated_nasty": (AlertKind.DEBTOR_MIGRATED, {"debtor_number": NASTY, "debtor_name": LONG,
                                                          "rest_link": NASTY, "matched_by": NASTY}),
    "link_migrated": (AlertKind.LINK_MIGRATED, {"debtors": 5, "covered": 3, "not_needed": 2,
                                                "rest_links": ["L41", "L42", "L43"]}),
    "link_migrated_none": (AlertKind.LINK_MIGRATED, {"debtors": 2, "covered": 0, "not_needed": 2, "rest_links": []}),
    "match_one": (AlertKind.MIGRATION_MATCH, {"rest_link": "L43", "rest_link_id": 43, "debtor_number": "3",
                                              "debtor_name": "Kapsalon Els", "more": 0, "candidates": CANDIDATES[:1]}),
    "match_many": (AlertKind.MIGRATION_MATCH, {"rest_link": "L43", "rest_link_id": 43, "debtor_number": NASTY,
                                               "debtor_name": DUTCH, "more": 4, "candidates": CANDIDATES}),
    "reminder_30": (AlertKind.MIGRATION_REMINDER, {"days": 30, "soap_until": "2027-06-30",
                                                   "totals": {"to_move": 12, "links_to_move": 2}}),
    "reminder_1": (AlertKind.MIGRATION_REMINDER, {"days": 1, "soap_until": "2027-06-30",
                                                  "totals": {"to_move": 1, "links_to_move": 1}}),
}
#: An invite its customer's platform refused for good (handlers.undelivered), as the outbox queues it.
_INVITE = {"platform": "slack", "team_id": "T1", "user_id": "U123ABC", "soap_link_id": 5, "round": "r" * 16,
           "debtors": [{"id": 2004, "number": "4", "name": "Drukkerij Smit"}], "more": 0,
           "invited_by": {"platform": "slack", "user_id": "U0STAFF"}}
UNDELIVERED = {
    "slack_gone": {**_INVITE, "refused_on": "slack", "error": "user_not_found", "external": False},
    "slack_inactive": {**_INVITE, "refused_on": "slack", "error": "account_inactive", "external": False},
    "slack_no_dm": {**_INVITE, "refused_on": "slack", "error": "cannot_dm_bot", "external": True},
    "slack_other": {**_INVITE, "refused_on": "slack", "error": "channel_not_found", "external": False, "more": 3},
    "slack_connect": {**_INVITE, "refused_on": "slack", "error": "restricted_action", "external": True},
    "teams_403": {**_INVITE, "platform": "teams", "refused_on": "teams", "error": "HTTP 403 BotNotInConversationRoster"},
    "teams_404": {**_INVITE, "platform": "teams", "refused_on": "teams", "error": "HTTP 404"},
    "teams_not_installed": {**_INVITE, "platform": "teams", "refused_on": "teams", "error": "NotInstalled"},
    "nasty": {**_INVITE, "refused_on": NASTY, "error": NASTY, "external": NASTY, "more": NASTY},
    "bare": {},
}
PROGRESS = ({"to_move": 2, "links_to_move": 1, "covered": 3, "days_left": 210},
            {"to_move": 40000, "links_to_move": 1200, "covered": 0, "days_left": None})


def migration_family(out: dict[str, str]) -> None:
    from tests.golden.inputs import CARDS

    found = outcomes()
    for lang in LOCALES:
        if lang is None:  # commands and support messages always have a language (the person's, the desk's)
            continue
        ln = lname(lang)
        for name, outcome in found.items():
            out[f"migration/{ln}/{name}/slack"] = dump(attempt(lambda: slack_cmd.render(outcome, lang)))
            out[f"migration/{ln}/{name}/teams"] = dump(attempt(lambda: teams_json(teams_cmd.render(outcome, lang))))
        for name, (kind, details) in ALERTS.items():
            link = CARDS["full"] if kind in (AlertKind.DEBTOR_MIGRATED, AlertKind.LINK_MIGRATED) else None
            alert = Alert(kind=kind, link=link, details=dict(details))
            out[f"migration/{ln}/alert/{name}/slack"] = dump(attempt(lambda: slack_cmd.migration_alert(alert, lang)))
            out[f"migration/{ln}/alert/{name}/teams"] = dump(attempt(lambda: teams_json(teams_cmd.migration_card(alert, lang))))
            out[f"migration/{ln}/alert/{name}/teams.summary"] = dump(attempt(lambda: teams_support.summary(alert, lang)))
        for name, details in UNDELIVERED.items():
            alert = Alert(kind=AlertKind.MIGRATION_UNDELIVERED, link=CARDS["full"], details=dict(details))
            for forward_name, forward in (("urls", WEB_UNTIL), ("urls_no_expiry", WEB[:1]), ("rest_off", ())):
                key = f"migration/{ln}/undelivered/{name}/{forward_name}"
                out[f"{key}/slack"] = dump(attempt(lambda: slack_cmd.migration_alert(alert, lang, forward=forward)))
                out[f"{key}/teams"] = dump(attempt(
                    lambda: teams_json(teams_cmd.migration_card(alert, lang, forward=forward))))
            out[f"migration/{ln}/undelivered/{name}/teams.summary"] = dump(attempt(lambda: teams_support.summary(alert, lang)))
        for (name, links), until in ((item, until) for item in debtor_links().items()
                                     for until in (None, date(2027, 6, 30))):
            key = f"migration/{ln}/invite/{name}/{until}"
            out[f"{key}/slack"] = dump(attempt(lambda: slack_invite.customer_invite(links, until, lang)))
            more = dict(more=3 if until else 0)
            out[f"{key}/slack.more"] = dump(attempt(lambda: slack_invite.customer_invite(links, until, lang, **more)))
            out[f"{key}/teams"] = dump(attempt(lambda: teams_json(teams_invite.customer_invite(links, until, lang)[0])))
            out[f"{key}/teams.summary"] = dump(attempt(lambda: teams_invite.customer_invite(links, until, lang)[1]))
        for i, progress in enumerate(PROGRESS):
            details = {"run_id": 41, "checked": 17, "migration": progress}
            out[f"migration/{ln}/digest/{i}/slack"] = dump(attempt(lambda: slack.support_digest(details, lang)))
            out[f"migration/{ln}/digest/{i}/teams"] = dump(attempt(lambda: teams_json(teams_support.digest(details, lang))))
