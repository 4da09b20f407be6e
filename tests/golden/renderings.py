"""Every message the bot can render, over generated inputs: case name -> exact text, to prove a reshape
changed no byte. `python -m tests.golden.renderings --dump FILE` writes them all; `--update` rewrites the
committed digests (renderings.sha256.json) that tests/golden/test_renderings.py compares against.
"""

from __future__ import annotations

# ==== ADAPTER: the only place that names modules of the code under test. After a reshape, change the ====
# ==== import lines (and, if a function moved or changed shape, its tiny wrapper) here and nowhere else. ====
import dataclasses
from bot.nmbrs.result import (Company, Debtor, InvalidInput, Rejected, RejectionCategory, Unreachable,
                              UnreachableCause, Valid)
from bot.nmbrs.explain import explain, explain_input
from bot.nmbrs.validate_cmd import _print_invalid as validate_invalid, _summary as validate_summary
from bot.recheck_cmd import render as recheck_render
from bot.slack import blocks as slack, command_blocks as slack_cmd
from bot.teams import cards as teams, command_cards as teams_cmd, support_cards as teams_support
from handlers import replies
from handlers.alerts import Alert, AlertKind, LinkCard
from handlers.commands import (COMMANDS, AlertRow, AlreadyRevoked, AuditRow, Busy, CheckAllQueued, Checked,
                               CheckedAll, CheckQueued, CheckRow, Help, History, Labelled, LinkList, LinkStatus,
                               NoLink, NotCheckable, OpenConnect, Refused as CmdRefused, RevokeAsk,
                               RevokeCancelled, Revoked, RunInfo, StatusResult, SupportSummary, Unavailable,
                               Unknown, Usage, allowed_commands)
from handlers.intake import BadInput, Connected, Limited, Pending, Refused
from handlers.markup import cut
from handlers.ports import Person
from handlers.recheck import CheckReport, RunSummary
from storage.models import LinkState

CLI_MAIN = "bot.cli:main"  # run in-process as `tokendesk links`
CLI_SEED = ("storage.db:create_engine", "storage.db:session_factory", "storage.migrate:upgrade",
            "storage.links:store_credentials", "storage.cipher:TokenCipher", "storage.cipher:parse_keys",
            "storage.cipher:generate_key_line")


def teams_channel_card(reply, lang):  # bot.teams.listeners.TeamsListeners._channel_card, a method on a live object
    note = ("Open een chat met mij (tokendesk) om je gegevens veilig in te vullen." if replies.is_nl(lang)
            else "Open a chat with me (tokendesk) to fill in your details safely.")
    return teams.reply_card(dataclasses.replace(reply, offer_connect=False, notes=(*reply.notes, note)), lang)


teams_json = teams.card_json


def teams_activity(content, summary):  # what bot.teams.cards.message sends: the card and its preview
    return teams.message(content, summary).model_dump(by_alias=True, exclude_none=True)


STATES = tuple(state.value for state in LinkState)
# ==== END ADAPTER =======================================================================================

import argparse  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

DIGESTS = Path(__file__).with_name("renderings.sha256.json")
LOCALES: tuple[str | None, ...] = ("en", "nl", "nl-BE", "en-GB", "de", None)
#: Every input is rendered in these; each odd locale takes its own quarter of the inputs.
MAIN_LOCALES = ("en", "nl")
T0 = datetime(2026, 3, 1, 8, 30, 15, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=3, minutes=7)
LONG = "Lang & <lang> " * 240  # 3360 characters: past every cut limit, escapes at the cut
NASTY = "<!channel> <@U123> & *bold* _it_ ~st~ `code` <https://x.y|klik> # 1. - [a](b) \\"
DUTCH = "Bakkerij ‘De Eendracht’ Ĳsselmonde — café ëïö 🥐🇳🇱"
TEXTS = ("", "Acme BV", NASTY, DUTCH, LONG)


