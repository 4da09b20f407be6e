"""Block Kit for `/nmbrs` answers and the support part of App Home, in Dutch or English.

Pure functions from the neutral outcomes of handlers.commands to `{"text", "blocks"}` messages.
Everything that came from outside (labels, usernames, environments, Nmbrs names, what was typed)
goes through escape(); long values are cut before escaping so no entity is cut in half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.nmbrs.explain import language
from bot.slack.blocks import escape, mention
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
    SupportSummary,
    Unavailable,
    Unknown,
    Usage,
)

Message = dict[str, Any]

SLASH = "/nmbrs"
REVOKE_CONFIRM = "nmbrs_revoke_confirm"
REVOKE_CANCEL = "nmbrs_revoke_cancel"
#: Scope names listed in full up to this many; above it only the count.
NAMED = 5
_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section; keep a margin for the joiners

STATE_ICONS = {
    "active": ":large_green_circle:",
    "pending": ":hourglass_flowing_sand:",
    "unverified": ":large_yellow_circle:",
    "broken": ":red_circle:",
    "rejected": ":no_entry:",
    "revoked": ":wastebasket:",
}

_SUMMARIES = {
    "help": ("what you can do here", "wat je hier kunt doen"),
    "connect": ("send your Nmbrs login and API token (opens a form)",
                "stuur je Nmbrs-login en API-token (opent een formulier)"),
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


def _cut(text: str | None, limit: int) -> str:
    """Shorten raw text before escaping it."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(text: str | None, limit: int = 200) -> str:
    return escape(_cut(text, limit))


def when(moment: datetime | None, nl: bool) -> str:
    """A time every reader sees in their own time zone; the fallback is UTC."""
    if moment is None:
        return _t(nl, "never", "nooit")
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def who(platform: str, team_id: str | None, user_id: str | None, *, home_team: str | None = None) -> str:
    """Who sent or did something: a mention on Slack (with their organisation when it is not ours)."""
    if not user_id:
        return "?"
    if platform != "slack":
        return f"{escape(platform)} {_e(user_id, 80)}"
    shown = mention(user_id)
    if home_team and team_id and team_id != home_team:
        shown += f" ({_e(team_id, 40)})"
    return shown


def state(name: str) -> str:
    return f"{STATE_ICONS.get(name, ':grey_question:')} `{escape(name)}`"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, 150), "emoji": True}}


def _message(text: str, blocks: list[dict[str, Any]] | None = None) -> Message:
    return {"text": text, "blocks": blocks if blocks is not None else [_section(text)]}


