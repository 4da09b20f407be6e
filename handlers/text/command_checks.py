"""The words of `/nmbrs` answers, second part: checks (one link, all), history, labels and revoking.
handlers.text.command_text names everything; see there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.commands import (
    AuditRow,
    CheckReportLike,
    CheckRow,
    History,
    Labelled,
    RunSummaryLike,
)
from handlers.model import LinkCard
from handlers.text.command_links import (
    CHANGES_SHOWN,
    counts_line,
    fault_words,
    label_of,
    link_line,
    more,
    pick,
    state,
    when,
)
from handlers.text.markup import Markup

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
        extra.append(fault_words(report.fault_code, nl))
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
        extra.append(fault_words(row.fault_code, nl))
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
    if card.is_rest:
        return pick(nl, f"Revoke {card.short_id}? Its tokens are destroyed for good and its consent is revoked at "
                        "Nmbrs; the customer has to connect again.",
                    f"{card.short_id} intrekken? De tokens worden definitief vernietigd en de toestemming wordt bij "
                    "Nmbrs ingetrokken; de klant moet opnieuw koppelen.")
    return pick(nl, f"Revoke {card.short_id}? Its token is destroyed for good; the customer has to send a new one.",
                f"{card.short_id} intrekken? Het token wordt definitief vernietigd; de klant moet een nieuw sturen.")


def revoke_button(card: LinkCard, nl: bool) -> str:
    return pick(nl, f"Revoke {card.short_id}", f"{card.short_id} intrekken")


def cancel_button(nl: bool) -> str:
    return label_of("cancel", nl)


def revoked(m: Markup, card: LinkCard, nl: bool) -> str:
    return pick(nl, f"{m.icon('wastebasket')} {card.short_id} revoked: its token is destroyed. The support thread is told.",
                f"{m.icon('wastebasket')} {card.short_id} ingetrokken: het token is vernietigd. De supportthread weet het.")


def revoked_at_nmbrs(at_nmbrs: bool, nl: bool) -> str:
    """A REST link's refresh token after `revoke`: revoked at Nmbrs, or queued; access tokens live on."""
    handed = pick(nl, "Access tokens already handed out stay valid until they expire (about an hour).",
                  "Al uitgegeven toegangstokens blijven geldig tot ze verlopen (ongeveer een uur).")
    if at_nmbrs:
        return pick(nl, "The refresh token is revoked at Nmbrs. ", "Het refresh-token is ingetrokken bij Nmbrs. ") + handed
    return pick(nl, "Nmbrs could not be reached: revoking the refresh token there is queued, will retry (encrypted, "
                    "for up to 30 days); the support thread says how it ends. ",
                "Nmbrs was niet bereikbaar: het intrekken van het refresh-token daar staat in de wachtrij en wordt "
                "opnieuw geprobeerd (versleuteld, tot 30 dagen); de supportthread meldt hoe het afloopt. ") + handed


def already_revoked(card: LinkCard, nl: bool) -> str:
    return pick(nl, f"{card.short_id} was already revoked; it holds no token.",
                f"{card.short_id} was al ingetrokken; er is geen token meer.")


def revoke_cancelled(link_id: int, nl: bool) -> str:
    return pick(nl, f"Cancelled: L{link_id} is left as it was.", f"Geannuleerd: L{link_id} blijft zoals het was.")
