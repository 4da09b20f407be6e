"""Adaptive Cards for `/nmbrs` answers on Teams, in Dutch or English: pure functions that lay out
handlers.command_message's neutral messages. The revoke question carries Confirm and Cancel buttons (Action.Submit).

The words are handlers.text.command_text's, written in Teams card markdown by TeamsMarkdown: outside text
goes through escape(), long values are cut before escaping, and command words are shown in bold
(no code spans in Teams).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microsoft_teams.cards import AdaptiveCard, CardElement, Fact, FactSet, SubmitAction

from bot.teams.cards import ACTION_KEY, TeamsMarkdown, card, small, text
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
from handlers.commands import Outcome
from handlers.migration.outcomes import WebDebtor
from handlers.model import Alert
from handlers.text.command_text import pick
from handlers.text.replies import is_nl

REVOKE_CONFIRM = "revoke.confirm"
REVOKE_CANCEL = "revoke.cancel"
#: What differs on Teams besides card markdown: the form unfolds in the card, command words are bold.
DIALECT = Dialect(
    connect=("send your Nmbrs login and API token (shows a form)",
             "stuur je Nmbrs-login en API-token (toont een formulier)"),
    help_intro=("**What you can ask me:**", "**Wat je mij kunt vragen:**"),
    help_hint=("You can also send your login and token to me in this chat.",
               "Je kunt je login en token ook in dit gesprek aan mij sturen."),
    opening_form=("Here is the form.", "Hier is het formulier."),
    unknown=lambda m, word, nl: pick(nl, f"There is no **{word}** command.", f"De opdracht **{word}** bestaat niet."),
)
_MARKDOWN = TeamsMarkdown()


def render(outcome: Outcome, lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """The card for any outcome of Commands (queued checks included). `names`: Entra id → name."""
    return layout(compose(outcome, TeamsMarkdown(names or {}), is_nl(lang), DIALECT))


def layout(composed: Composed) -> AdaptiveCard:
    """An Adaptive Card for a neutral message: one text block per paragraph, small text for asides."""
    body: list[CardElement] = []
    actions: list[SubmitAction] = []
    for part in composed.parts:
        match part:
            case Lead() | More():
                body.append(text(part.text))
            case Subline():
                body.append(small(part.text))
            case Aside():
                # A line break in card markdown needs a blank line.
                body.append(small("\n\n".join(part.lines)))
            case Listing():
                if part.head is not None:
                    body.append(text(part.head))
                lines = part.lines if part.limit is None else part.lines[:part.limit]
                if lines or part.head is not None:
                    body.append(text("\n".join(f"{_MARKDOWN.bullet}{line}" if part.bullets else line for line in lines)))
            case Fields():
                facts = FactSet(facts=[Fact(title=name, value=value) for name, value in part.pairs])
                body += [text(part.title, separator=bool(body)), facts]
            case RevokeChoice():
                actions += [
                    SubmitAction(title=part.confirm, style="destructive",
                                 data={ACTION_KEY: REVOKE_CONFIRM, "link": part.link_id}),
                    SubmitAction(title=part.cancel, data={ACTION_KEY: REVOKE_CANCEL, "link": part.link_id}),
                ]
            case Choices():
                actions += [SubmitAction(title=b.label, style="destructive" if b.style == "danger" else
                                         "positive" if b.style == "primary" else None,
                                         data={ACTION_KEY: b.action, "value": b.value}) for b in part.buttons]
    return card(body, actions)


def migration_card(alert: Alert, lang: str, *, forward: Sequence[WebDebtor] = ()) -> AdaptiveCard:
    """A migration tracker message in the support channel (with its buttons; `forward`: the invitation
    URLs of an undelivered invite)."""
    return layout(migration_message.compose_alert(alert, _MARKDOWN, is_nl(lang), forward=forward))


def progress_card(done: int, total: int, nl: bool) -> AdaptiveCard:
    return layout(command_message.progress(_MARKDOWN, done, total, nl))


def failed_card(lang: str, reference: str) -> AdaptiveCard:
    return layout(command_message.failed(_MARKDOWN, reference, is_nl(lang)))


def summary_of(outcome: Outcome, lang: str) -> str:
    """A notification preview for a command's answer (plain, no outside text)."""
    return pick(is_nl(lang), "tokendesk: answer to your command", "tokendesk: antwoord op je opdracht")
