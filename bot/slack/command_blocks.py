"""Block Kit for `/nmbrs` answers and the support part of App Home, in Dutch or English.

Pure functions from the neutral outcomes of handlers.commands to `{"text", "blocks"}` messages; the
words are handlers.text.command_text's, written in mrkdwn by CommandMrkdwn. Everything that came from
outside goes through escape(); long values are cut before escaping so no entity is cut in half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.blocks import SLASH, Mrkdwn, escape, mention
from handlers.commands import (
    AlreadyRevoked,
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
    NoLink,
    NotCheckable,
    OpenConnect,
    Outcome,
    Refused,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    StatusResult,
    SupportSummary,
    Unavailable,
    Unknown,
    Usage,
)
from handlers.model import LinkCard
from handlers.text import command_text as words
from handlers.text.command_text import pick
from handlers.text.markup import cut
from handlers.text.replies import is_nl

Message = dict[str, Any]

REVOKE_CONFIRM = "nmbrs_revoke_confirm"
REVOKE_CANCEL = "nmbrs_revoke_cancel"
_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section; keep a margin for the joiners
#: What `connect` does on Slack: it opens a modal.
_CONNECT = ("send your Nmbrs login and API token (opens a form)",
            "stuur je Nmbrs-login en API-token (opent een formulier)")


@dataclass(frozen=True)
class CommandMrkdwn(Mrkdwn):
    """Mrkdwn for `/nmbrs` answers: each value cut to its limit, people from another organisation
    than ours (`home_team`) shown with it, people on another platform by platform and id."""

    home_team: str | None = None

    def escape(self, text: object, limit: int | None = None) -> str:
        return escape(text) if limit is None else escape(cut(None if text is None else str(text), limit))

    def person(self, platform: str, user_id: object, team_id: str | None = None) -> str:
        if not user_id:
            return "?"
        if platform != "slack":
            return f"{escape(platform)} {self.escape(user_id, 80)}"
        shown = mention(user_id)
        if self.home_team and team_id and team_id != self.home_team:
            shown += f" ({self.escape(team_id, 40)})"
        return shown


_MRKDWN = CommandMrkdwn()


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, 150), "emoji": True}}


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


def _command_lines(m: CommandMrkdwn, commands: Sequence[CommandSpec], nl: bool, *, staff: bool = False) -> list[str]:
    return words.command_lines(m, commands, nl, connect=_CONNECT, staff=staff)


def _with_link(text: str, m: CommandMrkdwn, card: LinkCard, nl: bool) -> Message:
    return _message(text, [_section(text), _context(words.link_line(m, card, nl))])


# --- the outcomes --------------------------------------------------------------------------------


def render(outcome: Outcome, lang: str, *, home_team: str | None = None) -> Message:
    """The message for any quick outcome of Commands.handle (queued checks have their own)."""
    nl = is_nl(lang)
    m = CommandMrkdwn(home_team)
    match outcome:
        case Help():
            return help_message(outcome, m, nl)
        case Unknown():
            typed = m.command(m.escape(outcome.word, 40))
            text = pick(nl, f"There is no {typed}.", f"{typed} bestaat niet.")
            return _message(text, [_section(text), _section("\n".join(_command_lines(m, outcome.commands, nl)))])
        case Usage():
            return _message(f"{words.usage_problem(m, outcome, nl)}\n{words.usage_line(m, outcome.spec, nl)}")
        case Refused():
            text = words.refused(nl)
            return _message(text, [_section(text), _section("\n".join(_command_lines(m, outcome.commands, nl)))])
        case NoLink():
            return _message(words.no_link(outcome.short_id, nl))
        case Unavailable():
            return _message(words.unavailable(nl))
        case StatusResult():
            return status_message(outcome, m, nl)
        case LinkList():
            return list_message(outcome, m, nl)
        case NotCheckable():
            return _message(words.not_checkable(m, outcome.card, nl))
        case CheckQueued():
            return _with_link(words.checking(m, outcome.card, nl), m, outcome.card, nl)
        case CheckAllQueued():
            return check_all_progress(0, outcome.total, nl)
        case Checked():
            found, after = words.checked(m, outcome.report, nl)
            return _with_link(f"{found}\n{after}", m, outcome.report.link, nl)
        case CheckedAll():
            return checked_all_message(outcome, m, nl)
        case Busy():
            return _message(words.busy(m, nl))
        case History():
            return history_message(outcome, m, nl)
        case Labelled():
            text = words.labelled(m, outcome, nl)
            return _message(text, [_section(text), _context(words.noted(nl))])
        case RevokeAsk():
            return revoke_ask_message(outcome, m, nl)
        case Revoked():
            return _with_link(words.revoked(m, outcome.card, nl), m, outcome.card, nl)
        case AlreadyRevoked():
            return _message(words.already_revoked(outcome.card, nl))
        case RevokeCancelled():
            return _message(words.revoke_cancelled(outcome.link_id, nl))
        case OpenConnect():
            return _message(pick(nl, "Opening the form…", "Het formulier gaat open…"))
    raise TypeError(f"no rendering for {type(outcome).__name__}")


def help_message(outcome: Help, m: CommandMrkdwn, nl: bool) -> Message:
    intro = (words.staff_intro(m, nl) if outcome.staff
             else pick(nl, f"*What you can do with* `{SLASH}`:", f"*Wat je kunt met* `{SLASH}`:"))
    lines = _command_lines(m, outcome.commands, nl, staff=outcome.staff)
    blocks = [_section(intro + "\n" + "\n".join(lines))]
    if outcome.staff:
        blocks.append(_context(words.staff_hint(m, nl)))
    else:
        blocks.append(_context(pick(nl, "You can also send your login and token to me in a direct message.",
                                    "Je kunt je login en token ook in een direct bericht aan mij sturen.")))
    return {"text": intro, "blocks": blocks}


def status_message(outcome: StatusResult, m: CommandMrkdwn, nl: bool) -> Message:
    if not outcome.links:
        return _message(words.no_status(m, outcome, nl))
    blocks: list[dict[str, Any]] = []
    for status in outcome.links:
        fields = [{"type": "mrkdwn", "text": f"{m.bold(name)}\n{value}"} for name, value in words.link_fields(m, status, nl)]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": words.status_title(m, status.card)},
                       "fields": fields})
        blocks.append({"type": "divider"})
    blocks.pop()
    if outcome.more:
        blocks.append(_context(words.status_more(m, outcome.more, nl)))
    total, query = len(outcome.links) + outcome.more, words.searched(m, outcome)
    return {"text": pick(nl, f"{total} link(s){query}", f"{total} koppeling(en){query}"), "blocks": blocks}


def list_message(outcome: LinkList, m: CommandMrkdwn, nl: bool) -> Message:
    head = words.list_head(m, outcome, nl)
    blocks = [_section(head)]
    blocks += _line_sections(words.link_line(m, card, nl) for card in outcome.links)
    if outcome.more:
        blocks.append(_context(words.list_more(m, outcome, nl)))
    blocks.append(_context("\n".join(words.list_footer(m, outcome, nl))))
    return {"text": head, "blocks": blocks}


def checked_all_message(outcome: CheckedAll, m: CommandMrkdwn, nl: bool) -> Message:
    said = words.checked_all(m, outcome.summary, nl)
    blocks = [_section(said.line)]
    if said.counts:
        blocks.append(_context(said.counts))
    if said.changes:
        blocks += _line_sections([said.changes_head, *said.changes])
    if said.note:
        blocks.append(_context(said.note))
    return {"text": said.line, "blocks": blocks}


def history_message(outcome: History, m: CommandMrkdwn, nl: bool) -> Message:
    said = words.history(m, outcome, nl)
    blocks = [_section(said.head + "\n" + said.link)]
    blocks += _line_sections([said.checks_head, *said.checks])
    if said.older_checks:
        blocks.append(_context(said.older_checks))
    blocks += _line_sections([said.audits_head, *said.audits])
    if said.older_audits:
        blocks.append(_context(said.older_audits))
    return {"text": said.title, "blocks": blocks}


def revoke_ask_message(outcome: RevokeAsk, m: CommandMrkdwn, nl: bool) -> Message:
    card = outcome.card
    text = words.revoke_question(card, nl)
    value = str(card.id)
    actions = {
        "type": "actions",
        "block_id": f"nmbrs_revoke_{card.id}",
        "elements": [
            {"type": "button", "action_id": REVOKE_CONFIRM, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": words.revoke_button(card, nl)}},
            {"type": "button", "action_id": REVOKE_CANCEL, "value": value,
             "text": {"type": "plain_text", "text": words.cancel_button(nl)}},
        ],
    }
    return {"text": text, "blocks": [_section(text), _context(words.link_line(m, card, nl)), actions]}


def check_all_progress(done: int, total: int, nl: bool) -> Message:
    return _message(words.progress(_MRKDWN, done, total, nl))


# --- answers that are not outcomes ---------------------------------------------------------------


def working_message(lang: str) -> Message:
    return _message(pick(is_nl(lang), ":hourglass_flowing_sand: One moment…", ":hourglass_flowing_sand: Even geduld…"))


def failed_message(lang: str, reference: str) -> Message:
    return _message(words.failed(_MRKDWN, reference, is_nl(lang)))


def connect_failed_message(lang: str) -> Message:
    return _message(pick(is_nl(lang),
                         f"The form did not open in time. Try `{SLASH} connect` again, or send your login and "
                         "token to me in a direct message.",
                         f"Het formulier ging niet op tijd open. Probeer `{SLASH} connect` nog eens, of stuur je "
                         "login en token in een direct bericht aan mij."))


def home_blocks(summary: SupportSummary, lang: str, *, home_team: str | None = None) -> list[dict[str, Any]]:
    """The support part of App Home: links by state, recent alerts and audit entries, the last run."""
    nl = is_nl(lang)
    m = CommandMrkdwn(home_team)
    blocks: list[dict[str, Any]] = [_header(pick(nl, "Support overview", "Supportoverzicht"))]
    total = sum(summary.counts.values())
    counts = words.counts_line(m, summary.counts) or pick(nl, "no links yet", "nog geen koppelingen")
    blocks.append(_section(pick(nl, f"*{total} link(s)*: ", f"*{total} koppeling(en)*: ") + counts))
    blocks.append(_context(words.run_line(m, summary.last_run, nl)))
    alerts = [
        f"• {words.when(m, a.created_at, nl)} · `{escape(a.kind)}`" + (f" · L{a.link_id}" if a.link_id is not None else "")
        + ("" if a.sent_at else pick(nl, " · _not delivered yet_", " · _nog niet bezorgd_"))
        for a in summary.alerts
    ] or [pick(nl, "_none yet_", "_nog geen_")]
    blocks += _line_sections([pick(nl, "*Recent alerts*", "*Recente meldingen*"), *alerts])
    audits = [words.audit_row(m, row, nl) for row in summary.audits] or [pick(nl, "_none yet_", "_nog geen_")]
    blocks += _line_sections([pick(nl, "*Recent support actions*", "*Recente supportacties*"), *audits])
    blocks.append(_context(pick(nl, f"`{SLASH} help` lists the support commands.", f"`{SLASH} help` toont de supportopdrachten.")))
    return blocks