def dump(value: Any) -> str:
    """The one serialization: order as built, non-ASCII as is."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def wanted(lang: str | None, k: int) -> bool:
    """Whether input number `k` is rendered in `lang`: all in en and nl, a spread quarter in each odd locale."""
    return lang in MAIN_LOCALES or k % 4 == LOCALES.index(lang) % 4


def lname(lang: str | None) -> str:
    return "None" if lang is None else (lang or "empty")


# --- inputs -------------------------------------------------------------------------------------------


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


def customer_replies(lang: Any) -> dict[str, Any]:
    """Every Reply a customer can get, by name."""
    out: dict[str, Any] = {}
    for k, ((vname, valid), (created, replaced, restored)) in enumerate(itertools.product(
            [(k, v) for k, v in VALIDATIONS.items() if k.startswith("valid_")],
            ((True, False, False), (False, True, False), (False, False, True), (False, True, True)))):
        cname = ("full", "bare", "many", "nasty", "long")[k % 5]
        outcome = Connected(card=CARDS[cname], result=valid, created=created, replaced=replaced, restored=restored)
        out[f"connected_{vname}_{cname}_{int(created)}{int(replaced)}{int(restored)}"] = outcome
    for k, (vname, rejected) in enumerate((k, v) for k, v in VALIDATIONS.items() if k.startswith("rejected_")):
        left = (0, 1, 4)[k % 3]
        out[f"refused_{vname}_{left}"] = Refused(result=rejected, attempts_left=left)
    for k, (vname, unreachable) in enumerate((k, v) for k, v in VALIDATIONS.items() if k.startswith("unreachable_")):
        cname = ("full", "bare", "nasty")[k % 3]
        out[f"pending_{vname}_{cname}"] = Pending(card=CARDS[cname], result=unreachable)
    for reason, field in itertools.product(REASONS, ("username", "token")):
        out[f"badinput_{reason}_{field}"] = BadInput(reason=reason, field=field)
    for d in DURATIONS:
        out[f"limited_{int(d.total_seconds())}"] = Limited(retry_after=d)
    made = {name: (lambda o=o: replies.outcome_reply(o, lang)) for name, o in out.items()}
    for name in ("welcome", "form_intro", "internal_error", "checking", "modal_gone", "channel_exposed", "channel_hint"):
        made[name] = lambda name=name: getattr(replies, name)(lang)
    for username, d in itertools.product(("jan@bakker.nl", "", NASTY), DURATIONS):
        made[f"ask_token_{len(username)}_{int(d.total_seconds())}"] = lambda u=username, d=d: replies.ask_token(u, d, lang)
    for last4, d in itertools.product(("AbCd", None, "<&>"), DURATIONS):
        made[f"ask_username_{last4}_{int(d.total_seconds())}"] = lambda t=last4, d=d: replies.ask_username(t, d, lang)
    for (cname, c), (i, details) in itertools.product(CARDS.items(), enumerate(CUSTOMER_DETAILS)):
        made[f"customer_broken_{cname}_{i}"] = lambda c=c, d=details: replies.customer_broken(c, d, lang)
        made[f"customer_result_{cname}_{i}"] = lambda c=c, d=details: replies.customer_result(c, d, lang)
    return made


def attempt(make: Callable[[], Any]) -> Any:
    """The value, or what was raised: an exception is behaviour too, and must stay the same."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001
        return {"raised": type(exc).__name__, "message": str(exc)}


# --- families ------------------------------------------------------------------------------------------


