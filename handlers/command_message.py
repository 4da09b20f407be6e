"""The answer to each `/nmbrs` outcome as a neutral message: which texts, in what role (lead, aside,
listing, fields) and which buttons. The one dispatch over command outcomes; bot.slack.command_blocks
lays it out as Block Kit and bot.teams.command_cards as an Adaptive Card.

The words are handlers.text.command_text's, written with the platform's markup (`m`); the few that differ
per platform (what `connect` does, the help intro) come in a `Dialect`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from handlers.commands import (
    AlreadyRevoked,
    Busy,
    CheckAllQueued,
    Checked,
    CheckedAll,
    CheckQueued,
    Help,
    History,
    Labelled,
    LinkList,
    NoLink,
    NotCheckable,
    OpenConnect,
    Outcome,
    Refused,
    TokenInCommand,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    StatusResult,
    Unavailable,
    Unknown,
    Usage,
)
from handlers.message_parts import (
    Aside,
    Button,
    Choices,
    Composed,
    Fields,
    Lead,
    Listing,
    More,
    Part,
    RevokeChoice,
    Subline,
)
from handlers.migration import MIGRATION_OUTCOMES
from handlers import migration_message
from handlers.invitations import BadInvitation, InvitationList, InvitationRevoked, Invited, NoInvitation
from handlers.text import command_text as words
from handlers.offer import Offer
from handlers.text import invite_text, offer_text
from handlers.text.command_text import pick
from handlers.text.markup import Markup

#: `list` shows at most this many links where a message cannot be split (Teams cards).
LIST_LINES = 30


@dataclass(frozen=True)
class Dialect:
    """What differs per platform besides markup, en/nl pairs."""

    connect: tuple[str, str]
    """What `connect` does here (a modal, a form in the card)."""
    help_intro: tuple[str, str]
    help_hint: tuple[str, str]
    opening_form: tuple[str, str]
    unknown: Callable[[Markup, str, bool], str]
    """"There is no such command", given the escaped word."""


def _say(nl: bool, pair: tuple[str, str]) -> str:
    return pick(nl, *pair)


def _commands(m: Markup, outcome: Unknown | Refused | Help, nl: bool, dialect: Dialect, *, staff: bool = False) -> str:
    rest_only = isinstance(outcome, Help) and outcome.offer is Offer.REST
    connect = offer_text.CONNECT_REST_ONLY if rest_only else dialect.connect
    return "\n".join(words.command_lines(m, outcome.commands, nl, connect=connect, staff=staff))


def compose(outcome: Outcome, m: Markup, nl: bool, dialect: Dialect) -> Composed:
    """The neutral message for any outcome of Commands (queued checks and their results included)."""
    match outcome:
        case Help():
            intro = words.staff_intro(m, nl) if outcome.staff else _say(nl, dialect.help_intro)
            mode = m.escape(offer_text.mode_line(outcome.offer, outcome.soap_until, "nl" if nl else "en"))
            if outcome.staff:
                hint = words.staff_hint(m, nl)
            else:  # REST only: no login and token in the chat any more
                hint = "" if outcome.offer is Offer.REST else _say(nl, dialect.help_hint)
            lines = _commands(m, outcome, nl, dialect, staff=outcome.staff)
            asides = tuple(line for line in (hint, mode) if line)
            return Composed((Lead(intro), More(lines), Aside(asides)), summary=intro)
        case Unknown():
            return Composed((Lead(dialect.unknown(m, m.escape(outcome.word, 40), nl)),
                             Lead(_commands(m, outcome, nl, dialect))))
        case Usage():
            return Composed((Lead(words.usage_problem(m, outcome, nl)), More(words.usage_line(m, outcome.spec, nl))))
        case Refused():
            return Composed((Lead(words.refused(nl)), Lead(_commands(m, outcome, nl, dialect))))
        case TokenInCommand():
            return Composed((Lead(words.token_in_command(nl)), Aside((words.token_reset(nl),))))
        case NoLink():
            return _one(words.no_link(outcome.short_id, nl))
        case Unavailable() if outcome.what == "invitations":
            return _one(invite_text.invitations_unavailable(nl))
        case Unavailable() if outcome.what == "migration":
            return _one(words.migration_unavailable(nl))
        case Unavailable():
            return _one(words.unavailable(nl))
        case _ if isinstance(outcome, MIGRATION_OUTCOMES):
            return migration_message.compose(outcome, m, nl)
        case Invited():
            head, link, todo = invite_text.invited(m, outcome.short_id, outcome.name, outcome.url, outcome.expires_at, nl)
            return Composed((Lead(head), Lead(link), Aside((todo,))), summary=head)
        case InvitationList():
            lines = tuple(invite_text.invitation_line(m, r.short_id, r.name, r.email, r.created_platform, r.created_by,
                                                      r.expires_at, nl) for r in outcome.rows)
            head = invite_text.invitations_head(len(lines), nl)
            return Composed((Lead(head), Listing(None, lines, bullets=True))) if lines else _one(head)
        case InvitationRevoked():
            return _one(invite_text.invitation_revoked(m, outcome.short_id, nl))
        case NoInvitation():
            return _one(invite_text.no_invitation(m, outcome.short_id, nl))
        case BadInvitation():
            return _one(invite_text.bad_invitation(outcome.problem, nl))
        case StatusResult():
            return _status(outcome, m, nl)
        case LinkList():
            return _list(outcome, m, nl)
        case NotCheckable():
            return _one(words.not_checkable(m, outcome.card, nl))
        case CheckQueued():
            return Composed((Lead(words.checking(m, outcome.card, nl)), Aside((words.link_line(m, outcome.card, nl),))))
        case CheckAllQueued():
            return _one(words.progress(m, 0, outcome.total, nl))
        case Checked():
            found, after = words.checked(m, outcome.report, nl)
            return Composed((Lead(found), More(after), Aside((words.link_line(m, outcome.report.link, nl),))))
        case CheckedAll():
            return _checked_all(outcome, m, nl)
        case Busy():
            return _one(words.busy(m, nl))
        case History():
            return _history(outcome, m, nl)
        case Labelled():
            return Composed((Lead(words.labelled(m, outcome, nl)), Aside((words.noted(nl),))))
        case RevokeAsk():
            card = outcome.card
            return Composed((
                Lead(words.revoke_question(card, nl)), Aside((words.link_line(m, card, nl),)),
                RevokeChoice(link_id=card.id, confirm=words.revoke_button(card, nl), cancel=words.cancel_button(nl)),
            ))
        case Revoked():
            nmbrs = () if outcome.at_nmbrs is None else (More(words.revoked_at_nmbrs(outcome.at_nmbrs, nl)),)
            return Composed((Lead(words.revoked(m, outcome.card, nl)), *nmbrs,
                             Aside((words.link_line(m, outcome.card, nl),))))
        case AlreadyRevoked():
            return _one(words.already_revoked(outcome.card, nl))
        case RevokeCancelled():
            return _one(words.revoke_cancelled(outcome.link_id, nl))
        case OpenConnect():
            return _one(_say(nl, dialect.opening_form))
    raise TypeError(f"no message for {type(outcome).__name__}")


def progress(m: Markup, done: int, total: int, nl: bool) -> Composed:
    """`check all` under way."""
    return _one(words.progress(m, done, total, nl))


def failed(m: Markup, reference: str, nl: bool) -> Composed:
    """An unexpected error, with the reference that is also in the log line."""
    return _one(words.failed(m, reference, nl))


def _one(text: str) -> Composed:
    return Composed((Lead(text),))


def _status(outcome: StatusResult, m: Markup, nl: bool) -> Composed:
    if not outcome.links:
        return _one(words.no_status(m, outcome, nl))
    parts: list[Part] = [
        Fields(words.status_title(m, status.card), tuple(words.link_fields(m, status, nl))) for status in outcome.links
    ]
    if outcome.more:
        parts.append(Aside((words.status_more(m, outcome.more, nl),)))
    total, query = len(outcome.links) + outcome.more, words.searched(m, outcome)
    return Composed(tuple(parts), summary=pick(nl, f"{total} link(s){query}", f"{total} koppeling(en){query}"))


def _list(outcome: LinkList, m: Markup, nl: bool) -> Composed:
    parts: list[Part] = [
        Lead(words.list_head(m, outcome, nl)),
        Listing(None, tuple(words.link_line(m, card, nl) for card in outcome.links), bullets=True, limit=LIST_LINES),
    ]
    if outcome.more:
        parts.append(Aside((words.list_more(m, outcome, nl),)))
    parts.append(Aside(tuple(words.list_footer(m, outcome, nl))))
    return Composed(tuple(parts))


def _checked_all(outcome: CheckedAll, m: Markup, nl: bool) -> Composed:
    said = words.checked_all(m, outcome.summary, nl)
    parts: list[Part] = [Lead(said.line)]
    if said.counts:
        parts.append(Aside((said.counts,)))
    if said.changes:
        parts.append(Listing(said.changes_head, tuple(said.changes)))
    if said.note:
        parts.append(Aside((said.note,)))
    return Composed(tuple(parts))


def _history(outcome: History, m: Markup, nl: bool) -> Composed:
    said = words.history(m, outcome, nl)
    parts: list[Part] = [Lead(said.head), Subline(said.link), Listing(said.checks_head, tuple(said.checks))]
    if said.older_checks:
        parts.append(Aside((said.older_checks,)))
    parts.append(Listing(said.audits_head, tuple(said.audits)))
    if said.older_audits:
        parts.append(Aside((said.older_audits,)))
    return Composed(tuple(parts), summary=said.title)
