"""Adaptive Cards for `/nmbrs` answers on Teams, in Dutch or English: pure functions from the neutral
outcomes of handlers.commands. The revoke question carries Confirm and Cancel buttons (Action.Submit).

Outside text (labels, usernames, environments, Nmbrs names, what was typed) goes through escape();
long values are cut before escaping. Teams card markdown has bold and lists but no code spans, so
command words are shown in bold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from microsoft_teams.cards import AdaptiveCard, CardElement, Fact, FactSet, SubmitAction

from bot.nmbrs.explain import language
from bot.teams.cards import ACTION_KEY, card, e, escape, small, text, when
from handlers.alerts import LinkCard
from handlers.commands import (
    AlreadyRevoked,
    AuditRow,
    Busy,
    CheckAllQueued,
    Checked,
    CheckedAll,
    CheckQueued,
    CommandSpec,
    Help,
    History,
    Labelled,
    LinkList,
    LinkStatus,
    NoLink,
    NotCheckable,
    OpenConnect,
    Outcome,
    Refused,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    RunInfo,
    StatusResult,
    Unavailable,
    Unknown,
    Usage,
)

REVOKE_CONFIRM = "revoke.confirm"
REVOKE_CANCEL = "revoke.cancel"
NAMED = 5
LIST_LINES = 30

STATE_ICONS = {"active": "🟢", "pending": "⏳", "unverified": "🟡", "broken": "🔴", "rejected": "⛔", "revoked": "🗑️"}

_SUMMARIES = {
    "help": ("what you can do here", "wat je hier kunt doen"),
    "connect": ("send your Nmbrs login and API token (shows a form)",
                "stuur je Nmbrs-login en API-token (toont een formulier)"),
    "status": ("your links and how they are doing", "je koppelingen en hoe het ermee staat"),
    "list": ("all links, or those in one state", "alle koppelingen, of die in één toestand"),
    "check": ("check a link (or all) against Nmbrs now", "controleer een koppeling (of alle) nu bij Nmbrs"),
    "history": ("checks and audit entries of a link", "controles en auditregels van een koppeling"),
    "label": ("give a link a label", "geef een koppeling een label"),
    "revoke": ("destroy a link's token (asks first)", "vernietig het token van een koppeling (vraagt eerst)"),
}
_STAFF_STATUS = ("any link by id, username, environment or label",
                 "elke koppeling op id, gebruikersnaam, omgeving of label")


def _t(nl: bool, en: str, dutch: str) -> str:
    return dutch if nl else en


def _nl(lang: str) -> bool:
    return language(lang) == "nl"


def _when(moment: datetime | None, nl: bool) -> str:
    return when(moment, never=_t(nl, "never", "nooit"))


def state(name: str) -> str:
    return f"{STATE_ICONS.get(name, '❔')} **{escape(name)}**"


def who(platform: str, user_id: str | None, names: Mapping[str, str]) -> str:
    """Who sent or did something: their Teams name when the bot has met them, else platform and id."""
    if not user_id:
        return "?"
    if platform == "teams" and user_id in names:
        return e(names[user_id], 80)
    return f"{escape(platform)} {e(user_id, 80)}"


def _usage(spec: CommandSpec) -> str:
    return f"**{escape(spec.usage)}**"


def _command_lines(commands: Sequence[CommandSpec], nl: bool, *, staff: bool = False) -> str:
    lines = []
    for spec in commands:
        summary = _SUMMARIES[spec.name][1 if nl else 0]
        if spec.name == "status" and staff:
            summary = _STAFF_STATUS[1 if nl else 0]
        lines.append(f"- {_usage(spec)} — {summary}")
    return "\n".join(lines)


def _simple(line: str) -> AdaptiveCard:
    return card([text(line)])


def link_line(item: LinkCard, nl: bool) -> str:
    parts = [f"**{item.short_id}**", state(item.state), e(item.username, 60),
             e(item.environment, 40) if item.environment else _t(nl, "_environment unknown_", "_omgeving onbekend_")]
    if item.label:
        parts.append(f"“{e(item.label, 60)}”")
    return " · ".join(parts)


def render(outcome: Outcome, lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """The card for any outcome of Commands (queued checks included). `names`: Entra id → name."""
    nl = _nl(lang)
    names = names or {}
    match outcome:
        case Help():
            return help_card(outcome, nl)
        case Unknown():
            return card([text(_t(nl, f"There is no **{e(outcome.word, 40)}** command.",
                                 f"De opdracht **{e(outcome.word, 40)}** bestaat niet.")),
                         text(_command_lines(outcome.commands, nl))])
        case Usage():
            return usage_card(outcome, nl)
        case Refused():
            # The same words for every refusal: nothing about the command's arguments or any link.
            return card([text(_t(nl, "That command is for the support team.", "Die opdracht is voor het supportteam.")),
                         text(_command_lines(outcome.commands, nl))])
        case NoLink():
            return _simple(_t(nl, f"There is no link {outcome.short_id}.", f"Er is geen koppeling {outcome.short_id}."))
        case Unavailable():
            return _simple(_t(nl, "Checking is not available on this server (the re-check is not running).",
                              "Controleren kan niet op deze server (de hercontrole draait niet)."))
        case StatusResult():
            return status_card(outcome, nl, names)
        case LinkList():
            return list_card(outcome, nl)
        case NotCheckable():
            item = outcome.card
            return _simple(_t(nl, f"{item.short_id} is {escape(item.state)} and holds no token any more: nothing to check.",
                              f"{item.short_id} is {escape(item.state)} en heeft geen token meer: niets te controleren."))
        case CheckQueued():
            item = outcome.card
            return card([text(_t(nl, f"⏳ Checking {item.short_id} with Nmbrs…",
                                 f"⏳ {item.short_id} wordt bij Nmbrs gecontroleerd…")), small(link_line(item, nl))])
        case CheckAllQueued():
            return progress_card(0, outcome.total, nl)
        case Checked():
            return checked_card(outcome, nl)
        case CheckedAll():
            return checked_all_card(outcome, nl)
        case Busy():
            return _simple(_t(nl, "A check run is going on already (the nightly one, or someone's **check all**); "
                                  "see **list** when it has finished.",
                              "Er loopt al een controle (de nachtelijke, of iemands **check all**); "
                              "kijk met **list** als die klaar is."))
        case History():
            return history_card(outcome, nl, names)
        case Labelled():
            item = outcome.card
            line = _t(nl, f"🏷️ {item.short_id} is now labelled “{e(item.label)}”.",
                      f"🏷️ {item.short_id} heeft nu het label “{e(item.label)}”.")
            if outcome.previous:
                line += f" (was “{e(outcome.previous)}”)"
            return card([text(line), small(_t(nl, "Noted in the link's support thread.",
                                              "Genoteerd in de supportthread van de koppeling."))])
        case RevokeAsk():
            return revoke_ask_card(outcome, nl)
        case Revoked():
            item = outcome.card
            return card([text(_t(nl, f"🗑️ {item.short_id} revoked: its token is destroyed. The support thread is told.",
                                 f"🗑️ {item.short_id} ingetrokken: het token is vernietigd. De supportthread weet het.")),
                         small(link_line(item, nl))])
        case AlreadyRevoked():
            return _simple(_t(nl, f"{outcome.card.short_id} was already revoked; it holds no token.",
                              f"{outcome.card.short_id} was al ingetrokken; er is geen token meer."))
        case RevokeCancelled():
            return _simple(_t(nl, f"Cancelled: L{outcome.link_id} is left as it was.",
                              f"Geannuleerd: L{outcome.link_id} blijft zoals het was."))
        case OpenConnect():
            return _simple(_t(nl, "Here is the form.", "Hier is het formulier."))
    raise TypeError(f"no rendering for {type(outcome).__name__}")


def help_card(outcome: Help, nl: bool) -> AdaptiveCard:
    intro = (_t(nl, "**Support commands** (you are support staff):", "**Supportopdrachten** (je bent support):")
             if outcome.staff else _t(nl, "**What you can ask me:**", "**Wat je mij kunt vragen:**"))
    body: list[CardElement] = [text(intro), text(_command_lines(outcome.commands, nl, staff=outcome.staff))]
    if outcome.staff:
        body.append(small(_t(nl, "A link is L12 or 12. States: ", "Een koppeling is L12 of 12. Toestanden: ")
                          + ", ".join(STATE_ICONS)))
    else:
        body.append(small(_t(nl, "You can also send your login and token to me in this chat.",
                             "Je kunt je login en token ook in dit gesprek aan mij sturen.")))
    return card(body)


_PROBLEMS = {
    "missing_link": ("Which link? Give its id, like L12.", "Welke koppeling? Geef het id, zoals L12."),
    "too_many": ("That is more than this command takes.", "Dat is meer dan deze opdracht aanneemt."),
    "missing_label": ("The label is empty. Write the text after the link id.",
                      "Het label is leeg. Zet de tekst achter het id van de koppeling."),
    "label_control": ("The label contains control characters (tabs, line breaks or text-direction marks); "
                      "use plain text on one line.",
                      "Het label bevat stuurtekens (tabs, regeleinden of tekstrichtingstekens); "
                      "gebruik gewone tekst op één regel."),
    "label_secret": ("The label looks like it contains a token or secret; labels are shown in the support "
                     "channel, so that is refused.",
                     "Het label lijkt een token of geheim te bevatten; labels staan in het supportkanaal, "
                     "dus dat kan niet."),
}


def usage_card(outcome: Usage, nl: bool) -> AdaptiveCard:
    given = e(outcome.given, 40)
    if outcome.problem == "bad_state":
        states = ", ".join(outcome.states)
        problem = _t(nl, f"“{given}” is not a state. Valid states: {states}.",
                     f"“{given}” is geen toestand. Geldige toestanden: {states}.")
    elif outcome.problem == "bad_link":
        problem = _t(nl, f"“{given}” is not a link id; write it like L12 or 12.",
                     f"“{given}” is geen id van een koppeling; schrijf het als L12 of 12.")
    elif outcome.problem == "label_too_long":
        problem = _t(nl, f"The label is too long: at most {outcome.limit} characters.",
                     f"Het label is te lang: hoogstens {outcome.limit} tekens.")
    elif outcome.problem == "query_too_long":
        problem = _t(nl, f"That search is too long: at most {outcome.limit} characters.",
                     f"Die zoekopdracht is te lang: hoogstens {outcome.limit} tekens.")
    else:
        en, dutch = _PROBLEMS.get(outcome.problem, ("That does not fit this command.", "Dat past niet bij deze opdracht."))
        problem = _t(nl, en, dutch)
    return card([text(problem), text(f"{_t(nl, 'Usage', 'Gebruik')}: {_usage(outcome.spec)}")])


def _names(count: int, names: Sequence[str]) -> str:
    if count == 0:
        return "0"
    if count <= NAMED and names:
        return f"{count}: " + ", ".join(e(n, 80) for n in names[:NAMED])
    return str(count)


def _last_check(status: LinkStatus, nl: bool) -> str:
    if status.last_checked_at is None:
        return _t(nl, "not checked yet", "nog niet gecontroleerd")
    extra = [e(status.last_reason, 60)] if status.last_reason else []
    if status.last_fault_code is not None:
        extra.append(_t(nl, f"fault {status.last_fault_code}", f"foutcode {status.last_fault_code}"))
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"{_when(status.last_checked_at, nl)}: {escape(status.last_outcome or '?')}{suffix}"


def link_facts(status: LinkStatus, nl: bool, names: Mapping[str, str]) -> FactSet:
    item = status.card
    values = [
        (_t(nl, "State", "Toestand"), f"{state(item.state)} {_t(nl, 'since', 'sinds')} {_when(status.state_changed_at, nl)}"),
        (_t(nl, "Environment", "Omgeving"), e(item.environment, 100) if item.environment else "?"),
        (_t(nl, "Username", "Gebruikersnaam"), e(item.username, 254)),
        ("Token", f"…{escape(item.token_last4)}" if item.token_last4 else "—"),
        (_t(nl, "Debtors", "Debiteuren"), _names(item.debtor_count, item.debtor_names)),
        (_t(nl, "Companies", "Bedrijven"), _names(item.company_count, item.company_names)),
        ("Label", e(item.label) if item.label else "—"),
        (_t(nl, "Last check", "Laatste controle"), _last_check(status, nl)),
        (_t(nl, "Sent by", "Gestuurd door"), f"{who(item.platform, item.user_id, names)}, {_when(status.created_at, nl)}"),
    ]
    return FactSet(facts=[Fact(title=name, value=value) for name, value in values])


def status_card(outcome: StatusResult, nl: bool, names: Mapping[str, str]) -> AdaptiveCard:
    query = f" “{e(outcome.query, 100)}”" if outcome.query else ""
    if not outcome.links:
        if outcome.staff:
            return _simple(_t(nl, f"No link matches{query}.", f"Geen koppeling past bij{query}."))
        if outcome.query:
            return _simple(_t(nl, f"None of your links matches{query}.", f"Geen van je koppelingen past bij{query}."))
        return _simple(_t(nl, "You have no links yet. Use **connect** to send your Nmbrs login and API token.",
                          "Je hebt nog geen koppelingen. Gebruik **connect** om je Nmbrs-login en API-token te sturen."))
    body: list[CardElement] = []
    for status in outcome.links:
        item = status.card
        title = f"**{item.short_id}**" + (f" — {e(item.label, 100)}" if item.label else "")
        body += [text(title, separator=bool(body)), link_facts(status, nl, names)]
    if outcome.more:
        body.append(small(_t(nl, f"and {outcome.more} more — narrow the search, or use **list**.",
                             f"en nog {outcome.more} — zoek preciezer, of gebruik **list**.")))
    return card(body)


def run_line(run: RunInfo | None, nl: bool) -> str:
    if run is None:
        return _t(nl, "No nightly check has finished yet.", "Er is nog geen nachtelijke controle klaar.")
    if run.finished_at is None:
        return _t(nl, f"A check run started {_when(run.started_at, nl)} and has not finished.",
                  f"Een controle begon {_when(run.started_at, nl)} en is nog niet klaar.")
    kind = _t(nl, "nightly check", "nachtelijke controle") if run.trigger == "schedule" else _t(nl, "check run", "controle")
    status = "" if run.status == "finished" else f" ({escape(run.status)})"
    return _t(nl, f"Last {kind} finished {_when(run.finished_at, nl)}{status}.",
              f"Laatste {kind} klaar {_when(run.finished_at, nl)}{status}.")


def counts_line(counts: Mapping[str, int]) -> str:
    return " · ".join(f"{STATE_ICONS.get(name, '')} {escape(name)} {n}" for name, n in counts.items() if n)


def list_card(outcome: LinkList, nl: bool) -> AdaptiveCard:
    total = len(outcome.links) + outcome.more
    which = f" {escape(outcome.state)}" if outcome.state else ""
    head = (_t(nl, f"No{which} links.", f"Geen{which} koppelingen.") if not outcome.links
            else _t(nl, f"**{total}{which} link(s)**", f"**{total}{which} koppeling(en)**"))
    body: list[CardElement] = [text(head)]
    if outcome.links:
        body.append(text("\n".join(f"- {link_line(item, nl)}" for item in outcome.links[:LIST_LINES])))
    if outcome.more:
        hint = _t(nl, f"and {outcome.more} more", f"en nog {outcome.more}")
        if not outcome.state:
            hint += _t(nl, " — pick a state, like **list broken**", " — kies een toestand, zoals **list broken**")
        body.append(small(hint))
    footer = run_line(outcome.last_run, nl)
    if not outcome.state and any(outcome.counts.values()):
        footer = counts_line(outcome.counts) + "\n\n" + footer
    body.append(small(footer))
    return card(body)


def progress_card(done: int, total: int, nl: bool) -> AdaptiveCard:
    percent = 100 * done // total if total else 100
    return _simple(_t(nl, f"⏳ Checking all links with Nmbrs: {done} of {total} ({percent}%)…",
                      f"⏳ Alle koppelingen worden bij Nmbrs gecontroleerd: {done} van {total} ({percent}%)…"))


_OUTCOME_WORDS = {
    "valid": ("✅ Nmbrs accepts the token", "✅ Nmbrs accepteert het token"),
    "rejected": ("❌ Nmbrs rejects the token", "❌ Nmbrs weigert het token"),
    "unreachable": ("⚠️ Nmbrs could not be reached", "⚠️ Nmbrs was niet bereikbaar"),
    "error": ("⚠️ The check failed on our side", "⚠️ De controle mislukte aan onze kant"),
    "skipped": ("Not checked: the link holds no token", "Niet gecontroleerd: de koppeling heeft geen token"),
    "stale": ("Not recorded: the link changed while it was being checked; try again",
              "Niet vastgelegd: de koppeling veranderde tijdens de controle; probeer het opnieuw"),
}
_TRANSITIONS = {
    "activated": ("the link is active now", "de koppeling is nu actief"),
    "rejected": ("the link is rejected", "de koppeling is afgewezen"),
    "rotated": ("the token replaced an older one", "het token verving een ouder token"),
    "broken": ("the link is broken", "de koppeling is kapot"),
    "restored": ("the link works again", "de koppeling werkt weer"),
    "unverified": ("the link could not be verified for a while", "de koppeling kon een tijd niet worden gecontroleerd"),
    "scope_changed": ("what the token reaches changed", "wat het token bereikt is veranderd"),
    "confirming": ("one more attempt confirms this before the link counts as broken",
                   "nog één poging bevestigt dit voordat de koppeling als kapot geldt"),
}


def transition(name: str | None, nl: bool) -> str:
    if not name:
        return ""
    en, dutch = _TRANSITIONS.get(name, (name, name))
    return escape(_t(nl, en, dutch))


def checked_card(outcome: Checked, nl: bool) -> AdaptiveCard:
    report = outcome.report
    item = report.link
    en, dutch = _OUTCOME_WORDS.get(report.outcome, (f"Outcome: {report.outcome}", f"Uitkomst: {report.outcome}"))
    extra = [e(report.reason, 60)] if report.reason and report.outcome != "skipped" else []
    if getattr(report, "fault_code", None) is not None:
        extra.append(_t(nl, f"fault {report.fault_code}", f"foutcode {report.fault_code}"))
    line = f"{item.short_id}: {escape(_t(nl, en, dutch))}" + (f" ({', '.join(extra)})" if extra else "") + "."
    if report.transition:
        sentence = transition(report.transition, nl)
        after = sentence[:1].upper() + sentence[1:] + ". " + _t(nl, "State now", "Toestand nu") + f": {state(item.state)}."
    else:
        after = _t(nl, f"State stays {state(item.state)}.", f"Toestand blijft {state(item.state)}.")
    return card([text(line), text(after), small(link_line(item, nl))])


def _change_line(change: Mapping[str, Any], nl: bool) -> str:
    parts = [f"**{e(change.get('link') or '?', 20)}**", e(change.get("username"), 60)]
    if change.get("environment"):
        parts.append(e(change["environment"], 40))
    line = "- " + " · ".join(parts) + f" — {transition(change.get('transition'), nl)}"
    if change.get("reason"):
        line += f" ({e(change['reason'], 40)})"
    return line


def checked_all_card(outcome: CheckedAll, nl: bool) -> AdaptiveCard:
    summary = outcome.summary
    seconds = ""
    if summary.finished_at is not None:
        seconds = f" ({(summary.finished_at - summary.started_at).total_seconds():.0f} s)"
    line = _t(nl, f"✅ Checked {summary.checked} link(s){seconds}.", f"✅ {summary.checked} koppeling(en) gecontroleerd{seconds}.")
    if summary.failed:
        line += " " + _t(nl, f"{summary.failed} could not be checked because of a fault on our side.",
                         f"{summary.failed} kon(den) niet worden gecontroleerd door een fout aan onze kant.")
    body: list[CardElement] = [text(line)]
    counts = counts_line(dict(summary.counts or {}))
    if counts:
        body.append(small(counts))
    changes = list(summary.changes or [])
    if changes:
        body.append(text(_t(nl, f"**{len(changes)} change(s):**", f"**{len(changes)} wijziging(en):**")))
        body.append(text("\n".join(_change_line(c, nl) for c in changes[:20])))
        if len(changes) > 20:
            body.append(small(_t(nl, f"and {len(changes) - 20} more", f"en nog {len(changes) - 20}")))
    else:
        body.append(small(_t(nl, "No link changed state.", "Geen koppeling veranderde van toestand.")))
    return card(body)


def _check_row(row: Any, nl: bool) -> str:
    extra = [e(row.reason, 60)] if row.reason else []
    if row.fault_code is not None:
        extra.append(_t(nl, f"fault {row.fault_code}", f"foutcode {row.fault_code}"))
    detail = f" ({', '.join(extra)})" if extra else ""
    return f"- {_when(row.checked_at, nl)} · {escape(row.trigger)} · **{escape(row.outcome)}**{detail} · {row.latency_ms} ms"


def _audit_row(row: AuditRow, nl: bool, names: Mapping[str, str]) -> str:
    mark = "" if row.result == "ok" else f" · **{escape(row.result)}**"
    return f"- {_when(row.at, nl)} · {who(row.platform, row.actor, names)} · {escape(row.action)}{mark}"


def history_card(outcome: History, nl: bool, names: Mapping[str, str]) -> AdaptiveCard:
    item = outcome.card
    body: list[CardElement] = [
        text(_t(nl, f"**History of {item.short_id}**", f"**Geschiedenis van {item.short_id}**")),
        small(link_line(item, nl)),
        text(_t(nl, "**Checks** (newest first)", "**Controles** (nieuwste eerst)")),
        text("\n".join(_check_row(row, nl) for row in outcome.checks) or _t(nl, "_no checks yet_", "_nog geen controles_")),
    ]
    if outcome.more_checks:
        body.append(small(_t(nl, f"and {outcome.more_checks} older check(s)", f"en nog {outcome.more_checks} oudere controle(s)")))
    body.append(text(_t(nl, "**Audit log**", "**Auditlog**")))
    body.append(text("\n".join(_audit_row(row, nl, names) for row in outcome.audits) or _t(nl, "_nothing yet_", "_nog niets_")))
    if outcome.more_audits:
        body.append(small(_t(nl, f"and {outcome.more_audits} older entries", f"en nog {outcome.more_audits} oudere regels")))
    return card(body)


def revoke_ask_card(outcome: RevokeAsk, nl: bool) -> AdaptiveCard:
    item = outcome.card
    question = _t(nl, f"Revoke {item.short_id}? Its token is destroyed for good; the customer has to send a new one.",
                  f"{item.short_id} intrekken? Het token wordt definitief vernietigd; de klant moet een nieuw sturen.")
    actions = [
        SubmitAction(title=_t(nl, f"Revoke {item.short_id}", f"{item.short_id} intrekken"), style="destructive",
                     data={ACTION_KEY: REVOKE_CONFIRM, "link": item.id}),
        SubmitAction(title=_t(nl, "Cancel", "Annuleren"), data={ACTION_KEY: REVOKE_CANCEL, "link": item.id}),
    ]
    return card([text(question), small(link_line(item, nl))], actions)


def failed_card(lang: str, reference: str) -> AdaptiveCard:
    nl = _nl(lang)
    return _simple(_t(nl, "Something went wrong on our side; nothing was changed that you were not told about. "
                          f"Reference: {escape(reference)}.",
                      "Er ging bij ons iets mis; er is niets veranderd zonder dat je het hoorde. "
                      f"Referentie: {escape(reference)}."))


def summary_of(outcome: Outcome, lang: str) -> str:
    """A notification preview for a command's answer (plain, no outside text)."""
    return _t(_nl(lang), "tokendesk: answer to your command", "tokendesk: antwoord op je opdracht")
