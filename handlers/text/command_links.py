"""The words of `/nmbrs` answers, first part: the shared helpers, help and typing mistakes, and links
(status, list). handlers.text.command_text names everything; see there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from handlers.commands import (
    CommandSpec,
    LinkList,
    LinkStatus,
    RunInfo,
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


def label_of(key: str, nl: bool) -> str:
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


def fault_words(code: int, nl: bool) -> str:
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
    "invite": ("a one-time web link for a customer outside Slack and Teams (invite revoke I7 ends one)",
               "een eenmalige weblink voor een klant buiten Slack en Teams (invite revoke I7 beëindigt er een)"),
    "invites": ("open invitations", "openstaande uitnodigingen"),
    "migration": ("SOAP → REST progress, or one link's debtors (migration not-needed L5 4 marks debtor 4 not needed)",
                  "voortgang SOAP → REST, of de debiteuren van één koppeling (migration not-needed L5 4 markeert "
                  "debiteur 4 als niet nodig)"),
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


def token_in_command(nl: bool) -> str:
    # Never the word itself: it is what must not be shown anywhere.
    return pick(nl, "That looks like an Nmbrs API token, so I did not run the command and kept nothing of it.",
                "Dat lijkt op een Nmbrs API-token. Daarom heb ik de opdracht niet uitgevoerd en er niets van bewaard.")


def token_reset(nl: bool) -> str:
    return pick(nl, "If it is a real token, treat it as exposed: reset it in Nmbrs (User profile → API Token) "
                    "and send the new one only through the connect form or a direct message to me. "
                    "Refer to links by their id, such as L12.",
                "Is het een echt token, beschouw het dan als uitgelekt: stel in Nmbrs een nieuw token in "
                "(gebruikersprofiel → API Token) en stuur het nieuwe alleen via het koppelformulier of in een "
                "privébericht aan mij. Verwijs naar koppelingen met hun id, zoals L12.")


_PROBLEMS = {
    "missing_name": ("For whom? Write the customer's name or e-mail address after invite.",
                     "Voor wie? Zet de naam of het e-mailadres van de klant achter invite."),
    "missing_invitation": ("Which invitation? Give its id, like I7.", "Welke uitnodiging? Geef het id, zoals I7."),
    "bad_invitation": ("That is not an invitation id; write it like I7.",
                       "Dat is geen id van een uitnodiging; schrijf het als I7."),
    "missing_debtor": ("Which debtor? Write its number after the link id.",
                       "Welke debiteur? Zet het nummer achter het id van de koppeling."),
    "bad_debtor": ("That is not a debtor number: letters, digits, dots, dashes and underscores, at most 32.",
                   "Dat is geen debiteurnummer: letters, cijfers, punten, streepjes en liggende streepjes, "
                   "hoogstens 32."),
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
        extra.append(fault_words(status.last_fault_code, nl))
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
        (label_of("environment", nl), m.escape(card.environment, 100) if card.environment else "?"),
        (pick(nl, "Username", "Gebruikersnaam"), m.escape(card.username, 254)),
        ("Token", f"…{m.escape(card.token_last4)}" if card.token_last4 else "—"),
        (label_of("debtors", nl), _names(m, card.debtor_count, card.debtor_names)),
        (label_of("companies", nl), _names(m, card.company_count, card.company_names)),
        ("Label", m.escape(card.label, 200) if card.label else "—"),
        (label_of("last_check", nl), _last_check(m, status, nl)),
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
        (label_of("companies", nl), _names(m, card.company_count, card.company_names)),
        ("Label", m.escape(card.label, 200) if card.label else "—"),
        (label_of("last_check", nl), _last_check(m, status, nl)),
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
