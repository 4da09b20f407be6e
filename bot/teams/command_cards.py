"""Adaptive Cards for `/nmbrs` answers on Teams, in Dutch or English: pure functions from the neutral
outcomes of handlers.commands. The revoke question carries Confirm and Cancel buttons (Action.Submit).

The words are handlers.text.command_text's, written in Teams card markdown by TeamsMarkdown: outside text
goes through escape(), long values are cut before escaping, and command words are shown in bold
(no code spans in Teams).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microsoft_teams.cards import AdaptiveCard, CardElement, Fact, FactSet, SubmitAction

from bot.teams.cards import ACTION_KEY, TeamsMarkdown, card, small, text
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
    Unavailable,
    Unknown,
    Usage,
)
from handlers.model import LinkCard
from handlers.text import command_text as words
from handlers.text.command_text import pick
from handlers.text.replies import is_nl

REVOKE_CONFIRM = "revoke.confirm"
REVOKE_CANCEL = "revoke.cancel"
LIST_LINES = 30
#: What `connect` does on Teams: the form unfolds in the card.
_CONNECT = ("send your Nmbrs login and API token (shows a form)",
            "stuur je Nmbrs-login en API-token (toont een formulier)")
_MARKDOWN = TeamsMarkdown()


def _command_lines(m: TeamsMarkdown, commands: Sequence[CommandSpec], nl: bool, *, staff: bool = False) -> str:
    return "\n".join(words.command_lines(m, commands, nl, connect=_CONNECT, staff=staff))


def _simple(line: str) -> AdaptiveCard:
    return card([text(line)])


def _with_link(line: str, m: TeamsMarkdown, item: LinkCard, nl: bool) -> AdaptiveCard:
    return card([text(line), small(words.link_line(m, item, nl))])


def render(outcome: Outcome, lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """The card for any outcome of Commands (queued checks included). `names`: Entra id → name."""
    nl = is_nl(lang)
    m = TeamsMarkdown(names or {})
    match outcome:
        case Help():
            return help_card(outcome, m, nl)
        case Unknown():
            word = m.escape(outcome.word, 40)
            return card([text(pick(nl, f"There is no **{word}** command.", f"De opdracht **{word}** bestaat niet.")),
                         text(_command_lines(m, outcome.commands, nl))])
        case Usage():
            return card([text(words.usage_problem(m, outcome, nl)), text(words.usage_line(m, outcome.spec, nl))])
        case Refused():
            return card([text(words.refused(nl)), text(_command_lines(m, outcome.commands, nl))])
        case NoLink():
            return _simple(words.no_link(outcome.short_id, nl))
        case Unavailable():
            return _simple(words.unavailable(nl))
        case StatusResult():
            return status_card(outcome, m, nl)
        case LinkList():
            return list_card(outcome, m, nl)
        case NotCheckable():
            return _simple(words.not_checkable(m, outcome.card, nl))
        case CheckQueued():
            return _with_link(words.checking(m, outcome.card, nl), m, outcome.card, nl)
        case CheckAllQueued():
            return progress_card(0, outcome.total, nl)
        case Checked():
            found, after = words.checked(m, outcome.report, nl)
            return card([text(found), text(after), small(words.link_line(m, outcome.report.link, nl))])
        case CheckedAll():
            return checked_all_card(outcome, m, nl)
        case Busy():
            return _simple(words.busy(m, nl))
        case History():
            return history_card(outcome, m, nl)
        case Labelled():
            return card([text(words.labelled(m, outcome, nl)), small(words.noted(nl))])
        case RevokeAsk():
            return revoke_ask_card(outcome, m, nl)
        case Revoked():
            return _with_link(words.revoked(m, outcome.card, nl), m, outcome.card, nl)
        case AlreadyRevoked():
            return _simple(words.already_revoked(outcome.card, nl))
        case RevokeCancelled():
            return _simple(words.revoke_cancelled(outcome.link_id, nl))
        case OpenConnect():
            return _simple(pick(nl, "Here is the form.", "Hier is het formulier."))
    raise TypeError(f"no rendering for {type(outcome).__name__}")


def help_card(outcome: Help, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    intro = (words.staff_intro(m, nl) if outcome.staff
             else pick(nl, "**What you can ask me:**", "**Wat je mij kunt vragen:**"))
    body: list[CardElement] = [text(intro), text(_command_lines(m, outcome.commands, nl, staff=outcome.staff))]
    if outcome.staff:
        body.append(small(words.staff_hint(m, nl)))
    else:
        body.append(small(pick(nl, "You can also send your login and token to me in this chat.",
                               "Je kunt je login en token ook in dit gesprek aan mij sturen.")))
    return card(body)


def status_card(outcome: StatusResult, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    if not outcome.links:
        return _simple(words.no_status(m, outcome, nl))
    body: list[CardElement] = []
    for status in outcome.links:
        facts = FactSet(facts=[Fact(title=name, value=value) for name, value in words.link_fields(m, status, nl)])
        body += [text(words.status_title(m, status.card), separator=bool(body)), facts]
    if outcome.more:
        body.append(small(words.status_more(m, outcome.more, nl)))
    return card(body)


def list_card(outcome: LinkList, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    body: list[CardElement] = [text(words.list_head(m, outcome, nl))]
    if outcome.links:
        body.append(text("\n".join(f"{m.bullet}{words.link_line(m, item, nl)}" for item in outcome.links[:LIST_LINES])))
    if outcome.more:
        body.append(small(words.list_more(m, outcome, nl)))
    # A line break in card markdown needs a blank line.
    body.append(small("\n\n".join(words.list_footer(m, outcome, nl))))
    return card(body)


def progress_card(done: int, total: int, nl: bool) -> AdaptiveCard:
    return _simple(words.progress(_MARKDOWN, done, total, nl))


def checked_all_card(outcome: CheckedAll, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    said = words.checked_all(m, outcome.summary, nl)
    body: list[CardElement] = [text(said.line)]
    if said.counts:
        body.append(small(said.counts))
    if said.changes:
        body += [text(said.changes_head), text("\n".join(said.changes))]
    if said.note:
        body.append(small(said.note))
    return card(body)


def history_card(outcome: History, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    said = words.history(m, outcome, nl)
    body: list[CardElement] = [text(said.head), small(said.link), text(said.checks_head), text("\n".join(said.checks))]
    if said.older_checks:
        body.append(small(said.older_checks))
    body += [text(said.audits_head), text("\n".join(said.audits))]
    if said.older_audits:
        body.append(small(said.older_audits))
    return card(body)


def revoke_ask_card(outcome: RevokeAsk, m: TeamsMarkdown, nl: bool) -> AdaptiveCard:
    item = outcome.card
    actions = [
        SubmitAction(title=words.revoke_button(item, nl), style="destructive",
                     data={ACTION_KEY: REVOKE_CONFIRM, "link": item.id}),
        SubmitAction(title=words.cancel_button(nl), data={ACTION_KEY: REVOKE_CANCEL, "link": item.id}),
    ]
    return card([text(words.revoke_question(item, nl)), small(words.link_line(m, item, nl))], actions)


def failed_card(lang: str, reference: str) -> AdaptiveCard:
    return _simple(words.failed(_MARKDOWN, reference, is_nl(lang)))


def summary_of(outcome: Outcome, lang: str) -> str:
    """A notification preview for a command's answer (plain, no outside text)."""
    return pick(is_nl(lang), "tokendesk: answer to your command", "tokendesk: antwoord op je opdracht")