def customer_family(out: dict[str, str]) -> None:
    for lang in LOCALES:
        ln = lname(lang)
        for k, (name, make) in enumerate(customer_replies(lang).items()):
            if not wanted(lang, k):
                continue
            reply = attempt(make)
            key = f"reply/{ln}/{name}"
            if isinstance(reply, dict):
                out[key] = dump(reply)
                continue
            out[f"{key}/text"] = reply.text()
            out[f"{key}/slack.message"] = dump(attempt(lambda: slack.reply_message(reply, lang)))
            out[f"{key}/slack.dm_token_pasted"] = dump(attempt(lambda: slack.reply_message(reply, lang, notes=[replies.delete_hint(lang)])))
            out[f"{key}/slack.modal_outcome"] = dump(attempt(lambda: slack.modal_outcome(reply, lang, username=NASTY)))
            out[f"{key}/teams.card"] = dump(attempt(lambda: teams_json(teams.reply_card(reply, lang, form_intro=replies.form_intro(lang)))))
            out[f"{key}/teams.outcome"] = dump(attempt(lambda: teams_json(teams.outcome_card(reply, lang, username=DUTCH))))
            out[f"{key}/teams.dm_token_pasted"] = dump(attempt(lambda: teams_activity(teams.reply_card(
                reply, lang, notes=[replies.delete_hint(lang)], form_intro=replies.form_intro(lang)), reply.headline)))
            if name.startswith(("connected_", "refused_", "pending_", "badinput_", "limited_", "internal_error")):
                # The form was closed before the outcome came: Slack says it in the DM instead.
                out[f"{key}/slack.dm_modal_gone"] = dump(attempt(lambda: slack.reply_message(reply, lang, notes=[replies.modal_gone(lang).detail])))
            if name.startswith(("channel_", "welcome", "internal", "modal_gone", "checking", "limited")):
                out[f"{key}/slack.modal_checking"] = dump(attempt(lambda: slack.modal_checking(reply, lang)))
                out[f"{key}/slack.modal_outcome_nouser"] = dump(attempt(lambda: slack.modal_outcome(reply, lang)))
                out[f"{key}/teams.checking"] = dump(attempt(lambda: teams_json(teams.checking_card(reply))))
                out[f"{key}/teams.channel"] = dump(attempt(lambda: teams_json(teams_channel_card(reply, lang))))
        out[f"delete_hint/{ln}"] = dump(attempt(lambda: replies.delete_hint(lang)))
        for reason in REASONS:
            out[f"field_error/{ln}/{reason}"] = dump(attempt(lambda: replies.field_error(reason, lang)))
        for username in (None, "", "jan@bakker.nl", NASTY, LONG):
            u = lname(username) if username is None or username == "" else str(len(username))
            out[f"form/{ln}/slack.connect_modal/{u}"] = dump(attempt(lambda: slack.connect_modal(lang, replies.form_intro(lang), username=username)))
            out[f"form/{ln}/teams.form/{u}"] = dump(attempt(lambda: teams_json(teams.form(lang, replies.form_intro(lang), username=username))))
            out[f"form/{ln}/teams.form_nointro/{u}"] = dump(attempt(lambda: teams_json(teams.form(lang, username=username))))
            for r1, r2 in itertools.product((None, "empty_username", "bad_username"), (None, "empty_token", "token_has_spaces")):
                errors = {k: attempt(lambda r=r: replies.field_error(r, lang)) for k, r in (("username", r1), ("token", r2)) if r}
                errors = {k: v for k, v in errors.items() if isinstance(v, str)}
                out[f"form/{ln}/teams.form_errors/{u}/{r1}/{r2}"] = dump(attempt(lambda: teams_json(teams.form_errors_card(
                    lang, replies.form_intro(lang), username=username or "", errors=errors))))
        for n, staff in itertools.product((0, 1, 6, 21, 60), (False, True)):
            links = [dataclasses.replace(c, id=c.id + k) for k, c in zip(range(n), itertools.cycle(CARDS.values()))]
            checked = {c.id: (T0 + timedelta(days=k) if k % 3 else None) for k, c in enumerate(links)}
            # Staff see the support overview under their links (cut to Slack's 100 blocks a view).
            staff_blocks = attempt(lambda: slack_cmd.home_blocks(support_summary(n), lang, home_team="T1")) if staff else []
            staff_blocks = staff_blocks if isinstance(staff_blocks, list) else []
            out[f"home/{ln}/{n}/{staff}"] = dump(attempt(lambda: slack.home_view(lang, links, checked, staff_blocks=staff_blocks)))


def explain_family(out: dict[str, str]) -> None:
    for lang, (name, result) in itertools.product(LOCALES, VALIDATIONS.items()):
        out[f"explain/{lname(lang)}/{name}"] = dump(attempt(lambda: dataclasses.asdict(explain(result, lang))))
    for lang, reason, message in itertools.product(LOCALES, REASONS, ("", NASTY)):
        out[f"explain_input/{lname(lang)}/{reason}/{len(message)}"] = dump(
            attempt(lambda: dataclasses.asdict(explain_input(InvalidInput(reason, message), lang))))
    for (i, text), limit in itertools.product(enumerate((None, *TEXTS)), (1, 2, 10, 40, 3000)):
        out[f"markup.cut/{i}/{limit}"] = cut(text, limit)
    for text in (*TEXTS, None, 12, "a\n- b\n 1) c\n#d"):
        out[f"slack.escape/{text!r:.40}"] = slack.escape(text)
        out[f"teams.escape/{text!r:.40}"] = teams.escape(text)
        out[f"slack.mention/{text!r:.40}"] = slack.mention(text)
    for uid in ("U123ABC", "W0GUEST1", "u123", "U1", "B123ABC", "<@U123>"):
        out[f"slack.mention/{uid}"] = slack.mention(uid)


