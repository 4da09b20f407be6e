"""The words of `/nmbrs` answers in Dutch or English, the same on Slack and Teams.

Pure functions from the neutral outcomes of handlers.commands to lines of text; the adapter's Markup
writes bold, code, icons, times and people its own way and lays the lines out. Outside text (labels,
usernames, environments, Nmbrs names, what was typed) goes through markup.escape where it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.commands import (
    AuditRow,
    CheckReportLike,
    CheckRow,
    CommandSpec,
    History,
    Labelled,
    LinkList,
    LinkStatus,
    RunInfo,
    RunSummaryLike,
    StatusResult,
    Usage,
)
from handlers.model import LinkCard
from handlers.text.markup import STATE_ICONS, Markup
from handlers.text.replies import NAMES_UP_TO, label

#: How many changes a `check all` answer lists; the rest are counted.
CHANGES_SHOWN = 20


def pick(nl: bool, en: str, dutch: str) -> str:
    return dutch if nl else en


def _label(key: str, nl: bool) -> str:
    return label(key, "nl" if nl else "en")


def when(m: Markup, moment: datetime | None, nl: bool) -> str:
    return pick(nl, "never", "nooit") if moment is None else m.time(moment)


def state(m: Markup, name: str) -> str:
    return f"{m.icon(STATE_ICONS.get(name, 'grey_question'))} {m.keyword(m.escape(name))}"


def counts_line(m: Markup, counts: Mapping[str, int]) -> str:
    """How many links are in each state (states without links left out)."""
    return " · ".join(f"{m.icon(STATE_ICONS[name]) if name in STATE_ICONS else ''} {m.escape(name)} {n}"
                      for name, n in counts.items() if n)


def more(count: int, nl: bool) -> str:
    return pick(nl, f"and {count} more", f"en nog {count}")


def _fault(code: int, nl: bool) -> str:
    return pick(nl, f"fault {code}", f"foutcode {code}")


# --- help and typing mistakes --------------------------------------------------------------------

_SUMMARIES = {
    "help": ("what you can do here", "wat je hier kunt doen"),
    "status": ("your links and how they are doing", "je koppelingen en hoe het ermee staat"),
    "list": ("all links, or those in one state", "alle koppelingen, of die in één toestand"),
    "check": ("check a link (or all) against Nmbrs now", "controleer een koppeling (of alle) nu bij Nmbrs"),
    "history": ("checks and audit entries of a link", "controles en auditregels van een koppeling"),
    "label": ("give a link a label", "geef een koppeling een label"),
    "revoke": ("destroy a link's token (asks first)", "vernietig het token van een koppeling (vraagt eerst)"),
}
_STAFF_STATUS = ("any link by id, username, environment or label",
                 "elke koppeling op id, gebruikersnaam, omgeving of label")


def usage(m: Markup, spec: CommandSpec) -> str:
    # Escaped even as code: Slack reads <…> as a link or mention inside a code span too.
    return m.command(m.escape(spec.usage))


def command_lines(m: Markup, commands: Sequence[CommandSpec], nl: bool, *, connect: tuple[str, str],
                  staff: bool = False) -> list[str]:
    """A line a command: how to type it and what it does. `connect`: what `connect` does on this platform."""
    lines = []
    for spec in commands:
        en, dutch = connect if spec.name == "connect" else _SUMMARIES[spec.name]
        if spec.name == "status" and staff:
            en, dutch = _STAFF_STATUS
        lines.append(f"{m.bullet}{usage(m, spec)} — {pick(nl, en, dutch)}")
    return lines


def staff_intro(m: Markup, nl: bool) -> str:
    return pick(nl, f"{m.bold('Support commands')} (you are support staff):",
                f"{m.bold('Supportopdrachten')} (je bent support):")


def staff_hint(m: Markup, nl: bool) -> str:
    ids = f"{m.code('L12')} {pick(nl, 'or', 'of')} {m.code('12')}"
    return (pick(nl, f"A link is {ids}. States: ", f"Een koppeling is {ids}. Toestanden: ")
            + ", ".join(m.code(name) for name in STATE_ICONS))


def refused(nl: bool) -> str:
    # The same words for every refusal: nothing about the command's arguments or any link.
    return pick(nl, "That command is for the support team.", "Die opdracht is voor het supportteam.")


_PROBLEMS = {
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


def usage_problem(m: Markup, outcome: Usage, nl: bool) -> str:
    given = m.typed(m.escape(outcome.given, 40))
    if outcome.problem == "bad_state":
        states = ", ".join(m.code(name) for name in outcome.states)
        return pick(nl, f"{given} is not a state. Valid states: {states}.",
                    f"{given} is geen toestand. Geldige toestanden: {states}.")
    if outcome.problem == "bad_link":
        return pick(nl, f"{given} is not a link id; write it like {m.code('L12')} or {m.code('12')}.",
                    f"{given} is geen id van een koppeling; schrijf het als {m.code('L12')} of {m.code('12')}.")
    if outcome.problem == "label_too_long":
        return pick(nl, f"The label is too long: at most {outcome.limit} characters.",
                    f"Het label is te lang: hoogstens {outcome.limit} tekens.")
    if outcome.problem == "query_too_long":
        return pick(nl, f"That search is too long: at most {outcome.limit} characters.",
                    f"Die zoekopdracht is te lang: hoogstens {outcome.limit} tekens.")
    if outcome.problem == "missing_link":
        return pick(nl, f"Which link? Give its id, like {m.code('L12')}.",
                    f"Welke koppeling? Geef het id, zoals {m.code('L12')}.")
    en, dutch = _PROBLEMS.get(outcome.problem, ("That does not fit this command.", "Dat past niet bij deze opdracht."))
    return pick(nl, en, dutch)


def usage_line(m: Markup, spec: CommandSpec, nl: bool) -> str:
    return f"{pick(nl, 'Usage', 'Gebruik')}: {usage(m, spec)}"


# --- links -----------------------------------------------------------------------------------------


def link_line(m: Markup, card: LinkCard, nl: bool) -> str:
    """One line per link for lists: id, state, username, environment, label."""
    if card.is_rest:
        where = "REST · " + (m.escape(card.debtor_name, 40) if card.debtor_name else "?")
    else:
        where = (m.escape(card.environment, 40) if card.environment
                 else pick(nl, "_environment unknown_", "_omgeving onbekend_"))
    parts = [m.bold(card.short_id), state(m, card.state), m.escape(card.username, 60), where]
    if card.label:
        parts.append(f"“{m.escape(card.label, 60)}”")
    return " · ".join(parts)


def _names(m: Markup, count: int, names: Sequence[str]) -> str:
    if count == 0:
        return "0"
    if count <= NAMES_UP_TO and names:
        return f"{count}: " + ", ".join(m.escape(name, 80) for name in names[:NAMES_UP_TO])
    return str(count)


def _last_check(m: Markup, status: LinkStatus, nl: bool) -> str:
    if status.last_checked_at is None:
        return pick(nl, "not checked yet", "nog niet gecontroleerd")
    extra = [m.escape(status.last_reason, m.reason_limit)] if status.last_reason else []
    if status.last_fault_code is not None:
        extra.append(_fault(status.last_fault_code, nl))
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"{when(m, status.last_checked_at, nl)}: {m.code(m.escape(status.last_outcome or '?'))}{suffix}"


def link_fields(m: Markup, status: LinkStatus, nl: bool) -> list[tuple[str, str]]:
    """A link in detail, as (name, value) pairs."""
    card = status.card
    sender = m.person(card.platform, card.user_id, card.team_id)
    if card.is_rest:
        return _rest_fields(m, status, nl)
    return [
        (pick(nl, "State", "Toestand"), f"{state(m, card.state)} {pick(nl, 'since', 'sinds')} {when(m, status.state_changed_at, nl)}"),
        (_label("environment", nl), m.escape(card.environment, 100) if card.environment else "?"),
        (pick(nl, "Username", "Gebruikersnaam"), m.escape(card.username, 254)),
        ("Token", f"…{m.escape(card.token_last4)}" if card.token_last4 else "—"),
        (_label("debtors", nl), _names(m, card.debtor_count, card.debtor_names)),
        (_label("companies", nl), _names(m, card.company_count, card.company_names)),
        ("Label", m.escape(card.label, 200) if card.label else "—"),
        (_label("last_check", nl), _last_check(m, status, nl)),
        (pick(nl, "Sent by", "Gestuurd door"), f"{sender}, {when(m, status.created_at, nl)}"),
    ]


def _rest_fields(m: Markup, status: LinkStatus, nl: bool) -> list[tuple[str, str]]:
    """A REST link: who consented, to which debtor, the scopes, and when the access token expires
    (there is no token end to show)."""
    card = status.card
    sender = m.person(card.platform, card.user_id, card.team_id)
    expires = (when(m, card.access_expires_at, nl) if card.access_expires_at
               else pick(nl, "no access token held", "geen toegangstoken in bezit"))
    return [
        (pick(nl, "State", "Toestand"), f"{state(m, card.state)} {pick(nl, 'since', 'sinds')} {when(m, status.state_changed_at, nl)}"),
        (pick(nl, "Kind", "Soort"), pick(nl, "REST (consent in Nmbrs)", "REST (toestemming in Nmbrs)")),
        (pick(nl, "Consented by", "Toestemming van"), m.escape(card.username, 254)),
        (pick(nl, "Debtor", "Debiteur"), m.escape(card.debtor_name, 200) if card.debtor_name else "?"),
        (pick(nl, "Scopes", "Scopes"), m.code(m.escape(" ".join(card.scopes), 500)) if card.scopes else "—"),
        (pick(nl, "Access token expires", "Toegangstoken verloopt"), expires),
        (_label("companies", nl), _names(m, card.company_count, card.company_names)),
        ("Label", m.escape(card.label, 200) if card.label else "—"),
        (_label("last_check", nl), _last_check(m, status, nl)),
        (pick(nl, "Connected by", "Gekoppeld door"), f"{sender}, {when(m, status.created_at, nl)}"),
    ]


def searched(m: Markup, outcome: StatusResult) -> str:
    return f" “{m.escape(outcome.query, 100)}”" if outcome.query else ""


def no_status(m: Markup, outcome: StatusResult, nl: bool) -> str:
    """`status` that found no link."""
    query = searched(m, outcome)
    if outcome.staff:
        return pick(nl, f"No link matches{query}.", f"Geen koppeling past bij{query}.")
    if outcome.query:
        return pick(nl, f"None of your links matches{query}.", f"Geen van je koppelingen past bij{query}.")
    connect = m.command("connect")
    return pick(nl, f"You have no links yet. Use {connect} to send your Nmbrs login and API token.",
                f"Je hebt nog geen koppelingen. Gebruik {connect} om je Nmbrs-login en API-token te sturen.")


def status_title(m: Markup, card: LinkCard) -> str:
    return m.bold(card.short_id) + (f" — {m.escape(card.label, 100)}" if card.label else "")


def status_more(m: Markup, count: int, nl: bool) -> str:
    return pick(nl, f"and {count} more — narrow the search, or use {m.command('list')}.",
                f"en nog {count} — zoek preciezer, of gebruik {m.command('list')}.")


def run_line(m: Markup, run: RunInfo | None, nl: bool) -> str:
    if run is None:
        return pick(nl, "No nightly check has finished yet.", "Er is nog geen nachtelijke controle klaar.")
    if run.finished_at is None:
        return pick(nl, f"A check run started {when(m, run.started_at, nl)} and has not finished.",
                    f"Een controle begon {when(m, run.started_at, nl)} en is nog niet klaar.")
    kind = pick(nl, "nightly check", "nachtelijke controle") if run.trigger == "schedule" else pick(nl, "check run", "controle")
    status = "" if run.status == "finished" else f" ({m.code(m.escape(run.status))})"
    return pick(nl, f"Last {kind} finished {when(m, run.finished_at, nl)}{status}.",
                f"Laatste {kind} klaar {when(m, run.finished_at, nl)}{status}.")


def list_head(m: Markup, outcome: LinkList, nl: bool) -> str:
    total = len(outcome.links) + outcome.more
    which = f" {m.code(m.escape(outcome.state))}" if outcome.state else ""
    if not outcome.links:
        return pick(nl, f"No{which} links.", f"Geen{which} koppelingen.")
    return m.bold(pick(nl, f"{total}{which} link(s)", f"{total}{which} koppeling(en)"))


def list_more(m: Markup, outcome: LinkList, nl: bool) -> str:
    hint = more(outcome.more, nl)
    if not outcome.state:
        example = m.command("list broken")
        hint += pick(nl, f" — pick a state, like {example}", f" — kies een toestand, zoals {example}")
    return hint


def list_footer(m: Markup, outcome: LinkList, nl: bool) -> list[str]:
    """Under a list: links by state (for an unfiltered list), then the last run."""
    counts = [counts_line(m, outcome.counts)] if not outcome.state and any(outcome.counts.values()) else []
    return [*counts, run_line(m, outcome.last_run, nl)]


# --- checks ------------------------------------------------------------------------------------------

_OUTCOME_WORDS = {
    "valid": ("white_check_mark", "Nmbrs accepts the token", "Nmbrs accepteert het token"),
    "rejected": ("x", "Nmbrs rejects the token", "Nmbrs weigert het token"),
    "unreachable": ("warning", "Nmbrs could not be reached", "Nmbrs was niet bereikbaar"),
    "unexpected": ("warning", "Nmbrs answered with an unexpected error; the link stays as it was",
                   "Nmbrs gaf een onverwachte fout; de koppeling blijft zoals ze was"),
    "error": ("warning", "The check failed on our side", "De controle mislukte aan onze kant"),
    "skipped": ("", "Not checked: the link holds no token", "Niet gecontroleerd: de koppeling heeft geen token"),
    "stale": ("", "Not recorded: the link changed while it was being checked; try again",
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


def not_checkable(m: Markup, card: LinkCard, nl: bool) -> str:
    state_name = m.escape(card.state)
    return pick(nl, f"{card.short_id} is {state_name} and holds no token any more: nothing to check.",
                f"{card.short_id} is {state_name} en heeft geen token meer: niets te controleren.")


def checking(m: Markup, card: LinkCard, nl: bool) -> str:
    return pick(nl, f"{m.icon('hourglass_flowing_sand')} Checking {card.short_id} with Nmbrs…",
                f"{m.icon('hourglass_flowing_sand')} {card.short_id} wordt bij Nmbrs gecontroleerd…")


def progress(m: Markup, done: int, total: int, nl: bool) -> str:
    percent = 100 * done // total if total else 100
    return pick(nl, f"{m.icon('hourglass_flowing_sand')} Checking all links with Nmbrs: {done} of {total} ({percent}%)…",
                f"{m.icon('hourglass_flowing_sand')} Alle koppelingen worden bij Nmbrs gecontroleerd: "
                f"{done} van {total} ({percent}%)…")


def busy(m: Markup, nl: bool) -> str:
    everything, listing = m.keyword("check all"), m.command("list")
    return pick(nl, f"A check run is going on already (the nightly one, or someone's {everything}); "
                    f"see {listing} when it has finished.",
                f"Er loopt al een controle (de nachtelijke, of iemands {everything}); "
                f"kijk met {listing} als die klaar is.")


def transition(m: Markup, name: str | None, nl: bool) -> str:
    if not name:
        return ""
    en, dutch = _TRANSITIONS.get(name, (name, name))
    return m.escape(pick(nl, en, dutch))


def checked(m: Markup, report: CheckReportLike, nl: bool) -> tuple[str, str]:
    """What one check found, and what became of the link's state."""
    card = report.link
    icon, en, dutch = _OUTCOME_WORDS.get(report.outcome, ("", f"Outcome: {report.outcome}", f"Uitkomst: {report.outcome}"))
    found = (f"{m.icon(icon)} " if icon else "") + m.escape(pick(nl, en, dutch))
    extra = [m.escape(report.reason, m.reason_limit)] if report.reason and report.outcome != "skipped" else []
    if getattr(report, "fault_code", None) is not None:
        extra.append(_fault(report.fault_code, nl))
    line = f"{card.short_id}: {found}" + (f" ({', '.join(extra)})" if extra else "") + "."
    if report.transition:
        sentence = transition(m, report.transition, nl)
        after = sentence[:1].upper() + sentence[1:] + ". " + pick(nl, "State now", "Toestand nu") + f": {state(m, card.state)}."
    else:
        after = pick(nl, f"State stays {state(m, card.state)}.", f"Toestand blijft {state(m, card.state)}.")
    return line, after


