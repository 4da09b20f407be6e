"""Block Kit builders: pure functions from neutral replies, link cards and alerts to Slack JSON.

Every piece of outside text (customer input, Nmbrs names, labels, reasons) goes through escape()
here, so a company called `<!channel>` is printed, never obeyed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from handlers.intake import Via
from handlers.model import Alert, LinkCard
from handlers.offer import Consent
from handlers.text import alert_text
from handlers.text.alert_text import support_label
from handlers.text.connect_text import consent_button, consent_hint
from handlers.text.offer_text import rest_only_hint
from handlers.text.replies import Reply, connect_label, label, state_label

Block = dict[str, Any]

#: action_id of the button that opens the credentials form (DMs, ephemeral hints, App Home).
CONNECT_ACTION = "tokendesk_connect_open"
#: action_id of the URL button that opens Nmbrs' consent page (REST); Slack still sends its click.
CONSENT_ACTION = "tokendesk_consent_open"
#: callback_id of the credentials form.
CONNECT_VIEW = "tokendesk_connect"
USERNAME_BLOCK, TOKEN_BLOCK, INPUT_ACTION = "username", "token", "value"
#: How many links the App Home lists before "and N more" (Slack allows 100 blocks in a view).
HOME_LINKS = 20
#: The slash command, as people type it.
SLASH = "/nmbrs"

_TONE = {"ok": ":white_check_mark:", "problem": ":warning:", "wait": ":hourglass_flowing_sand:", "info": ":wave:"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_SECTION_MAX = 3000


def escape(text: object) -> str:
    """Make outside text inert in mrkdwn: no links, mentions or broadcasts (&, <, > escaped)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: object) -> str:
    """`<@U…>` for a real Slack user id; anything else is printed as text."""
    text = str(user_id or "")
    return f"<@{text}>" if _USER_ID.match(text) else escape(text or "?")


class Mrkdwn:
    """Slack mrkdwn for the shared wording (handlers.text.markup): `*bold*`, `` `code` ``, `:shortcode:`
    icons, `<!date>` times, people mentioned. Values are escaped whole: a support message is cut as a
    whole, at 3000 characters a section (CommandMrkdwn cuts each value instead)."""

    bullet = "• "
    reason_limit: int | None = None
    id_limit: int | None = None

    def escape(self, text: object, limit: int | None = None) -> str:
        return escape(text)

    def bold(self, text: str) -> str:
        return f"*{text}*"

    def code(self, text: str) -> str:
        return f"`{text}`"

    keyword = typed = code

    def command(self, words: str) -> str:
        return f"`{SLASH} {words}`"

    def icon(self, name: str) -> str:
        return f":{name}:"

    def time(self, moment: datetime) -> str:
        return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"

    def person(self, platform: str, user_id: object, team_id: str | None = None) -> str:
        return mention(user_id)


MRKDWN = Mrkdwn()


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _section(mrkdwn: str) -> Block:
    if len(mrkdwn) > _SECTION_MAX:
        mrkdwn = mrkdwn[: _SECTION_MAX - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:_SECTION_MAX]}]}


def connect_button(lang: str, *, primary: bool = True, beside_consent: bool = False) -> dict[str, Any]:
    text = _plain(connect_label(lang, beside_consent=beside_consent))
    button: dict[str, Any] = {
        "type": "button", "action_id": CONNECT_ACTION, "text": text, "value": "connect",
    }
    if primary:
        button["style"] = "primary"
    return button


def consent_link_button(lang: str, url: str, *, primary: bool = False) -> dict[str, Any]:
    """A URL button: Slack opens `url` (the consent start with a ticket) in the browser."""
    button = {"type": "button", "action_id": CONSENT_ACTION, "text": _plain(consent_button(lang)), "url": url}
    if primary:
        button["style"] = "primary"
    return button


def connect_actions(lang: str, consent: Consent | None = None) -> Block:
    """The Connect button (the credentials form) and, with REST on, the consent page's URL button;
    REST only: that button alone; consent first (a REST link's message): the consent button leads."""
    if consent is None:
        return {"type": "actions", "block_id": "tokendesk_connect", "elements": [connect_button(lang)]}
    form = [] if consent.only else [connect_button(lang, primary=not consent.first, beside_consent=True)]
    link = [consent_link_button(lang, consent.url, primary=consent.first)]
    elements = link + form if consent.first else form + link
    return {"type": "actions", "block_id": "tokendesk_connect", "elements": elements}


# --- replies to customers ----------------------------------------------------------------------


def _connect_hint(lang: str, consent: Consent) -> str:
    return rest_only_hint(lang) if consent.only else consent_hint(lang)


