"""Block Kit for `/nmbrs` answers and the support part of App Home, in Dutch or English.

Pure functions that lay out handlers.command_message's neutral messages as `{"text", "blocks"}`; the
words are handlers.text.command_text's, written in mrkdwn by CommandMrkdwn. Everything that came from
outside goes through escape(); long values are cut before escaping so no entity is cut in half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.blocks import SLASH, Mrkdwn, escape, mention
from handlers import command_message, migration_message
from handlers.command_message import (
    Aside,
    Choices,
    Composed,
    Dialect,
    Fields,
    Lead,
    Listing,
    More,
    RevokeChoice,
    Subline,
    compose,
)
from handlers.commands import Outcome, SupportSummary
from handlers.migration.outcomes import WebDebtor
from handlers.model import Alert
from handlers.text import command_text as words
from handlers.text.command_text import pick
from handlers.text.markup import cut
from handlers.text.replies import is_nl

Message = dict[str, Any]

REVOKE_CONFIRM = "nmbrs_revoke_confirm"
REVOKE_CANCEL = "nmbrs_revoke_cancel"
_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section; keep a margin for the joiners


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


#: What differs on Slack besides mrkdwn: `connect` opens a modal, the form is opened from a DM.
DIALECT = Dialect(
    connect=("send your Nmbrs login and API token (opens a form)",
             "stuur je Nmbrs-login en API-token (opent een formulier)"),
    help_intro=(f"*What you can do with* `{SLASH}`:", f"*Wat je kunt met* `{SLASH}`:"),
    help_hint=("You can also send your login and token to me in a direct message.",
               "Je kunt je login en token ook in een direct bericht aan mij sturen."),
    opening_form=("Opening the form…", "Het formulier gaat open…"),
    unknown=lambda m, word, nl: pick(nl, f"There is no {m.command(word)}.", f"{m.command(word)} bestaat niet."),
)


# --- the outcomes --------------------------------------------------------------------------------


def render(outcome: Outcome, lang: str, *, home_team: str | None = None) -> Message:
    """The message for any outcome of Commands (queued checks and their results included)."""
    return layout(compose(outcome, CommandMrkdwn(home_team), is_nl(lang), DIALECT))


def layout(composed: Composed) -> Message:
    """Block Kit for a neutral message: a paragraph and what continues it share one section."""
    blocks: list[dict[str, Any]] = []
    paragraph: list[str] = []
    first: str | None = None

    def close() -> None:
        nonlocal first
        if paragraph:
            text = "\n".join(paragraph)
            first = text if first is None else first
            blocks.append(_section(text))
            paragraph.clear()

    for index, part in enumerate(composed.parts):
        match part:
            case Lead():
                close()
                paragraph.append(part.text)
            case More() | Subline():
                paragraph.append(part.text)
            case Aside():
                close()
                blocks.append(_context("\n".join(part.lines)))
            case Listing():
                close()
                blocks += _line_sections([part.head, *part.lines] if part.head is not None else part.lines)
            case Fields():
                close()
                if index and isinstance(composed.parts[index - 1], Fields):
                    blocks.append({"type": "divider"})
                fields = [{"type": "mrkdwn", "text": f"{_MRKDWN.bold(name)}\n{value}"} for name, value in part.pairs]
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": part.title}, "fields": fields})
            case RevokeChoice():
                close()
                blocks.append(_revoke_actions(part))
            case Choices():
                close()
                blocks.append(_choices(part))
    close()
    return {"text": composed.summary if composed.summary is not None else first or "", "blocks": blocks}


def _revoke_actions(choice: RevokeChoice) -> dict[str, Any]:
    value = str(choice.link_id)
    return {
        "type": "actions",
        "block_id": f"nmbrs_revoke_{choice.link_id}",
        "elements": [
            {"type": "button", "action_id": REVOKE_CONFIRM, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": choice.confirm}},
            {"type": "button", "action_id": REVOKE_CANCEL, "value": value,
             "text": {"type": "plain_text", "text": choice.cancel}},
        ],
    }


#: action_id prefix of a neutral button (handlers.message_parts.Button): `nmbrs_` + its action, dots as _.
BUTTON_PREFIX = "nmbrs_"


def button_action(action_id: str) -> str:
    """The neutral action of a button's action_id (`nmbrs_migration_match_2` → `migration.match`)."""
    words = action_id.removeprefix(BUTTON_PREFIX).split("_")
    return ".".join(words[:-1])


def _choices(choices: Choices) -> dict[str, Any]:
    # Slack wants each action_id unique in its block: the button's position is appended.
    elements = []
    for index, button in enumerate(choices.buttons):
        element: dict[str, Any] = {
            "type": "button", "action_id": f"{BUTTON_PREFIX}{button.action.replace('.', '_')}_{index}",
            "value": button.value, "text": {"type": "plain_text", "text": cut(button.label, 75)},
        }
        if button.style:
            element["style"] = button.style
        elements.append(element)
    return {"type": "actions", "elements": elements}


def migration_alert(alert: Alert, lang: str, *, forward: Sequence[WebDebtor] = ()) -> Message:
    """A migration tracker message in the support channel (with its buttons; `forward`: the invitation
    URLs of an undelivered invite)."""
    return layout(migration_message.compose_alert(alert, _MRKDWN, is_nl(lang), forward=forward))


def check_all_progress(done: int, total: int, nl: bool) -> Message:
    return layout(command_message.progress(_MRKDWN, done, total, nl))


# --- answers that are not outcomes ---------------------------------------------------------------


def working_message(lang: str) -> Message:
    return _message(pick(is_nl(lang), ":hourglass_flowing_sand: One moment…", ":hourglass_flowing_sand: Even geduld…"))


def failed_message(lang: str, reference: str) -> Message:
    return layout(command_message.failed(_MRKDWN, reference, is_nl(lang)))


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
