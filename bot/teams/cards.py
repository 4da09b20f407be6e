"""Adaptive Cards for customers: replies, the credentials form (e-mail and a masked token input),
"checking…" and the outcome. Pure functions from handlers.text.replies to microsoft_teams.cards models.

Outside text goes through escape(): Adaptive Card text is markdown in Teams, so `**`, `[x](url)`
and friends in a company name or label are shown as typed. Nothing here can mention anyone: a
Teams mention needs an entity naming the user, which these cards never carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    OpenUrlAction,
    ShowCardAction,
    SubmitAction,
    TextBlock,
    TextInput,
)

from handlers.offer import Consent
from handlers.text.connect_text import consent_button, consent_hint
from handlers.text.offer_text import rest_only_hint
from handlers.text.markup import EMOJI, cut
from handlers.text.replies import Reply, connect_label, label

#: Adaptive Cards 1.5: Input.Text style "password" (masked) needs it; Teams renders 1.5.
VERSION = "1.5"
#: Card submit data: which form or button sent it.
ACTION_KEY = "tokendesk"
CONNECT = "connect"
USERNAME_INPUT, TOKEN_INPUT = "username", "token"
#: Teams rejects activities over ~28 KB; a card's text is cut well below that.
TEXT_LIMIT = 4000

_TONE_MARK = {"ok": "✅", "problem": "⚠️", "wait": "⏳", "info": "👋"}
_TONE_COLOR = {"ok": "Good", "problem": "Attention", "wait": "Default", "info": "Default"}
# Characters that make markup anywhere in Teams' card markdown (emphasis, code, links, HTML-like
# tags), and those that do only at the start of a line (headings, lists, quotes). CommonMark lets
# any ASCII punctuation be escaped with a backslash; escaping only these keeps the text readable.
_INLINE = re.compile(r"([\\`*_~\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#+-]|\d+(?=[.)]))([.)]?)", re.MULTILINE)


def escape(text: object) -> str:
    """Outside text made inert for Teams card markdown (markdown characters backslash-escaped)."""
    escaped = _INLINE.sub(r"\\\1", str(text))
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    space, mark, dot = match.groups()
    if dot:  # "1." starts a numbered list: the dot is escaped (a backslash before a digit is not an escape)
        return f"{space}{mark}\\{dot}"
    return f"{space}\\{mark}"


def e(text: object, limit: int = 200) -> str:
    return escape(cut(str(text) if text is not None else "", limit))


@dataclass(frozen=True)
class TeamsMarkdown:
    """Teams card markdown for the shared wording (handlers.text.markup). It has bold but no code spans: ids
    are shown plain, keywords and commands in bold, typed text in quotes. Long values are cut to keep a
    card small; people are named by their Teams name when the bot has met them (`names`: Entra id → name),
    never mentioned."""

    names: Mapping[str, str] = field(default_factory=dict)
    bullet = "- "
    reason_limit = 60
    id_limit = 20

    def escape(self, text: object, limit: int | None = None) -> str:
        return escape(text) if limit is None else e(text, limit)

    def bold(self, text: str) -> str:
        return f"**{text}**"

    def code(self, text: str) -> str:
        return text

    keyword = command = bold

    def typed(self, text: str) -> str:
        return f"“{text}”"

    def icon(self, name: str) -> str:
        return EMOJI[name]

    def time(self, moment: datetime) -> str:
        """Shown in each reader's own time zone and locale (card DATE/TIME functions)."""
        stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"

    def person(self, platform: str, user_id: object, team_id: str | None = None) -> str:
        if not user_id:
            return "?"
        if platform == "teams" and user_id in self.names:
            return e(self.names[user_id], 80)  # type: ignore[index]
        return f"{escape(platform)} {e(user_id, 80)}"


def text(value: str, **options: Any) -> TextBlock:
    """A wrapped TextBlock; `value` is markdown that is already escaped where it holds outside text."""
    return TextBlock(text=cut(value, TEXT_LIMIT), wrap=True, **options)


def small(value: str) -> TextBlock:
    return text(value, is_subtle=True, size="Small", spacing="Small")


def card(body: Sequence[CardElement], actions: Sequence[Any] = ()) -> AdaptiveCard:
    return AdaptiveCard(version=VERSION, body=list(body), actions=list(actions) or None)


def message(content: AdaptiveCard, summary: str) -> MessageActivityInput:
    """The activity that carries a card; `summary` is the notification preview (plain text)."""
    return MessageActivityInput(summary=cut(summary, 200)).add_card(content)


def card_json(content: AdaptiveCard) -> dict[str, Any]:
    return content.model_dump(by_alias=True, exclude_none=True)


# --- replies -------------------------------------------------------------------------------------


def reply_body(reply: Reply) -> list[CardElement]:
    """A neutral reply as card elements: headline with a tone mark, detail, facts, action, small print."""
    body: list[CardElement] = [
        text(f"{_TONE_MARK[reply.tone]} {escape(reply.headline)}", weight="Bolder", size="Medium",
             color=_TONE_COLOR[reply.tone]),
    ]
    if reply.detail:
        body.append(text(escape(reply.detail)))
    if reply.facts:
        body.append(text("\n".join(f"- {escape(fact)}" for fact in reply.facts)))
    if reply.action:
        body.append(text(escape(reply.action)))
    body.extend(small(escape(note)) for note in reply.notes)
    return body