def reply_blocks(reply: Reply, lang: str, *, button: bool = True, consent: Consent | None = None) -> list[Block]:
    """A neutral reply as blocks: headline with a tone mark, detail, facts, action, small print."""
    body = [f"{_TONE[reply.tone]} *{escape(reply.headline)}*"]
    if reply.detail:
        body.append(escape(reply.detail))
    blocks: list[Block] = [_section("\n".join(body))]
    if reply.facts:
        blocks.append(_section("\n".join(f"• {escape(fact)}" for fact in reply.facts)))
    if reply.action:
        blocks.append(_section(escape(reply.action)))
    if button and reply.offer_connect:
        if consent is not None:
            blocks.append(_context(escape(_connect_hint(lang, consent))))
        blocks.append(connect_actions(lang, consent))
    for note in reply.notes:
        blocks.append(_context(escape(note)))
    return blocks


def reply_message(reply: Reply, lang: str, *, notes: Sequence[str] = (),
                  consent: Consent | None = None) -> dict[str, Any]:
    """chat.postMessage / chat.postEphemeral arguments (text is the notification fallback)."""
    blocks = reply_blocks(reply, lang, consent=consent)
    blocks.extend(_context(escape(note)) for note in notes)
    return {"text": escape(reply.headline), "blocks": blocks}


# --- the credentials form ----------------------------------------------------------------------


