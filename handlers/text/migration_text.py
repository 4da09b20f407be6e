"""The words of the SOAP → REST migration tracker in Dutch or English, the same on Slack and Teams: the
overview, a link's checklist, support's answers, and the tracker's messages in the support channel.

Pure functions; outside values (Nmbrs names and numbers, labels, environments) go through m.escape.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.text.command_links import pick, when
from handlers.text.markup import Markup
from storage.migration import DebtorMove, LinkMove, Totals
from storage.models import MoveState

_NAME = 60


def title(m: Markup, nl: bool) -> str:
    return f"{m.icon('twisted_rightwards_arrows')} {m.bold(pick(nl, 'SOAP → REST migration', 'Migratie SOAP → REST'))}"


def totals_line(m: Markup, totals: Totals, nl: bool) -> str:
    return pick(
        nl,
        f"{m.bold(str(totals.to_move))} debtor(s) to move · {totals.covered} covered by REST · "
        f"{totals.not_needed} not needed · {totals.soap_links} SOAP link(s), {totals.debtors} debtor(s)",
        f"{m.bold(str(totals.to_move))} debiteur(en) te verhuizen · {totals.covered} gedekt door REST · "
        f"{totals.not_needed} niet nodig · {totals.soap_links} SOAP-koppeling(en), {totals.debtors} debiteur(en)",
    )


def days_line(soap_until: date | None, days: int | None, nl: bool) -> str:
    if soap_until is None or days is None:
        return pick(nl, "No switch-off date set (TOKENDESK_NMBRS_SOAP_UNTIL).",
                    "Geen uitschakeldatum ingesteld (TOKENDESK_NMBRS_SOAP_UNTIL).")
    day = soap_until.isoformat()
    if days > 1:
        return pick(nl, f"{days} days left until SOAP stops ({day}).", f"Nog {days} dagen tot SOAP stopt ({day}).")
    if days == 1:
        return pick(nl, f"1 day left until SOAP stops ({day}).", f"Nog 1 dag tot SOAP stopt ({day}).")
    if days == 0:
        return pick(nl, f"SOAP stops today ({day}).", f"SOAP stopt vandaag ({day}).")
    return pick(nl, f"SOAP was to stop {-days} day(s) ago ({day}).", f"SOAP zou {-days} dag(en) geleden stoppen ({day}).")


def _where(m: Markup, move: LinkMove) -> str:
    parts = [m.escape(move.environment, 40) if move.environment else m.escape(move.username, 60)]
    if move.label:
        parts.append(m.escape(move.label, 60))
    return " · ".join(parts)


def link_line(m: Markup, move: LinkMove, nl: bool) -> str:
    total = len(move.debtors)
    return f"{m.code(move.short_id)} {_where(m, move)} · " + pick(
        nl, f"{m.bold(str(move.to_move))} of {total} to move", f"{m.bold(str(move.to_move))} van {total} te verhuizen")


def nothing_left(nl: bool) -> str:
    return pick(nl, "Nothing left to move.", "Niets meer te verhuizen.")


def more_links(more: int, nl: bool) -> str:
    return pick(nl, f"…and {more} more link(s) with debtors to move.",
                f"…en nog {more} koppeling(en) met debiteuren te verhuizen.")


def overview_hint(m: Markup, short_id: str, nl: bool) -> str:
    return pick(nl, f"{m.command(f'migration {short_id}')} shows that link's debtors.",
                f"{m.command(f'migration {short_id}')} toont de debiteuren van die koppeling.")


def links_head(nl: bool) -> str:
    return pick(nl, "Links with debtors to move, most first:", "Koppelingen met debiteuren te verhuizen, meeste eerst:")


def debtor_label(m: Markup, number: object, name: object) -> str:
    shown = m.escape(name, _NAME) or "?"
    return f"{m.code(m.escape(number, 32))} {shown}" if number not in (None, "") else shown


def _state(m: Markup, debtor: DebtorMove, nl: bool) -> str:
    if debtor.state is MoveState.COVERED:
        return m.keyword(pick(nl, f"covered by L{debtor.rest_link_id}", f"gedekt door L{debtor.rest_link_id}"))
    if debtor.state is MoveState.NOT_NEEDED:
        return m.keyword(pick(nl, "not needed", "niet nodig"))
    return m.keyword(pick(nl, "to move", "te verhuizen"))


def checklist_head(m: Markup, move: LinkMove, nl: bool) -> str:
    total = len(move.debtors)
    return f"{m.bold(move.short_id)} {_where(m, move)}: " + pick(
        nl, f"{move.to_move} of {total} debtor(s) to move", f"{move.to_move} van {total} debiteur(en) te verhuizen")


def checklist_line(m: Markup, debtor: DebtorMove, nl: bool) -> str:
    line = f"{debtor_label(m, debtor.number, debtor.name)} · {_state(m, debtor, nl)}"
    if debtor.matched_by:
        line += f" · {m.escape(debtor.matched_by, 80)} {when(m, debtor.matched_at, nl)}"
    return line


def no_debtors(nl: bool) -> str:
    return pick(nl, "This link reaches no debtors.", "Deze koppeling bereikt geen debiteuren.")


def checklist_hint(m: Markup, link: str, nl: bool) -> str:
    command = m.command(f"migration not-needed {link} <number>")
    return pick(nl, f"{command} marks a debtor that does not need to move.",
                f"{command} markeert een debiteur die niet hoeft te verhuizen.")


def not_migrating(link: str, nl: bool) -> str:
    return pick(nl, f"{link} is not a SOAP link in use (unknown, REST, revoked or rejected).",
                f"{link} is geen SOAP-koppeling in gebruik (onbekend, REST, ingetrokken of geweigerd).")


def no_debtor(m: Markup, link: str, number: str, nl: bool) -> str:
    shown = m.typed(m.escape(number, 32))
    return pick(nl, f"{link} reaches no debtor with number {shown}.", f"{link} bereikt geen debiteur met nummer {shown}.")


def already_decided(m: Markup, link: str, debtor: DebtorMove, nl: bool) -> str:
    return pick(nl, f"{debtor_label(m, debtor.number, debtor.name)} of {link} is decided already: {_state(m, debtor, nl)}.",
                f"{debtor_label(m, debtor.number, debtor.name)} van {link} is al beslist: {_state(m, debtor, nl)}.")


def marked_not_needed(m: Markup, link: str, debtor: DebtorMove, nl: bool) -> str:
    return pick(nl, f"{debtor_label(m, debtor.number, debtor.name)} of {link} marked not needed.",
                f"{debtor_label(m, debtor.number, debtor.name)} van {link} gemarkeerd als niet nodig.")


def match_confirmed(m: Markup, link: str, debtor: DebtorMove, rest_link: str, nl: bool) -> str:
    return pick(nl, f"Recorded: {rest_link} covers {debtor_label(m, debtor.number, debtor.name)} of {link}.",
                f"Vastgelegd: {rest_link} dekt {debtor_label(m, debtor.number, debtor.name)} van {link}.")


def link_done(link: str, nl: bool) -> str:
    return pick(nl, f"Nothing of {link} is left to move; the support channel asks whether to revoke its SOAP token.",
                f"Van {link} is niets meer te verhuizen; het supportkanaal vraagt of het SOAP-token ingetrokken wordt.")


def match_gone(rest_link: str, nl: bool) -> str:
    return pick(nl, f"That question about {rest_link} is out of date (the link or the debtor is gone); nothing recorded.",
                f"Die vraag over {rest_link} is verouderd (de koppeling of debiteur is weg); niets vastgelegd.")


def match_declined(rest_link: str, nl: bool) -> str:
    return pick(nl, f"Noted: {rest_link} covers none of these SOAP debtors; they stay to move.",
                f"Genoteerd: {rest_link} dekt geen van deze SOAP-debiteuren; die blijven te verhuizen.")


# --- in the support channel ------------------------------------------------------------------------


def debtor_migrated(m: Markup, details: Mapping[str, Any], nl: bool) -> str:
    debtor = debtor_label(m, details.get("debtor_number"), details.get("debtor_name"))
    rest, by = m.code(m.escape(details.get("rest_link"), 12)), m.escape(details.get("matched_by"), 80)
    return f"{m.icon('twisted_rightwards_arrows')} " + pick(
        nl, f"Debtor {debtor} now goes through REST link {rest} ({by}).",
        f"Debiteur {debtor} loopt nu via REST-koppeling {rest} ({by}).")


def link_migrated(m: Markup, link: str, details: Mapping[str, Any], nl: bool) -> tuple[str, str]:
    rest = ", ".join(m.code(m.escape(r, 12)) for r in details.get("rest_links") or []) or "–"
    covered, not_needed = details.get("covered", 0), details.get("not_needed", 0)
    said = f"{m.icon('white_check_mark')} " + pick(
        nl, f"Nothing left to move: {covered} debtor(s) covered by REST ({rest}), {not_needed} not needed.",
        f"Niets meer te verhuizen: {covered} debiteur(en) gedekt door REST ({rest}), {not_needed} niet nodig.")
    ask = pick(nl, f"Revoke the SOAP token of {link}? Nothing is revoked until someone confirms.",
               f"Het SOAP-token van {link} intrekken? Er wordt niets ingetrokken tot iemand bevestigt.")
    return said, ask


def revoke_soap_button(link: str, nl: bool) -> str:
    return pick(nl, f"Revoke SOAP {link}…", f"SOAP {link} intrekken…")


def match_question(m: Markup, details: Mapping[str, Any], nl: bool) -> str:
    rest = m.code(m.escape(details.get("rest_link"), 12))
    debtor = debtor_label(m, details.get("debtor_number"), details.get("debtor_name"))
    return f"{m.icon('mag')} " + pick(
        nl, f"New REST link {rest} for debtor {debtor}. Which SOAP debtor does it replace?",
        f"Nieuwe REST-koppeling {rest} voor debiteur {debtor}. Welke SOAP-debiteur vervangt die?")


def candidate_line(m: Markup, item: Mapping[str, Any]) -> str:
    where = m.escape(item.get("environment") or "?", 40)
    if item.get("label"):
        where += f" · {m.escape(item.get('label'), 40)}"
    return f"L{item.get('link_id')} {where}: {debtor_label(m, item.get('debtor_number'), item.get('debtor_name'))}"


#: A button's label is plain text, never parsed; angle brackets are still swapped for look-alikes so no
#: client, log or copy of it can read a `<!channel>` out of a debtor's name.
_PLAIN = str.maketrans({"<": "‹", ">": "›"})


def candidate_button(item: Mapping[str, Any]) -> str:
    number = str(item.get("debtor_number") or "")[:20]
    name = str(item.get("debtor_name") or "")[:30]
    return f"L{item.get('link_id')} · {number} {name}".strip().translate(_PLAIN)


def candidates_more(more: int, nl: bool) -> str:
    return pick(nl, f"…and {more} more with the same number or name (see {'/nmbrs migration'}).",
                f"…en nog {more} met hetzelfde nummer of dezelfde naam (zie {'/nmbrs migration'}).")


def none_button(nl: bool) -> str:
    return pick(nl, "None of these", "Geen van deze")


def reminder(m: Markup, days: int, soap_until: str, totals: Mapping[str, Any], nl: bool) -> str:
    to_move, links = totals.get("to_move", 0), totals.get("links_to_move", 0)
    when_ = pick(nl, f"{days} day(s) until SOAP stops ({soap_until})", f"Nog {days} dag(en) tot SOAP stopt ({soap_until})")
    return f"{m.icon('alarm_clock')} {m.bold(when_)}: " + pick(
        nl, f"{to_move} debtor(s) of {links} SOAP link(s) still to move. {m.command('migration')} shows them.",
        f"nog {to_move} debiteur(en) van {links} SOAP-koppeling(en) te verhuizen. {m.command('migration')} toont ze.")


def digest_line(m: Markup, progress: Mapping[str, Any], nl: bool) -> str:
    """The nightly digest's line while anything is left to move."""
    days = progress.get("days_left")
    left = "" if days is None else pick(nl, f" · {days} day(s) left", f" · nog {days} dag(en)")
    return f"{m.icon('twisted_rightwards_arrows')} " + pick(
        nl, f"SOAP → REST: {progress.get('to_move', 0)} debtor(s) of {progress.get('links_to_move', 0)} link(s) "
            f"to move, {progress.get('covered', 0)} covered{left}",
        f"SOAP → REST: {progress.get('to_move', 0)} debiteur(en) van {progress.get('links_to_move', 0)} "
        f"koppeling(en) te verhuizen, {progress.get('covered', 0)} gedekt{left}")