def change_line(m: Markup, change: Mapping[str, Any], nl: bool) -> str:
    parts = [m.bold(m.escape(change.get("link") or "?", m.id_limit)), m.escape(change.get("username"), 60)]
    if change.get("environment"):
        parts.append(m.escape(change["environment"], 40))
    line = m.bullet + " · ".join(parts) + f" — {transition(m, change.get('transition'), nl)}"
    if change.get("reason"):
        line += f" ({m.escape(change['reason'], 40)})"
    return line


@dataclass(frozen=True)
class RunText:
    """A finished `check all`: what was checked, links by state, the changes, and a note under them."""

    line: str
    counts: str
    changes_head: str
    """Empty when no link changed state."""
    changes: tuple[str, ...]
    note: str
    """How many changes are not listed, or that nothing changed; may be empty."""


def checked_all(m: Markup, summary: RunSummaryLike, nl: bool) -> RunText:
    seconds = ""
    if summary.finished_at is not None:
        seconds = f" ({(summary.finished_at - summary.started_at).total_seconds():.0f} s)"
    line = pick(nl, f"{m.icon('white_check_mark')} Checked {summary.checked} link(s){seconds}.",
                f"{m.icon('white_check_mark')} {summary.checked} koppeling(en) gecontroleerd{seconds}.")
    if summary.failed:
        line += " " + pick(nl, f"{summary.failed} could not be checked because of a fault on our side.",
                           f"{summary.failed} kon(den) niet worden gecontroleerd door een fout aan onze kant.")
    counts = counts_line(m, dict(summary.counts or {}))
    changes = list(summary.changes or [])
    if not changes:
        return RunText(line, counts, "", (), pick(nl, "No link changed state.", "Geen koppeling veranderde van toestand."))
    head = m.bold(pick(nl, f"{len(changes)} change(s):", f"{len(changes)} wijziging(en):"))
    note = more(len(changes) - CHANGES_SHOWN, nl) if len(changes) > CHANGES_SHOWN else ""
    return RunText(line, counts, head, tuple(change_line(m, change, nl) for change in changes[:CHANGES_SHOWN]), note)