# --- /nmbrs ----------------------------------------------------------------------------------------------


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


RUNS = {"none": None, "running": RunInfo(started_at=T0, finished_at=None, status="running", trigger="schedule"),
        "nightly": RunInfo(started_at=T0, finished_at=T1, status="finished", trigger="schedule", counts={"active": 3}),
        "manual_failed": RunInfo(started_at=T0, finished_at=T1, status="failed <&>", trigger="command")}
CHANGES = [{"link": f"L{k}", "username": [NASTY, "a@b.nl", LONG][k % 3], "environment": [None, DUTCH, "E"][k % 3],
            "transition": ["broken", "restored", "confirming", "mystery", None, "activated", "rotated", "rejected",
                           "unverified", "scope_changed"][k % 10], "reason": [None, "credentials", NASTY][k % 3],
            "state": STATES[k % len(STATES)]} for k in range(25)]


def report(c: LinkCard, outcome: str, transition: str | None, reason: str | None, fault: int | None) -> Any:
    return CheckReport(link=c, outcome=outcome, transition=transition, reason=reason, fault_code=fault)


def summary(n_changes: int, failed: int, finished: bool, **extra: Any) -> Any:
    return RunSummary(run_id=41, started_at=T0, finished_at=T1 if finished else None, checked=17 + n_changes,
                      counts={"active": 12, "broken": 2, "pending": 0, "<weird>": 1}, changes=CHANGES[:n_changes],
                      failed=failed, **extra)


def command_outcomes() -> dict[str, Any]:
    p = Person(platform="slack", team_id="T1", user_id="U123ABC")
    out: dict[str, Any] = {"open_connect": OpenConnect(), "busy": Busy(), "unavailable": Unavailable(what="recheck")}
    for staff in (False, True):
        out[f"help_{staff}"] = Help(commands=allowed_commands(staff=staff), staff=staff)
        out[f"refused_{staff}"] = CmdRefused(commands=allowed_commands(staff=staff))
        for word in ("", "frobnicate", NASTY, LONG):
            out[f"unknown_{staff}_{len(word)}"] = Unknown(word=word, commands=allowed_commands(staff=staff))
    for k, (spec, problem, given) in enumerate(itertools.product(
            COMMANDS.values(), ("too_many", "missing_label", "label_control", "label_secret", "bad_state", "bad_link",
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
    return out


def support_summary(n: int) -> Any:
    """The support overview with `n` alerts and audit entries (60 fill App Home past its 100 blocks)."""
    alerts = tuple(AlertRow(kind=["broken", "<x>", "digest"][k % 3], link_id=[None, 12][k % 2], created_at=T0,
                            sent_at=[None, T1][k % 2]) for k in range(n))
    audits = tuple(AuditRow(at=T1, platform=["slack", "teams"][k % 2], actor=["U123ABC", "29:abc"][k % 2],
                            action="label", result=["ok", "refused"][k % 2]) for k in range(n))
    return SupportSummary(counts={s: k * n for k, s in enumerate(STATES)}, alerts=alerts, audits=audits,
                          last_run=RUNS["nightly" if n % 2 else "running"])


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


# --- support alerts and the digest ------------------------------------------------------------------------

#: What the notifiers post in (or, without a link, above) a link's thread; the other kinds never go there.
THREAD_KINDS = tuple(kind for kind in AlertKind if kind not in (
    AlertKind.CUSTOMER_BROKEN, AlertKind.CUSTOMER_RESULT, AlertKind.CUSTOMER_STUCK, AlertKind.DIGEST))
NAMES = {"29:abc": "Jan <de> *Vries*", "U123ABC": DUTCH}
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
STUCK = (
    {},
    {"platform": "slack", "user_id": "U123ABC", "attempts": 3, "category": "credentials", "code": 1000,
     "username": "jan@bakker.nl"},
    {"platform": "teams", "user_id": "29:abc", "attempts": "<4>", "reason": NASTY, "username": LONG},
    {"platform": "slack", "user_id": NASTY, "cause": "timeout"},
)


def alert_family(out: dict[str, str]) -> None:
    for lang in LOCALES:
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
            make = replies.customer_broken if kind is AlertKind.CUSTOMER_BROKEN else replies.customer_result
            reply = attempt(lambda: make(c, details, said))
            if isinstance(reply, dict):
                out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}"] = dump(reply)
                continue
            out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}/teams.activity"] = dump(attempt(lambda: teams_activity(
                teams.reply_card(reply, said, form_intro=replies.form_intro(said)), reply.headline)))
            out[f"alert/{ln}/customer/{kind.value}/{cname}/{i}/slack"] = dump(attempt(lambda: slack.reply_message(reply, said)))


