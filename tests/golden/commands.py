"""Every `/nmbrs` outcome as Slack blocks and Teams cards, for customers and staff."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta
from typing import Any

from handlers.invitations import BadInvitation, InvitationList, InvitationRevoked, InvitationRow, Invited, NoInvitation
from tests.golden.inputs import CARDS, CHANGES, RUNS
from tests.golden.renderings import (
    AlertRow, AlreadyRevoked, AuditRow, Busy, COMMANDS, CheckAllQueued, CheckQueued, CheckReport, CheckRow,
    Checked, CheckedAll, CmdRefused, DUTCH, Help, History, LOCALES, LONG, Labelled, LinkCard, LinkList,
    LinkStatus, NASTY, NoLink, NotCheckable, OpenConnect, Person, RevokeAsk, RevokeCancelled, Revoked,
    RunSummary, STATES, StatusResult, SupportSummary, T0, T1, TokenInCommand, Unavailable, Unknown, Usage, allowed_commands,
    attempt, dump, lname, slack_cmd, teams_cmd, teams_json, wanted,
)


def statuses() -> list[Any]:
    rows = []
    for (cname, c), st, (checked_at, outcome, reason, fault) in itertools.product(
            CARDS.items(), STATES, ((None, None, None, None), (T1, "valid", None, None),
                                    (T1, "rejected", "credentials", 1000), (T1, "unreachable", LONG, None),
                                    (T1, None, NASTY, 0))):
        rows.append((f"{cname}_{st}_{outcome}", LinkStatus(
            card=dataclasses.replace(c, state=st), created_at=T0, state_changed_at=T1, last_checked_at=checked_at,
            last_outcome=outcome, last_reason=reason, last_fault_code=fault)))
    return rows



def report(c: LinkCard, outcome: str, transition: str | None, reason: str | None, fault: int | None) -> Any:
    return CheckReport(link=c, outcome=outcome, transition=transition, reason=reason, fault_code=fault)


def summary(n_changes: int, failed: int, finished: bool, **extra: Any) -> Any:
    return RunSummary(run_id=41, started_at=T0, finished_at=T1 if finished else None, checked=17 + n_changes,
                      counts={"active": 12, "broken": 2, "pending": 0, "<weird>": 1}, changes=CHANGES[:n_changes],
                      failed=failed, **extra)


INVITE_COMMANDS = ("invite", "invites")
#: Rendered by tests.golden.migration, after everything else.
LATER_COMMANDS = (*INVITE_COMMANDS, "migration")


def invitation_outcomes() -> dict[str, Any]:
    """The answers of `invite`, `invites` and `invite revoke`, with outside text where it may be."""
    out: dict[str, Any] = {"unavailable_invitations": Unavailable(what="invitations")}
    url = "https://desk.example.com/i/" + "A" * 43
    for name, email in (("Acme BV", None), ("hr@acme.nl", "hr@acme.nl"), (NASTY, LONG)):
        out[f"invited_{len(name)}"] = Invited(short_id="I7", url=url, name=name, email=email, expires_at=T1)
    rows = tuple(InvitationRow(short_id=f"I{k}", name=[NASTY, "Acme BV", "x@y.nl"][k % 3], email=[None, LONG, "x@y.nl"][k % 3],
                               created_by=["U123ABC", "29:abc", "operator"][k % 3],
                               created_platform=["slack", "teams", "cli"][k % 3], expires_at=T1) for k in range(4))
    for count in (0, 1, 4):
        out[f"invites_{count}"] = InvitationList(rows=rows[:count])
    out["invitation_revoked"] = InvitationRevoked("I7")
    for shown in ("I7", NASTY):
        out[f"no_invitation_{len(shown)}"] = NoInvitation(shown)
    for problem in ("missing", "too_long", "control", "secret", "brand_new"):
        out[f"bad_invitation_{problem}"] = BadInvitation(problem)
    return out


def command_outcomes() -> dict[str, Any]:
    p = Person(platform="slack", team_id="T1", user_id="U123ABC")
    out: dict[str, Any] = {"open_connect": OpenConnect(), "busy": Busy(), "unavailable": Unavailable(what="recheck")}
    for staff in (False, True):
        out[f"help_{staff}"] = Help(commands=allowed_commands(staff=staff), staff=staff)
        out[f"refused_{staff}"] = CmdRefused(commands=allowed_commands(staff=staff))
        for word in ("", "frobnicate", NASTY, LONG):
            out[f"unknown_{staff}_{len(word)}"] = Unknown(word=word, commands=allowed_commands(staff=staff))
    for k, (spec, problem, given) in enumerate(itertools.product(
            [spec for spec in COMMANDS.values() if spec.name not in LATER_COMMANDS], ("too_many", "missing_label", "label_control", "label_secret", "bad_state", "bad_link",
                                "label_too_long", "query_too_long", "missing_link", "brand_new"),
            (None, "brokn", NASTY))):
        limit = (None, 200)[k % 2]
        out[f"usage_{spec.name}_{problem}_{len(given or '')}_{limit}"] = Usage(spec=spec, problem=problem, given=given, limit=limit)
    for link_id in (0, 12, 10**12):
        out[f"nolink_{link_id}"] = NoLink(link_id=link_id)
        out[f"revoke_cancelled_{link_id}"] = RevokeCancelled(link_id=link_id)
    rows = statuses()
    for staff, query in itertools.product((False, True), (None, "", "bakker", NASTY, LONG[:150])):
        q = "None" if query is None else str(len(query))
        out[f"status_{staff}_{q}_0"] = StatusResult(query=query, links=(), more=0, staff=staff)
        out[f"status_{staff}_{q}_1"] = StatusResult(query=query, links=(rows[0][1],), more=0, staff=staff)
        out[f"status_{staff}_{q}_5more"] = StatusResult(query=query, links=tuple(r for _, r in rows[:5]), more=7, staff=staff)
    for name, row in rows:
        out[f"status_one_{name}"] = StatusResult(query=None, links=(row,), more=0, staff=True)
    cards = list(CARDS.values())
    for st, n, more, (rname, run) in itertools.product((None, "broken", "<x>"), (0, 1, 6, 60), (0, 40), RUNS.items()):
        links = tuple(dataclasses.replace(cards[k % len(cards)], id=k + 1) for k in range(n))
        counts = {s: k for k, s in enumerate(STATES)} if n else {s: 0 for s in STATES}
        out[f"list_{st}_{n}_{more}_{rname}"] = LinkList(state=st, links=links, more=more, counts=counts, last_run=run)
    for (cname, c), st in itertools.product(CARDS.items(), STATES):
        c = dataclasses.replace(c, state=st)
        for kind, make in (("not_checkable", NotCheckable), ("revoke_ask", RevokeAsk), ("revoked", Revoked),
                           ("already_revoked", AlreadyRevoked)):
            out[f"{kind}_{cname}_{st}"] = make(card=c)
        if c.is_rest:  # revoked here; the refresh token revoked at Nmbrs at once, or queued
            out[f"revoked_{cname}_{st}_at_nmbrs"] = Revoked(card=c, at_nmbrs=True)
            out[f"revoked_{cname}_{st}_queued"] = Revoked(card=c, at_nmbrs=False)
        out[f"check_queued_{cname}_{st}"] = CheckQueued(card=c, person=p)
        previous = (None, "", "oud", NASTY)[len(out) % 4]
        out[f"labelled_{cname}_{st}_{len(previous) if previous is not None else None}"] = Labelled(card=c, previous=previous)
    for k, (outcome, transition) in enumerate(itertools.product(
            ("valid", "rejected", "unreachable", "error", "skipped", "stale", "odd<>"),
            (None, "activated", "rejected", "rotated", "broken", "restored", "unverified", "scope_changed",
             "confirming", "new_one"))):
        (cname, c), reason, fault = [("full", CARDS["full"]), ("nasty", CARDS["nasty"])][k % 2], (None, "credentials", LONG)[k % 3], (None, 1002)[k // 2 % 2]
        out[f"checked_{cname}_{outcome}_{transition}_{len(reason or '')}_{fault}"] = Checked(
            report=report(c, outcome, transition, reason, fault))
    for total in (0, 1, 250):
        out[f"check_all_queued_{total}"] = CheckAllQueued(total=total, person=p)
    for n, failed, finished in itertools.product((0, 1, 20, 21, 25), (0, 3), (True, False)):
        out[f"checked_all_{n}_{failed}_{finished}"] = CheckedAll(summary=summary(n, failed, finished))
    checks = [CheckRow(checked_at=T0 + timedelta(hours=k), trigger=["schedule", "command", "<x>"][k % 3],
                       outcome=["valid", "rejected", "unreachable", "error", "skipped", "stale"][k % 6],
                       reason=[None, "credentials", NASTY, LONG][k % 4], fault_code=[None, 1000][k % 2],
                       latency_ms=k * 37) for k in range(15)]
    audits = [AuditRow(at=T1 + timedelta(minutes=k), platform=["slack", "teams", "api"][k % 3],
                       actor=["U123ABC", "29:abc", NASTY, ""][k % 4], action=["label", "revoke", "<x>"][k % 3],
                       result=["ok", "refused", NASTY][k % 3]) for k in range(10)]
    for cname, nc, mc, na, ma in itertools.product(("full", "nasty", "bare"), (0, 1, 15), (0, 9), (0, 1, 10), (0, 4)):
        out[f"history_{cname}_{nc}_{mc}_{na}_{ma}"] = History(card=CARDS[cname], checks=tuple(checks[:nc]), more_checks=mc,
                                                             audits=tuple(audits[:na]), more_audits=ma)
    # Last, so that the inputs chosen by len(out) above stay the same (issue 12 finding 8).
    out["token_in_command"] = TokenInCommand()
    # Last, so that the spread of inputs over the odd locales (by position) stays as it was.
    out.update(invitation_outcomes())
    for spec, problem, given in itertools.product(
            [COMMANDS[name] for name in INVITE_COMMANDS],
            ("too_many", "missing_name", "missing_invitation", "bad_invitation", "label_too_long"), (None, NASTY)):
        out[f"usage_{spec.name}_{problem}_{len(given or '')}"] = Usage(spec=spec, problem=problem, given=given, limit=200)
    return out



def command_family(out: dict[str, str]) -> None:
    outcomes = command_outcomes()
    for lang in LOCALES:
        ln = lname(lang)
        for k, (name, outcome) in enumerate(outcomes.items()):
            if not wanted(lang, k):
                continue
            out[f"cmd/{ln}/{name}/slack"] = dump(attempt(lambda: slack_cmd.render(outcome, lang)))
            out[f"cmd/{ln}/{name}/teams"] = dump(attempt(lambda: teams_json(teams_cmd.render(outcome, lang))))
            if not name.startswith(("status", "history")):
                continue  # only these show people, whose rendering depends on the home team and known names
            out[f"cmd/{ln}/{name}/slack.home_team"] = dump(attempt(lambda: slack_cmd.render(outcome, lang, home_team="T1")))
            out[f"cmd/{ln}/{name}/teams.names"] = dump(attempt(lambda: teams_json(teams_cmd.render(
                outcome, lang, names={"29:abc": "Jan <de> *Vries*", "U123ABC": DUTCH}))))
        out[f"cmd/{ln}/summary_of"] = dump(attempt(lambda: teams_cmd.summary_of(Busy(), lang)))
        out[f"cmd/{ln}/working"] = dump(attempt(lambda: slack_cmd.working_message(lang)))
        out[f"cmd/{ln}/connect_failed"] = dump(attempt(lambda: slack_cmd.connect_failed_message(lang)))
        for ref in ("abc123", NASTY):
            out[f"cmd/{ln}/failed/{len(ref)}/slack"] = dump(attempt(lambda: slack_cmd.failed_message(lang, ref)))
            out[f"cmd/{ln}/failed/{len(ref)}/teams"] = dump(attempt(lambda: teams_json(teams_cmd.failed_card(lang, ref))))
        for na, nu, (rname, run), team in itertools.product((0, 1, 8), (0, 1, 8), RUNS.items(), (None, "T1")):
            alerts = tuple(AlertRow(kind=["broken", "<x>", "digest"][k % 3], link_id=[None, 12][k % 2], created_at=T0,
                                    sent_at=[None, T1][k % 2]) for k in range(na))
            audits = tuple(AuditRow(at=T1, platform=["slack", "teams"][k % 2], actor=["U123ABC", "29:abc"][k % 2],
                                    action="label", result=["ok", "refused"][k % 2]) for k in range(nu))
            counts = {s: (k if na else 0) for k, s in enumerate(STATES)}
            out[f"cmd/{ln}/home_blocks/{na}/{nu}/{rname}/{team}"] = dump(attempt(lambda: slack_cmd.home_blocks(
                SupportSummary(counts=counts, alerts=alerts, audits=audits, last_run=run), lang, home_team=team)))
    for done, total, nl in itertools.product((0, 1, 7, 250), (0, 1, 250), (False, True)):
        out[f"cmd/progress/{done}/{total}/{nl}/slack"] = dump(slack_cmd.check_all_progress(done, total, nl))
        out[f"cmd/progress/{done}/{total}/{nl}/teams"] = dump(teams_json(teams_cmd.progress_card(done, total, nl)))