# --- history, labels, revoking -------------------------------------------------------------------------


def check_row(m: Markup, row: CheckRow, nl: bool) -> str:
    extra = [m.escape(row.reason, m.reason_limit)] if row.reason else []
    if row.fault_code is not None:
        extra.append(_fault(row.fault_code, nl))
    detail = f" ({', '.join(extra)})" if extra else ""
    return (f"{m.bullet}{when(m, row.checked_at, nl)} · {m.escape(row.trigger)} · {m.keyword(m.escape(row.outcome))}"
            f"{detail} · {row.latency_ms} ms")


def audit_row(m: Markup, row: AuditRow, nl: bool) -> str:
    mark = "" if row.result == "ok" else f" · {m.bold(m.escape(row.result))}"
    return f"{m.bullet}{when(m, row.at, nl)} · {m.person(row.platform, row.actor)} · {m.code(m.escape(row.action))}{mark}"


@dataclass(frozen=True)
class HistoryText:
    """A link's history: a title, the link, its checks and its audit entries, each with a note of older ones."""

    title: str
    """Plain, for a notification."""
    head: str
    link: str
    checks_head: str
    checks: tuple[str, ...]
    older_checks: str
    audits_head: str
    audits: tuple[str, ...]
    older_audits: str


def history(m: Markup, outcome: History, nl: bool) -> HistoryText:
    card = outcome.card
    title = pick(nl, f"History of {card.short_id}", f"Geschiedenis van {card.short_id}")
    checks = [check_row(m, row, nl) for row in outcome.checks] or [pick(nl, "_no checks yet_", "_nog geen controles_")]
    audits = [audit_row(m, row, nl) for row in outcome.audits] or [pick(nl, "_nothing yet_", "_nog niets_")]
    return HistoryText(
        title=title, head=m.bold(title), link=link_line(m, card, nl),
        checks_head=pick(nl, f"{m.bold('Checks')} (newest first)", f"{m.bold('Controles')} (nieuwste eerst)"),
        checks=tuple(checks),
        older_checks=(pick(nl, f"and {outcome.more_checks} older check(s)", f"en nog {outcome.more_checks} oudere controle(s)")
                      if outcome.more_checks else ""),
        audits_head=m.bold(pick(nl, "Audit log", "Auditlog")),
        audits=tuple(audits),
        older_audits=(pick(nl, f"and {outcome.more_audits} older entries", f"en nog {outcome.more_audits} oudere regels")
                      if outcome.more_audits else ""),
    )


