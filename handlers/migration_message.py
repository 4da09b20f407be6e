"""The migration tracker's answers and support-channel messages as neutral messages (parts and
buttons); bot.slack.command_blocks and bot.teams.command_cards lay them out like any command answer."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.message_parts import Aside, Button, Choices, Composed, Lead, Listing, More
from handlers.migration.outcomes import (
    AlreadyDecided,
    InviteAllAsk,
    InvitesDone,
    InviteSent,
    InviteTooSoon,
    InviteUnavailable,
    InviteWeb,
    MarkedNotNeeded,
    MatchConfirmed,
    MatchDeclined,
    MatchGone,
    MigrationChecklist,
    MigrationOutcome,
    MigrationOverview,
    NoDebtor,
    NothingToInvite,
    NotMigrating,
    WebDebtor,
)
from handlers.model import Alert, AlertKind
from handlers.text import migration_invite_text as invite_words
from handlers.text import migration_text as words
from handlers.text.markup import Markup

#: Button actions (platform-neutral; the adapters route them back to handlers.migration.Migration).
MATCH = "migration.match"
NONE = "migration.none"
REVOKE = "migration.revoke"
INVITE = "migration.invite"
#: Alert kinds this module words.
ALERT_KINDS = frozenset({AlertKind.DEBTOR_MIGRATED, AlertKind.LINK_MIGRATED, AlertKind.MIGRATION_MATCH,
                         AlertKind.MIGRATION_REMINDER, AlertKind.MIGRATION_UNDELIVERED})


def _one(text: str) -> Composed:
    return Composed((Lead(text),))


def _done(link: str, done: bool, nl: bool) -> tuple[Aside, ...]:
    return (Aside((words.link_done(link, nl),)),) if done else ()


def compose(outcome: MigrationOutcome, m: Markup, nl: bool) -> Composed:
    match outcome:
        case MigrationOverview():
            parts: list = [Lead(words.title(m, nl)), More(words.totals_line(m, outcome.totals, nl)),
                           More(words.days_line(outcome.soap_until, outcome.days_left, nl))]
            if outcome.links:
                parts.append(Listing(words.links_head(nl), tuple(words.link_line(m, move, nl) for move in outcome.links),
                                     bullets=True))
            else:
                parts.append(Lead(words.nothing_left(nl)))
            if outcome.more:
                parts.append(Aside((words.more_links(outcome.more, nl),)))
            if outcome.links:  # the hint names the first link listed: an id the reader can use
                parts.append(Aside((words.overview_hint(m, outcome.links[0].short_id, nl),)))
            return Composed(tuple(parts), summary=words.totals_line(m, outcome.totals, nl))
        case MigrationChecklist():
            move = outcome.move
            lines = tuple(words.checklist_line(m, debtor, nl) for debtor in move.debtors)
            return Composed((Lead(words.checklist_head(m, move, nl)),
                             Listing(None, lines, bullets=True) if lines else Lead(words.no_debtors(nl)),
                             Aside((words.checklist_hint(m, move.short_id, nl),))))
        case NotMigrating():
            return _one(words.not_migrating(f"L{outcome.link_id}", nl))
        case NoDebtor():
            return _one(words.no_debtor(m, f"L{outcome.link_id}", outcome.number, nl))
        case AlreadyDecided():
            return _one(words.already_decided(m, f"L{outcome.link_id}", outcome.debtor, nl))
        case MarkedNotNeeded():
            link = f"L{outcome.link_id}"
            return Composed((Lead(words.marked_not_needed(m, link, outcome.debtor, nl)), *_done(link, outcome.link_done, nl)))
        case MatchConfirmed():
            link = f"L{outcome.link_id}"
            said = words.match_confirmed(m, link, outcome.debtor, f"L{outcome.rest_link_id}", nl)
            return Composed((Lead(said), *_done(link, outcome.link_done, nl)))
        case MatchGone():
            return _one(words.match_gone(f"L{outcome.rest_link_id}", nl))
        case MatchDeclined():
            return _one(words.match_declined(f"L{outcome.rest_link_id}", nl))
        case InviteUnavailable() | NothingToInvite() | InviteTooSoon() | InviteSent() | InviteWeb() | InviteAllAsk() \
                | InvitesDone():
            return _invite(outcome, m, nl)
    raise TypeError(f"no message for {type(outcome).__name__}")


def _forward(head: str, debtors: Sequence[WebDebtor], m: Markup, nl: bool) -> tuple[Listing | Aside, ...]:
    """Invitation URLs for support to send: one line per debtor with its short id, then until when."""
    listing = Listing(head, tuple(invite_words.web_line(m, d.number, d.name, d.url, d.invitation) for d in debtors),
                      bullets=True)
    expiries = [d.expires_at for d in debtors if d.expires_at is not None]
    return (listing, Aside((invite_words.invite_until(m, min(expiries), nl),))) if expiries else (listing,)


def _web(outcome: InviteWeb, m: Markup, nl: bool) -> tuple[Listing | Aside, ...]:
    return _forward(invite_words.web_head(f"L{outcome.link_id}", nl), outcome.debtors, m, nl)


def _invite(outcome: MigrationOutcome, m: Markup, nl: bool) -> Composed:
    """The answers of `migration invite <link|all>`."""
    match outcome:
        case InviteUnavailable():
            return _one(invite_words.unavailable(nl))
        case NothingToInvite():
            return _one(invite_words.nothing_to_invite(f"L{outcome.link_id}", nl))
        case InviteTooSoon():
            return _one(invite_words.too_soon(m, f"L{outcome.link_id}", outcome.again_at, nl))
        case InviteSent():
            return _one(invite_words.sent(f"L{outcome.link_id}", outcome.platform, outcome.debtors, nl))
        case InviteWeb():
            return Composed(_web(outcome, m, nl), summary=invite_words.web_head(f"L{outcome.link_id}", nl))
        case InviteAllAsk() if outcome.soap_links == 0:
            return _one(invite_words.nobody(nl))
        case InviteAllAsk():
            button = Button(INVITE, "all", invite_words.ask_all_button(outcome.soap_links, nl), style="primary")
            return Composed((Lead(invite_words.ask_all(outcome.soap_links, outcome.debtors, nl)), Choices((button,))))
        case InvitesDone():
            said = invite_words.all_done(len(outcome.sent), len(outcome.skipped), len(outcome.web), nl)
            parts: list = [Lead(said)]
            if outcome.skipped:
                parts.append(Listing(invite_words.skipped_head(nl), tuple(
                    invite_words.skipped_line(m, f"L{s.link_id}", s.again_at, nl) for s in outcome.skipped),
                    bullets=True, limit=20))
            parts.extend(part for web in outcome.web for part in _web(web, m, nl))
            if outcome.web_left:
                parts.append(Aside((invite_words.web_left(m, tuple(f"L{i}" for i in outcome.web_left), nl),)))
            return Composed(tuple(parts), summary=said)
    raise TypeError(f"no message for {type(outcome).__name__}")


def _undelivered(alert: Alert, forward: Sequence[WebDebtor], m: Markup, nl: bool) -> Composed:
    """An invite its customer's platform refused: why, then the round's invitation URLs to forward."""
    details = alert.details
    head = invite_words.undelivered_head(alert.link.short_id if alert.link else f"L{details.get('soap_link_id')}", nl)
    why = invite_words.undelivered_why(m, str(details.get("refused_on") or ""), str(details.get("error") or "?"),
                                       bool(details.get("external")), nl)
    parts: list = [Lead(head), More(why)]
    if forward:
        parts.extend(_forward(invite_words.undelivered_forward(nl), forward, m, nl))
    else:
        parts.append(Lead(invite_words.undelivered_none(nl)))
    more = details.get("more")
    if isinstance(more, int) and more > 0:
        parts.append(Aside((invite_words.undelivered_more(more, nl),)))
    parts.append(Aside((invite_words.undelivered_round(nl),)))
    return Composed(tuple(parts), summary=head)


def compose_alert(alert: Alert, m: Markup, nl: bool, *, forward: Sequence[WebDebtor] = ()) -> Composed:
    """A tracker message in the support channel (ALERT_KINDS): in the SOAP link's thread, or on its own.
    `forward`: an undelivered invite's invitation URLs, made as it is sent."""
    details = alert.details
    if alert.kind is AlertKind.MIGRATION_UNDELIVERED:
        return _undelivered(alert, forward, m, nl)
    if alert.kind is AlertKind.DEBTOR_MIGRATED:
        return _one(words.debtor_migrated(m, details, nl))
    if alert.kind is AlertKind.LINK_MIGRATED:
        assert alert.link is not None
        link = alert.link.short_id
        said, ask = words.link_migrated(m, link, details, nl)
        button = Button(REVOKE, str(alert.link.id), words.revoke_soap_button(link, nl), style="danger")
        return Composed((Lead(said), More(ask), Choices((button,))))
    if alert.kind is AlertKind.MIGRATION_MATCH:
        candidates = list(details.get("candidates") or [])
        rest_id = details.get("rest_link_id")
        buttons = [Button(MATCH, f"{c.get('link_id')}:{c.get('debtor_id')}:{rest_id}", words.candidate_button(c),
                          style="primary" if index == 0 else None) for index, c in enumerate(candidates)]
        buttons.append(Button(NONE, str(rest_id), words.none_button(nl)))
        parts: list = [Lead(words.match_question(m, details, nl)),
                       Listing(None, tuple(words.candidate_line(m, c) for c in candidates), bullets=True)]
        if details.get("more"):
            parts.append(Aside((words.candidates_more(int(details["more"]), nl),)))
        parts.append(Choices(tuple(buttons)))
        return Composed(tuple(parts), summary=words.match_question(m, details, nl))
    if alert.kind is AlertKind.MIGRATION_REMINDER:
        return _one(words.reminder(m, int(details.get("days", 0)), str(details.get("soap_until")),
                                   details.get("totals") or {}, nl))
    raise TypeError(f"not a migration alert: {alert.kind}")


def parse_match(value: str) -> tuple[int, int, int] | None:
    """A candidate button's value: SOAP link id, SOAP debtor id, REST link id."""
    try:
        link_id, debtor_id, rest_id = (int(part) for part in value.split(":"))
    except ValueError:
        return None
    return link_id, debtor_id, rest_id


def parse_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 9 else None