def _line_sections(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit Slack's 3000 characters each."""
    sections: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > _SECTION_LIMIT:
            sections.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        sections.append(_section("\n".join(chunk)))
    return sections


def _usage_line(spec: CommandSpec) -> str:
    # Slack reads <…> as a link or mention even inside a code span.
    return f"`{SLASH} {escape(spec.usage)}`"


def _command_lines(commands: Sequence[CommandSpec], nl: bool, *, staff: bool = False) -> list[str]:
    lines = []
    for spec in commands:
        summary = _SUMMARIES[spec.name][1 if nl else 0]
        if spec.name == "status" and staff:
            summary = _STAFF_STATUS[1 if nl else 0]
        lines.append(f"• {_usage_line(spec)} — {summary}")
    return lines


# --- the outcomes --------------------------------------------------------------------------------


def render(outcome: Outcome, lang: str, *, home_team: str | None = None) -> Message:
    """The message for any quick outcome of Commands.handle (queued checks have their own)."""
    nl = _nl(lang)
    match outcome:
        case Help():
            return help_message(outcome, nl)
        case Unknown():
            text = _t(nl, f"There is no `{SLASH} {_e(outcome.word, 40)}`.",
                      f"`{SLASH} {_e(outcome.word, 40)}` bestaat niet.")
            return _message(text, [_section(text), _section("\n".join(_command_lines(outcome.commands, nl)))])
        case Usage():
            return usage_message(outcome, nl)
        case Refused():
            return refused_message(outcome, nl)
        case NoLink():
            text = _t(nl, f"There is no link {outcome.short_id}.", f"Er is geen koppeling {outcome.short_id}.")
            return _message(text)
        case Unavailable():
            return _message(_t(nl, "Checking is not available on this server (the re-check is not running).",
                               "Controleren kan niet op deze server (de hercontrole draait niet)."))
        case StatusResult():
            return status_message(outcome, nl, home_team=home_team)
        case LinkList():
            return list_message(outcome, nl)
        case NotCheckable():
            card = outcome.card
            return _message(_t(nl, f"{card.short_id} is {card.state} and holds no token any more: nothing to check.",
                               f"{card.short_id} is {card.state} en heeft geen token meer: niets te controleren."))
        case CheckQueued():
            return check_started(outcome, nl)
        case CheckAllQueued():
            return check_all_progress(0, outcome.total, nl)
        case Checked():
            return checked_message(outcome, nl)
        case CheckedAll():
            return checked_all_message(outcome, nl)
        case Busy():
            return _message(_t(nl, "A check run is going on already (the nightly one, or someone's `check all`); "
                                   f"see `{SLASH} list` when it has finished.",
                               "Er loopt al een controle (de nachtelijke, of iemands `check all`); "
                               f"kijk met `{SLASH} list` als die klaar is."))
        case History():
            return history_message(outcome, nl, home_team=home_team)
        case Labelled():
            return labelled_message(outcome, nl)
        case RevokeAsk():
            return revoke_ask_message(outcome, nl)
        case Revoked():
            card = outcome.card
            text = _t(nl, f":wastebasket: {card.short_id} revoked: its token is destroyed. The support thread is told.",
                      f":wastebasket: {card.short_id} ingetrokken: het token is vernietigd. De supportthread weet het.")
            return _message(text, [_section(text), _context(_link_line(card, nl))])
        case AlreadyRevoked():
            text = _t(nl, f"{outcome.card.short_id} was already revoked; it holds no token.",
                      f"{outcome.card.short_id} was al ingetrokken; er is geen token meer.")
            return _message(text)
        case RevokeCancelled():
            return _message(_t(nl, f"Cancelled: L{outcome.link_id} is left as it was.",
                               f"Geannuleerd: L{outcome.link_id} blijft zoals het was."))
        case OpenConnect():
            return _message(_t(nl, "Opening the form…", "Het formulier gaat open…"))
    raise TypeError(f"no rendering for {type(outcome).__name__}")


def help_message(outcome: Help, nl: bool) -> Message:
    intro = (_t(nl, "*Support commands* (you are support staff):", "*Supportopdrachten* (je bent support):")
             if outcome.staff else
             _t(nl, "*What you can do with* `/nmbrs`:", "*Wat je kunt met* `/nmbrs`:"))
    lines = _command_lines(outcome.commands, nl, staff=outcome.staff)
    blocks = [_section(intro + "\n" + "\n".join(lines))]
    if outcome.staff:
        blocks.append(_context(_t(nl, "A link is `L12` or `12`. States: ", "Een koppeling is `L12` of `12`. Toestanden: ")
                               + ", ".join(f"`{s}`" for s in STATE_ICONS)))
    else:
        blocks.append(_context(_t(nl, "You can also send your login and token to me in a direct message.",
                                  "Je kunt je login en token ook in een direct bericht aan mij sturen.")))
    return {"text": intro, "blocks": blocks}


_PROBLEMS = {
    "missing_link": ("Which link? Give its id, like `L12`.", "Welke koppeling? Geef het id, zoals `L12`."),
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


def usage_message(outcome: Usage, nl: bool) -> Message:
    given = _e(outcome.given, 40)
    if outcome.problem == "bad_state":
        states = ", ".join(f"`{s}`" for s in outcome.states)
        problem = _t(nl, f"`{given}` is not a state. Valid states: {states}.",
                     f"`{given}` is geen toestand. Geldige toestanden: {states}.")
    elif outcome.problem == "bad_link":
        problem = _t(nl, f"`{given}` is not a link id; write it like `L12` or `12`.",
                     f"`{given}` is geen id van een koppeling; schrijf het als `L12` of `12`.")
    elif outcome.problem == "label_too_long":
        problem = _t(nl, f"The label is too long: at most {outcome.limit} characters.",
                     f"Het label is te lang: hoogstens {outcome.limit} tekens.")
    elif outcome.problem == "query_too_long":
        problem = _t(nl, f"That search is too long: at most {outcome.limit} characters.",
                     f"Die zoekopdracht is te lang: hoogstens {outcome.limit} tekens.")
    else:
        en, dutch = _PROBLEMS.get(outcome.problem, ("That does not fit this command.", "Dat past niet bij deze opdracht."))
        problem = _t(nl, en, dutch)
    text = f"{problem}\n{_t(nl, 'Usage', 'Gebruik')}: {_usage_line(outcome.spec)}"
    return _message(text)


def refused_message(outcome: Refused, nl: bool) -> Message:
    # The same words for every refusal: nothing about the command's arguments or any link.
    text = _t(nl, "That command is for the support team.", "Die opdracht is voor het supportteam.")
    return _message(text, [_section(text), _section("\n".join(_command_lines(outcome.commands, nl)))])


def _names(count: int, names: Sequence[str]) -> str:
    if count == 0:
        return "0"
    if count <= NAMED and names:
        return f"{count}: " + ", ".join(_e(n, 80) for n in names[:NAMED])
    return str(count)


def _link_line(card: LinkCard, nl: bool) -> str:
    """One line per link for lists: id, state, username, environment, label."""
    parts = [f"*{card.short_id}*", state(card.state), _e(card.username, 60),
             _e(card.environment, 40) if card.environment else _t(nl, "_environment unknown_", "_omgeving onbekend_")]
    if card.label:
        parts.append(f"“{_e(card.label, 60)}”")
    return " · ".join(parts)


def _last_check(status: LinkStatus, nl: bool) -> str:
    if status.last_checked_at is None:
        return _t(nl, "not checked yet", "nog niet gecontroleerd")
    outcome = status.last_outcome or "?"
    extra = [escape(r) for r in (status.last_reason,) if r]
    if status.last_fault_code is not None:
        extra.append(_t(nl, f"fault {status.last_fault_code}", f"foutcode {status.last_fault_code}"))
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"{when(status.last_checked_at, nl)}: `{escape(outcome)}`{suffix}"


def link_fields(status: LinkStatus, nl: bool, *, home_team: str | None = None) -> list[dict[str, str]]:
    card = status.card
    values = [
        (_t(nl, "State", "Toestand"), f"{state(card.state)} {_t(nl, 'since', 'sinds')} {when(status.state_changed_at, nl)}"),
        (_t(nl, "Environment", "Omgeving"), _e(card.environment, 100) if card.environment else "?"),
        (_t(nl, "Username", "Gebruikersnaam"), _e(card.username, 254)),
        ("Token", f"…{escape(card.token_last4)}" if card.token_last4 else "—"),
        (_t(nl, "Debtors", "Debiteuren"), _names(card.debtor_count, card.debtor_names)),
        (_t(nl, "Companies", "Bedrijven"), _names(card.company_count, card.company_names)),
        ("Label", _e(card.label, 200) if card.label else "—"),
        (_t(nl, "Last check", "Laatste controle"), _last_check(status, nl)),
        (_t(nl, "Sent by", "Gestuurd door"),
         f"{who(card.platform, card.team_id, card.user_id, home_team=home_team)}, {when(status.created_at, nl)}"),
    ]
    return [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in values]


def status_message(outcome: StatusResult, nl: bool, *, home_team: str | None = None) -> Message:
    query = f" “{_e(outcome.query, 100)}”" if outcome.query else ""
    if not outcome.links:
        if outcome.staff:
            text = _t(nl, f"No link matches{query}.", f"Geen koppeling past bij{query}.")
        elif outcome.query:
            text = _t(nl, f"None of your links matches{query}.", f"Geen van je koppelingen past bij{query}.")
        else:
            text = _t(nl, f"You have no links yet. Use `{SLASH} connect` to send your Nmbrs login and API token.",
                      f"Je hebt nog geen koppelingen. Gebruik `{SLASH} connect` om je Nmbrs-login en API-token te sturen.")
        return _message(text)
    blocks: list[dict[str, Any]] = []
    for status in outcome.links:
        card = status.card
        title = f"*{card.short_id}*" + (f" — {_e(card.label, 100)}" if card.label else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": title},
                       "fields": link_fields(status, nl, home_team=home_team)})
        blocks.append({"type": "divider"})
    blocks.pop()
    if outcome.more:
        blocks.append(_context(_t(nl, f"and {outcome.more} more — narrow the search, or use `{SLASH} list`.",
                                  f"en nog {outcome.more} — zoek preciezer, of gebruik `{SLASH} list`.")))
    text = _t(nl, f"{len(outcome.links) + outcome.more} link(s){query}", f"{len(outcome.links) + outcome.more} koppeling(en){query}")
    return {"text": text, "blocks": blocks}


def run_line(run: RunInfo | None, nl: bool) -> str:
    if run is None:
        return _t(nl, "No nightly check has finished yet.", "Er is nog geen nachtelijke controle klaar.")
    if run.finished_at is None:
        return _t(nl, f"A check run started {when(run.started_at, nl)} and has not finished.",
                  f"Een controle begon {when(run.started_at, nl)} en is nog niet klaar.")
    kind = _t(nl, "nightly check", "nachtelijke controle") if run.trigger == "schedule" else _t(nl, "check run", "controle")
    status = "" if run.status == "finished" else f" (`{escape(run.status)}`)"
    return _t(nl, f"Last {kind} finished {when(run.finished_at, nl)}{status}.",
              f"Laatste {kind} klaar {when(run.finished_at, nl)}{status}.")


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{STATE_ICONS.get(name, '')} {escape(name)} {n}" for name, n in counts.items() if n)


def list_message(outcome: LinkList, nl: bool) -> Message:
    total = len(outcome.links) + outcome.more
    which = f" `{escape(outcome.state)}`" if outcome.state else ""
    if not outcome.links:
        head = _t(nl, f"No{which} links.", f"Geen{which} koppelingen.")
    else:
        head = _t(nl, f"*{total}{which} link(s)*", f"*{total}{which} koppeling(en)*")
    blocks = [_section(head)]
    blocks += _line_sections(_link_line(card, nl) for card in outcome.links)
    if outcome.more:
        hint = _t(nl, f"and {outcome.more} more", f"en nog {outcome.more}")
        if not outcome.state:
            hint += _t(nl, f" — pick a state, like `{SLASH} list broken`", f" — kies een toestand, zoals `{SLASH} list broken`")
        blocks.append(_context(hint))
    footer = run_line(outcome.last_run, nl)
    if not outcome.state and any(outcome.counts.values()):
        footer = _counts(outcome.counts) + "\n" + footer
    blocks.append(_context(footer))
    return {"text": head, "blocks": blocks}


def check_started(outcome: CheckQueued, nl: bool) -> Message:
    card = outcome.card
    text = _t(nl, f":hourglass_flowing_sand: Checking {card.short_id} with Nmbrs…",
              f":hourglass_flowing_sand: {card.short_id} wordt bij Nmbrs gecontroleerd…")
    return _message(text, [_section(text), _context(_link_line(card, nl))])


_OUTCOME_WORDS = {
    "valid": (":white_check_mark: Nmbrs accepts the token", ":white_check_mark: Nmbrs accepteert het token"),
    "rejected": (":x: Nmbrs rejects the token", ":x: Nmbrs weigert het token"),
    "unreachable": (":warning: Nmbrs could not be reached", ":warning: Nmbrs was niet bereikbaar"),
    "error": (":warning: The check failed on our side", ":warning: De controle mislukte aan onze kant"),
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


def _transition(name: str | None, nl: bool) -> str:
    if not name:
        return ""
    en, dutch = _TRANSITIONS.get(name, (name, name))
    return escape(_t(nl, en, dutch))


def checked_message(outcome: Checked, nl: bool) -> Message:
    report = outcome.report
    card = report.link
    en, dutch = _OUTCOME_WORDS.get(report.outcome, (f"Outcome: {report.outcome}", f"Uitkomst: {report.outcome}"))
    extra = [escape(report.reason)] if report.reason and report.outcome != "skipped" else []
    if getattr(report, "fault_code", None) is not None:
        extra.append(_t(nl, f"fault {report.fault_code}", f"foutcode {report.fault_code}"))
    text = f"{card.short_id}: {_t(nl, en, dutch)}" + (f" ({', '.join(extra)})" if extra else "") + "."
    if report.transition:
        sentence = _transition(report.transition, nl)
        text += "\n" + sentence[:1].upper() + sentence[1:] + ". " + _t(nl, "State now", "Toestand nu") + f": {state(card.state)}."
    else:
        text += "\n" + _t(nl, f"State stays {state(card.state)}.", f"Toestand blijft {state(card.state)}.")
    return _message(text, [_section(text), _context(_link_line(card, nl))])


def check_all_progress(done: int, total: int, nl: bool) -> Message:
    percent = 100 * done // total if total else 100
    text = _t(nl, f":hourglass_flowing_sand: Checking all links with Nmbrs: {done} of {total} ({percent}%)…",
              f":hourglass_flowing_sand: Alle koppelingen worden bij Nmbrs gecontroleerd: {done} van {total} ({percent}%)…")
    return _message(text)


def _change_line(change: dict[str, Any], nl: bool) -> str:
    parts = [f"*{escape(change.get('link') or '?')}*", _e(change.get("username"), 60)]
    if change.get("environment"):
        parts.append(_e(change["environment"], 40))
    line = "• " + " · ".join(parts) + f" — {_transition(change.get('transition'), nl)}"
    if change.get("reason"):
        line += f" ({_e(change['reason'], 40)})"
    return line


def checked_all_message(outcome: CheckedAll, nl: bool) -> Message:
    summary = outcome.summary
    seconds = ""
    if summary.finished_at is not None:
        seconds = f" ({(summary.finished_at - summary.started_at).total_seconds():.0f} s)"
    changes = list(summary.changes or [])
    text = _t(nl, f":white_check_mark: Checked {summary.checked} link(s){seconds}.",
              f":white_check_mark: {summary.checked} koppeling(en) gecontroleerd{seconds}.")
    if summary.failed:
        text += " " + _t(nl, f"{summary.failed} could not be checked because of a fault on our side.",
                         f"{summary.failed} kon(den) niet worden gecontroleerd door een fout aan onze kant.")
    blocks = [_section(text)]
    counts = _counts(dict(summary.counts or {}))
    if counts:
        blocks.append(_context(counts))
    if changes:
        head = _t(nl, f"*{len(changes)} change(s):*", f"*{len(changes)} wijziging(en):*")
        blocks += _line_sections([head, *(_change_line(c, nl) for c in changes[:20])])
        if len(changes) > 20:
            blocks.append(_context(_t(nl, f"and {len(changes) - 20} more", f"en nog {len(changes) - 20}")))
    else:
        blocks.append(_context(_t(nl, "No link changed state.", "Geen koppeling veranderde van toestand.")))
    return {"text": text, "blocks": blocks}


def _check_row(row: Any, nl: bool) -> str:
    extra = [escape(row.reason)] if row.reason else []
    if row.fault_code is not None:
        extra.append(_t(nl, f"fault {row.fault_code}", f"foutcode {row.fault_code}"))
    detail = f" ({', '.join(extra)})" if extra else ""
    return f"• {when(row.checked_at, nl)} · {escape(row.trigger)} · `{escape(row.outcome)}`{detail} · {row.latency_ms} ms"


def _audit_row(row: AuditRow, nl: bool, *, home_team: str | None = None) -> str:
    actor = who(row.platform, None, row.actor, home_team=home_team)
    mark = "" if row.result == "ok" else f" · *{escape(row.result)}*"
    return f"• {when(row.at, nl)} · {actor} · `{escape(row.action)}`{mark}"


def history_message(outcome: History, nl: bool, *, home_team: str | None = None) -> Message:
    card = outcome.card
    head = _t(nl, f"*History of {card.short_id}*", f"*Geschiedenis van {card.short_id}*")
    blocks = [_section(head + "\n" + _link_line(card, nl))]
    checks = [_check_row(row, nl) for row in outcome.checks] or [_t(nl, "_no checks yet_", "_nog geen controles_")]
    blocks += _line_sections([_t(nl, "*Checks* (newest first)", "*Controles* (nieuwste eerst)"), *checks])
    if outcome.more_checks:
        blocks.append(_context(_t(nl, f"and {outcome.more_checks} older check(s)", f"en nog {outcome.more_checks} oudere controle(s)")))
    audits = [_audit_row(row, nl, home_team=home_team) for row in outcome.audits] or [_t(nl, "_nothing yet_", "_nog niets_")]
    blocks += _line_sections([_t(nl, "*Audit log*", "*Auditlog*"), *audits])
    if outcome.more_audits:
        blocks.append(_context(_t(nl, f"and {outcome.more_audits} older entries", f"en nog {outcome.more_audits} oudere regels")))
    return {"text": _t(nl, f"History of {card.short_id}", f"Geschiedenis van {card.short_id}"), "blocks": blocks}


def labelled_message(outcome: Labelled, nl: bool) -> Message:
    card = outcome.card
    text = _t(nl, f":label: {card.short_id} is now labelled “{_e(card.label)}”.",
              f":label: {card.short_id} heeft nu het label “{_e(card.label)}”.")
    if outcome.previous:
        text += _t(nl, f" (was “{_e(outcome.previous)}”)", f" (was “{_e(outcome.previous)}”)")
    return _message(text, [_section(text), _context(_t(nl, "Noted in the link's support thread.",
                                                        "Genoteerd in de supportthread van de koppeling."))])


def revoke_ask_message(outcome: RevokeAsk, nl: bool) -> Message:
    card = outcome.card
    text = _t(nl, f"Revoke {card.short_id}? Its token is destroyed for good; the customer has to send a new one.",
              f"{card.short_id} intrekken? Het token wordt definitief vernietigd; de klant moet een nieuw sturen.")
    value = str(card.id)
    actions = {
        "type": "actions",
        "block_id": f"nmbrs_revoke_{card.id}",
        "elements": [
            {"type": "button", "action_id": REVOKE_CONFIRM, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": _t(nl, f"Revoke {card.short_id}", f"{card.short_id} intrekken")}},
            {"type": "button", "action_id": REVOKE_CANCEL, "value": value,
             "text": {"type": "plain_text", "text": _t(nl, "Cancel", "Annuleren")}},
        ],
    }
    return {"text": text, "blocks": [_section(text), _context(_link_line(card, nl)), actions]}


# --- answers that are not outcomes ---------------------------------------------------------------


def working_message(lang: str) -> Message:
    nl = _nl(lang)
    return _message(_t(nl, ":hourglass_flowing_sand: One moment…", ":hourglass_flowing_sand: Even geduld…"))


def failed_message(lang: str, reference: str) -> Message:
    nl = _nl(lang)
    return _message(_t(nl, f"Something went wrong on our side; nothing was changed that you were not told about. "
                           f"Reference: `{escape(reference)}`.",
                       f"Er ging bij ons iets mis; er is niets veranderd zonder dat je het hoorde. "
                       f"Referentie: `{escape(reference)}`."))


def connect_failed_message(lang: str) -> Message:
    nl = _nl(lang)
    return _message(_t(nl, f"The form did not open in time. Try `{SLASH} connect` again, or send your login and "
                           "token to me in a direct message.",
                       f"Het formulier ging niet op tijd open. Probeer `{SLASH} connect` nog eens, of stuur je "
                       "login en token in een direct bericht aan mij."))


def home_blocks(summary: SupportSummary, lang: str, *, home_team: str | None = None) -> list[dict[str, Any]]:
    """The support part of App Home: links by state, recent alerts and audit entries, the last run."""
    nl = _nl(lang)
    blocks: list[dict[str, Any]] = [_header(_t(nl, "Support overview", "Supportoverzicht"))]
    total = sum(summary.counts.values())
    counts = _counts(summary.counts) or _t(nl, "no links yet", "nog geen koppelingen")
    blocks.append(_section(_t(nl, f"*{total} link(s)*: ", f"*{total} koppeling(en)*: ") + counts))
    blocks.append(_context(run_line(summary.last_run, nl)))
    alerts = [
        f"• {when(a.created_at, nl)} · `{escape(a.kind)}`" + (f" · L{a.link_id}" if a.link_id is not None else "")
        + ("" if a.sent_at else _t(nl, " · _not delivered yet_", " · _nog niet bezorgd_"))
        for a in summary.alerts
    ] or [_t(nl, "_none yet_", "_nog geen_")]
    blocks += _line_sections([_t(nl, "*Recent alerts*", "*Recente meldingen*"), *alerts])
    audits = [_audit_row(row, nl, home_team=home_team) for row in summary.audits] or [_t(nl, "_none yet_", "_nog geen_")]
    blocks += _line_sections([_t(nl, "*Recent support actions*", "*Recente supportacties*"), *audits])
    blocks.append(_context(_t(nl, f"`{SLASH} help` lists the support commands.", f"`{SLASH} help` toont de supportopdrachten.")))
    return blocks