# --- the command line (what needs no network) -------------------------------------------------------------


def _named(path: str) -> Any:
    module, name = path.split(":")
    return getattr(__import__(module, fromlist=[name]), name)


SEEDED = (  # username, environment, state, label, last checked, debtors, companies
    ("jan@bakker.nl", "Bakkerij BV", "active", None, T0, 1, 3),
    (NASTY, NASTY, "broken", NASTY, T1, 0, 0),
    (LONG[:254], None, "pending", LONG[:200], None, 60, 60),
    ("piet@ĳssel.nl", DUTCH[:100], "revoked", DUTCH, T1, 2, 0),
    ("x@y.z", "Acme", "unverified", "", T0, 0, 1),
    ("", "Leeg", "rejected", None, None, 0, 0),
)


async def _seed(url: str) -> None:
    create_engine, session_factory, upgrade, store_credentials, TokenCipher, parse_keys, key_line = (
        _named(path) for path in CLI_SEED)
    engine = create_engine(url)
    await upgrade(engine)
    cipher = TokenCipher(parse_keys(key_line("golden")))
    async with session_factory(engine)() as session, session.begin():
        for k, (username, environment, state, label, checked, debtors, companies) in enumerate(SEEDED):
            stored = await store_credentials(
                session, cipher, username=username, token=f"{k:028x}Ab{k}Z", environment=environment,
                state=LinkState(state), platform=["slack", "teams"][k % 2], team_id="T1", user_id="U123ABC",
                debtors=[{"id": n, "name": f"D{n}"} for n in range(debtors)],
                companies=[{"id": n, "name": f"C{n}"} for n in range(companies)])
            link = stored.link
            link.label, link.last_checked_at = label, checked
            if state == "revoked":
                link.token_ciphertext = None
    await engine.dispose()


def cli_links(out: dict[str, str]) -> None:
    """`tokendesk links` in this process, over a fresh SQLite file; env and logging restored after."""
    import asyncio
    import contextlib
    import logging
    import os
    import tempfile

    saved_env, root = dict(os.environ), logging.getLogger()
    saved_logging = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in
                                                       ("zeep.transports", "alembic", "sqlalchemy", "aiosqlite", "httpx", "httpcore")})
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in list(os.environ):
                if name.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) or name == "DATABASE_URL":
                    del os.environ[name]
            for seeded in (False, True):
                url = f"sqlite:///{tmp}/td{int(seeded)}.db"
                os.environ["DATABASE_URL"] = url
                if seeded:
                    asyncio.run(_seed(url))
                every = (["links"], ["links", "--json"], *(["links", "--state", s] for s in STATES),
                         *(["links", "--state", s, "--json"] for s in ("broken", "revoked")))
                for args in every if seeded else every[:3]:
                    stdout = io.StringIO()
                    with contextlib.redirect_stdout(stdout):
                        code = _named(CLI_MAIN)(args)
                    out[f"cli/{'seeded' if seeded else 'empty'}/{' '.join(args)}"] = f"exit {code}\n{stdout.getvalue()}"
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            root.handlers[:] = saved_logging[0]
            root.setLevel(saved_logging[1])
            for name, level in saved_logging[2].items():
                logging.getLogger(name).setLevel(level)