def _modal(lang: str, blocks: list[Block], *, submit: bool, metadata: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CONNECT_VIEW,
        "title": _plain(label("modal_title", lang), 24),
        "close": _plain(label("cancel" if submit else "close", lang), 24),
        "private_metadata": json.dumps(dict(metadata), separators=(",", ":")),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _plain(label("submit", lang), 24)
    return view


def _inputs(lang: str, username: str | None) -> list[Block]:
    username_input: dict[str, Any] = {
        "type": "plain_text_input", "action_id": INPUT_ACTION, "placeholder": _plain(label("username_hint", lang)),
    }
    if username:
        username_input["initial_value"] = username
    return [
        {"type": "input", "block_id": USERNAME_BLOCK, "label": _plain(label("username", lang)), "element": username_input},
        {
            "type": "input", "block_id": TOKEN_BLOCK, "label": _plain(label("token", lang)),
            "hint": _plain(label("token_help", lang)),
            "element": {"type": "plain_text_input", "action_id": INPUT_ACTION,
                        "placeholder": _plain(label("token_hint", lang))},
        },
    ]


def _metadata(lang: str, via: Via | None) -> dict[str, str]:
    """The form's private_metadata: its language and, when it was opened from a shared channel's
    Connect message, that message's invitation and channel (kept through a retry)."""
    return {"lang": lang, **({"via": via.invitation, "channel": via.channel} if via else {})}


def connect_modal(lang: str, intro: Reply, *, username: str | None = None, via: Via | None = None,
                  consent: Consent | None = None) -> dict[str, Any]:
    """The form: where to find the token, then e-mail and token inputs; with REST on, first the
    button that opens Nmbrs' consent page instead. REST only: that button and one line, no inputs."""
    if consent is not None and consent.only:
        return _modal(lang, _consent_only(lang, consent), submit=False, metadata=_metadata(lang, via))
    first: list[Block] = []
    if consent is not None:
        first = [{"type": "actions", "block_id": "tokendesk_consent",
                  "elements": [consent_link_button(lang, consent.url)]}, {"type": "divider"}]
    return _modal(lang, [*first, *reply_blocks(intro, lang, button=False), *_inputs(lang, username)],
                  submit=True, metadata=_metadata(lang, via))


def _consent_only(lang: str, consent: Consent) -> list[Block]:
    return [_section(escape(rest_only_hint(lang))),
            {"type": "actions", "block_id": "tokendesk_consent", "elements": [consent_link_button(lang, consent.url)]}]


def modal_outcome(reply: Reply, lang: str, *, username: str | None = None, via: Via | None = None,
                  consent: Consent | None = None) -> dict[str, Any]:
    """The form after a check: the outcome, and the form again when there is something to fix
    (REST only, `consent`: the consent button instead of the form)."""
    blocks = reply_blocks(reply, lang, button=False)
    if reply.offer_connect and consent is not None and consent.only:
        return _modal(lang, [*blocks, *_consent_only(lang, consent)], submit=False, metadata={"lang": lang})
    if reply.offer_connect:
        return _modal(lang, [*blocks, {"type": "divider"}, *_inputs(lang, username)],
                      submit=True, metadata=_metadata(lang, via))
    return _modal(lang, blocks, submit=False, metadata={"lang": lang})


def modal_checking(reply: Reply, lang: str) -> dict[str, Any]:
    return _modal(lang, reply_blocks(reply, lang, button=False), submit=False, metadata={"lang": lang})


def form_values(view: Mapping[str, Any]) -> tuple[str, str]:
    """The e-mail and token typed into the form ("" for an empty or missing field)."""
    values = (view.get("state") or {}).get("values") or {}

    def value(block_id: str) -> str:
        state = (values.get(block_id) or {}).get(INPUT_ACTION) or {}
        return str(state.get("value") or "")

    return value(USERNAME_BLOCK), value(TOKEN_BLOCK)


def _form_metadata(view: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, Mapping) else {}


def form_lang(view: Mapping[str, Any], default: str) -> str:
    lang = _form_metadata(view).get("lang")
    return lang if lang in ("nl", "en") else default


def form_via(view: Mapping[str, Any]) -> Via | None:
    """The shared channel's Connect message the form was opened from, if any."""
    metadata = _form_metadata(view)
    return Via.parse(metadata.get("via"), metadata.get("channel"))


# --- App Home ------------------------------------------------------------------------------------


def _when(moment: datetime | None, lang: str) -> str:
    return label("never", lang) if moment is None else MRKDWN.time(moment)


def home_view(lang: str, links: Sequence[LinkCard], checked: Mapping[int, datetime | None],
              *, staff_blocks: Sequence[Block] = (), consent: Consent | None = None,
              mode: str = "") -> dict[str, Any]:
    """A customer's links (state, environment, token ending, last check) and the Connect button."""
    blocks: list[Block] = [
        {"type": "header", "text": _plain(label("home_title", lang))},
    ]
    if not links:
        blocks.append(_section(escape(label("home_none", lang))))
    for card in links[:HOME_LINKS]:
        lines = [f"*{escape(card.environment or label('unknown', lang))}* · {escape(card.username)} — "
                 f"{escape(state_label(card.state, lang))}"]
        if card.token_last4:
            lines.append(f"{escape(label('token_ending', lang))} …{escape(card.token_last4)}")
        lines.append(f"{escape(label('last_check', lang))}: {_when(checked.get(card.id), lang)}")
        if card.label:
            lines.append(f"_{escape(card.label)}_")
        blocks.append(_section("\n".join(lines)))
    if len(links) > HOME_LINKS:
        blocks.append(_context(escape(label("home_more", lang).format(n=len(links) - HOME_LINKS))))
    if consent is not None and consent.only:
        blocks.append(_context(escape(rest_only_hint(lang))))
    blocks.append(connect_actions(lang, consent))
    if mode:
        blocks.append(_context(escape(mode)))
    if staff_blocks:
        blocks.append({"type": "divider"})
        blocks.extend(staff_blocks[: 100 - len(blocks)])
    return {"type": "home", "blocks": blocks}


# --- the support channel ---------------------------------------------------------------------------
# The words are handlers.text.alert_text's; values are shown whole (a section is cut at 3000 characters).


def support_parent(card: LinkCard, lang: str, *, by: object = None) -> dict[str, Any]:
    """The parent message of a link's thread: what the link is, what it reaches, who sent it."""
    lines = alert_text.parent_lines(MRKDWN, card, lang, by=by)
    return {"text": f"{card.short_id} {escape(card.username)}", "blocks": [_section("\n".join(lines))]}


def support_update(alert: Alert, lang: str) -> dict[str, Any]:
    """A message in a link's thread about one change."""
    assert alert.link is not None
    lines = alert_text.update_lines(MRKDWN, alert, lang)
    text = f"{alert.link.short_id}: {escape(support_label(alert.kind, lang))}"
    return {"text": text, "blocks": [_section("\n".join(lines))]}


def support_note(alert: Alert, lang: str) -> dict[str, Any]:
    """Top level: a link alert that arrived without its link; what it is and why, no more."""
    return {"text": escape(support_label(alert.kind, lang)), "blocks": [_section(alert_text.note_line(MRKDWN, alert, lang))]}


def support_customer_relay(card: LinkCard, reply: Reply, reply_lang: str, error: str, lang: str) -> dict[str, Any]:
    """In the link's thread: a customer alert Slack would not deliver by DM (Slack Connect), for
    support to pass on; the customer's words as they would have read them."""
    line = alert_text.dm_refused_line(MRKDWN, card, error, lang)
    return {"text": escape(reply.headline), "blocks": [_section(line), *reply_blocks(reply, reply_lang, button=False)]}


def support_stuck(details: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Top level: a customer keeps getting rejected (details from handlers.intake)."""
    lines = alert_text.stuck_lines(MRKDWN, details, lang)
    return {"text": alert_text.stuck_sentence(MRKDWN, details, lang), "blocks": [_section("\n".join(lines))]}


def support_digest(details: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Top level: the nightly summary (details from handlers.recheck's digest)."""
    lines, sections = alert_text.digest_lines(MRKDWN, details, lang)
    lines += [line for section in sections for line in section]
    return {"text": escape(support_label("digest", lang)), "blocks": [_section("\n".join(lines))]}


def support_soap(alert: Alert, lang: str) -> dict[str, Any]:
    """Top level: SOAP looks switched off, or answers again (handlers.recheck.switchoff)."""
    lines = alert_text.soap_lines(MRKDWN, alert, lang)
    return {"text": escape(support_label(alert.kind, lang)), "blocks": [_section("\n".join(lines))]}