def labelled(m: Markup, outcome: Labelled, nl: bool) -> str:
    card = outcome.card
    shown = m.escape(card.label, 200)
    line = pick(nl, f"{m.icon('label')} {card.short_id} is now labelled “{shown}”.",
                f"{m.icon('label')} {card.short_id} heeft nu het label “{shown}”.")
    if outcome.previous:
        line += f" (was “{m.escape(outcome.previous, 200)}”)"
    return line


def noted(nl: bool) -> str:
    return pick(nl, "Noted in the link's support thread.", "Genoteerd in de supportthread van de koppeling.")


def revoke_question(card: LinkCard, nl: bool) -> str:
    return pick(nl, f"Revoke {card.short_id}? Its token is destroyed for good; the customer has to send a new one.",
                f"{card.short_id} intrekken? Het token wordt definitief vernietigd; de klant moet een nieuw sturen.")


def revoke_button(card: LinkCard, nl: bool) -> str:
    return pick(nl, f"Revoke {card.short_id}", f"{card.short_id} intrekken")


def cancel_button(nl: bool) -> str:
    return _label("cancel", nl)


def revoked(m: Markup, card: LinkCard, nl: bool) -> str:
    return pick(nl, f"{m.icon('wastebasket')} {card.short_id} revoked: its token is destroyed. The support thread is told.",
                f"{m.icon('wastebasket')} {card.short_id} ingetrokken: het token is vernietigd. De supportthread weet het.")


def already_revoked(card: LinkCard, nl: bool) -> str:
    return pick(nl, f"{card.short_id} was already revoked; it holds no token.",
                f"{card.short_id} was al ingetrokken; er is geen token meer.")


def revoke_cancelled(link_id: int, nl: bool) -> str:
    return pick(nl, f"Cancelled: L{link_id} is left as it was.", f"Geannuleerd: L{link_id} blijft zoals het was.")


# --- answers that are not outcomes ---------------------------------------------------------------------


def no_link(short_id: str, nl: bool) -> str:
    return pick(nl, f"There is no link {short_id}.", f"Er is geen koppeling {short_id}.")


def unavailable(nl: bool) -> str:
    return pick(nl, "Checking is not available on this server (the re-check is not running).",
                "Controleren kan niet op deze server (de hercontrole draait niet).")


def failed(m: Markup, reference: str, nl: bool) -> str:
    shown = m.code(m.escape(reference))
    return pick(nl, f"Something went wrong on our side; nothing was changed that you were not told about. Reference: {shown}.",
                f"Er ging bij ons iets mis; er is niets veranderd zonder dat je het hoorde. Referentie: {shown}.")