def cli_family(out: dict[str, str]) -> None:
    for name, result in VALIDATIONS.items():
        out[f"cli/validate/{name}"] = dump(attempt(lambda: validate_summary(result)))
    for reason, message, as_json in itertools.product(REASONS, ("", "the e-mail address has no @", NASTY), (False, True)):
        stream = io.StringIO()
        failed = attempt(lambda: validate_invalid(InvalidInput(reason, message), as_json, stream))
        out[f"cli/validate_invalid/{reason}/{len(message)}/{as_json}"] = stream.getvalue() + (dump(failed) if failed else "")
    changes = [c for c in CHANGES if c["transition"]]
    broken = [{"link": "L3", "environment": None, "username": NASTY, "reason": "credentials"},
              {"link": "L12345678", "environment": DUTCH, "username": "a@b.nl", "reason": None}]
    failures = [{"link": "L9", "reason": "decrypt", "username": "z@y.nl"}, {"link": "L10", "reason": NASTY, "username": ""}]
    alert_sets = ({"slack": True, "teams": True, "delivered": 4, "waiting": 0}, {"slack": True, "delivered": 1, "waiting": 2},
                  {"slack": False, "teams": True, "delivered": 0, "waiting": 1}, {"slack": False, "delivered": 0, "waiting": 5})
    for n, failed, confirmations, resumed, with_broken, (i, alerts), elapsed in itertools.product(
            (0, 1, len(changes)), (0, 2), (0, 3), (False, True), (False, True), enumerate(alert_sets), (0.04, 12.345)):
        run = RunSummary(run_id=7, started_at=T0, finished_at=T1, checked=n + 3, failed=failed,
                         counts={"active": 3, "broken": 0, "<x>": n} if n or failed else {"active": 0},
                         changes=changes[:n], confirmations=confirmations, resumed=resumed,
                         broken=broken if with_broken else [], failures=failures[:failed])
        out[f"cli/recheck/{n}/{failed}/{confirmations}/{resumed}/{with_broken}/{i}/{elapsed}"] = dump(
            attempt(lambda: recheck_render(run, elapsed=elapsed, alerts=alerts)))
    out["cli/recheck/none_transition"] = dump(attempt(lambda: recheck_render(
        RunSummary(run_id=1, started_at=T0, finished_at=T1, checked=1, counts={}, changes=CHANGES[4:5], failed=0),
        elapsed=1.0, alerts=alert_sets[0])))
    cli_links(out)


# --- all of it ------------------------------------------------------------------------------------------


class Cases(dict):
    """case -> rendering; a name given twice is a bug in the enumeration, not a silent overwrite."""

    def __setitem__(self, key: str, value: str) -> None:
        if key in self:
            raise KeyError(f"duplicate case {key!r}")
        if not isinstance(value, str):
            raise TypeError(f"{key}: rendering is {type(value).__name__}, not str")
        super().__setitem__(key, value)


FAMILIES: tuple[Callable[[dict[str, str]], None], ...] = (
    customer_family, explain_family, command_family, alert_family, cli_family)


def render_all() -> dict[str, str]:
    out = Cases()
    for family in FAMILIES:
        family(out)
    return dict(out)


def digests(renderings: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() for name, text in renderings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.renderings", description=__doc__)
    parser.add_argument("--dump", metavar="FILE", help="write every rendering (JSON object, case -> text)")
    parser.add_argument("--update", action="store_true", help=f"rewrite {DIGESTS.name} from the current code")
    args = parser.parse_args(argv)
    if not args.dump and not args.update:
        parser.error("give --dump FILE and/or --update")
    renderings = render_all()
    if args.dump:
        Path(args.dump).write_text(json.dumps(renderings, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    if args.update:
        DIGESTS.write_text(json.dumps(digests(renderings), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    families: dict[str, int] = {}
    for name in renderings:
        families[name.split("/")[0]] = families.get(name.split("/")[0], 0) + 1
    print(f"{len(renderings)} renderings: " + ", ".join(f"{k} {v}" for k, v in families.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