def _inputs(lang: str, *, username: str | None, errors: Mapping[str, str]) -> list[CardElement]:
    fields: list[CardElement] = [
        TextInput(id=USERNAME_INPUT, label=label("username", lang), placeholder=label("username_hint", lang),
                  style="Email", is_required=True, error_message=label("username", lang), max_length=254,
                  value=username or None),
    ]
    if errors.get(USERNAME_INPUT):
        fields.append(text(escape(errors[USERNAME_INPUT]), color="Attention", size="Small", spacing="None"))
    fields.append(
        # style password: Teams shows dots, and the value travels only in the submit's activity.value.
        TextInput(id=TOKEN_INPUT, label=label("token", lang), placeholder=label("token_hint", lang),
                  style="Password", is_required=True, error_message=label("token", lang), max_length=200),
    )
    if errors.get(TOKEN_INPUT):
        fields.append(text(escape(errors[TOKEN_INPUT]), color="Attention", size="Small", spacing="None"))
    fields.append(small(escape(label("token_help", lang))))
    return fields


def _submit(lang: str) -> SubmitAction:
    return SubmitAction(title=label("submit", lang), data={ACTION_KEY: CONNECT, "lang": lang}, style="positive")


def form(lang: str, intro: Reply | None = None, *, username: str | None = None,
         errors: Mapping[str, str] | None = None, consent: Consent | None = None) -> AdaptiveCard:
    """The credentials form: where the token is (intro), e-mail and masked token inputs, Check;
    with REST on (`consent`), also the button that opens Nmbrs' consent page; REST only: that
    button and one line, no inputs."""
    if consent is not None and consent.only:
        return _consent_only([], lang, consent)
    body = reply_body(intro) if intro is not None else []
    body += _inputs(lang, username=username, errors=errors or {})
    if consent is not None:
        body.append(small(escape(consent_hint(lang))))
    return card(body, [_submit(lang), *_consent(lang, consent)])


def _consent(lang: str, consent: Consent | None) -> list[OpenUrlAction]:
    """The "Connect with Nmbrs" button: opens the consent start (a fresh ticket) in the browser."""
    return [OpenUrlAction(title=consent_button(lang), url=consent.url)] if consent is not None else []


def _consent_only(body: list[Any], lang: str, consent: Consent) -> AdaptiveCard:
    """REST only: the one line why, and the consent button as the only action."""
    return card([*body, small(escape(rest_only_hint(lang)))], _consent(lang, consent))


def connect_action(lang: str, intro: Reply | None = None, *, beside_consent: bool = False) -> ShowCardAction:
    """The "Connect Nmbrs" button: unfolds the form inside the same message (no dialog needed);
    beside "Connect with Nmbrs" it says it is the token way."""
    return ShowCardAction(title=connect_label(lang, beside_consent=beside_consent), card=form(lang, intro))


def reply_card(reply: Reply, lang: str, *, notes: Sequence[str] = (), form_intro: Reply | None = None,
               consent: Consent | None = None) -> AdaptiveCard:
    """What a customer reads in their chat; the form is one click away when the reply offers it
    (and, with REST on, Nmbrs' consent page)."""
    body = reply_body(reply)
    body.extend(small(escape(note)) for note in notes)
    if not reply.offer_connect:
        return card(body, [])
    if consent is not None and consent.only:
        return _consent_only(body, lang, consent)
    if consent is not None:
        body.append(small(escape(consent_hint(lang))))
    actions = [connect_action(lang, form_intro, beside_consent=consent is not None)]
    if consent is not None and consent.first:  # a REST link's message: the consent leads
        return card(body, [*_consent(lang, consent), *actions])
    return card(body, [*actions, *_consent(lang, consent)])


def checking_card(reply: Reply) -> AdaptiveCard:
    """The form replaced while Nmbrs is asked: the typed token is gone from the card at once."""
    return card(reply_body(reply))


def outcome_card(reply: Reply, lang: str, *, username: str | None = None,
                 consent: Consent | None = None) -> AdaptiveCard:
    """The form after a check: the outcome, and the form again when there is something to fix
    (REST only, `consent`: the consent button instead)."""
    body = reply_body(reply)
    if not reply.offer_connect:
        return card(body)
    if consent is not None and consent.only:
        return _consent_only(body, lang, consent)
    return card([*body, *_inputs(lang, username=username, errors={})], [_submit(lang)])


def form_errors_card(lang: str, intro: Reply, *, username: str, errors: Mapping[str, str]) -> AdaptiveCard:
    """The form again with what is wrong under each field (the shape check before Nmbrs is asked)."""
    return form(lang, intro, username=username or None, errors=errors)


def submitted(value: Mapping[str, Any]) -> tuple[str, str]:
    """The e-mail and token from a form submit ("" for a missing or non-text field)."""

    def field(name: str) -> str:
        item = value.get(name)
        return item if isinstance(item, str) else ""

    return field(USERNAME_INPUT), field(TOKEN_INPUT)
