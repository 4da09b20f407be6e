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

from handlers.alerts import Alert, AlertKind, LinkCard
from bot.nmbrs import explain
from handlers import replies
from handlers.replies import Reply, label, link_facts, state_label

Block = dict[str, Any]

#: action_id of the button that opens the credentials form (DMs, ephemeral hints, App Home).
CONNECT_ACTION = "tokendesk_connect_open"
#: callback_id of the credentials form.
CONNECT_VIEW = "tokendesk_connect"
USERNAME_BLOCK, TOKEN_BLOCK, INPUT_ACTION = "username", "token", "value"
#: How many links the App Home lists before "and N more" (Slack allows 100 blocks in a view).
HOME_LINKS = 20

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


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _section(mrkdwn: str) -> Block:
    if len(mrkdwn) > _SECTION_MAX:
        mrkdwn = mrkdwn[: _SECTION_MAX - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:_SECTION_MAX]}]}


def connect_button(lang: str, *, primary: bool = True) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button", "action_id": CONNECT_ACTION, "text": _plain(label("connect", lang)), "value": "connect",
    }
    if primary:
        button["style"] = "primary"
    return button


def connect_actions(lang: str) -> Block:
    return {"type": "actions", "block_id": "tokendesk_connect", "elements": [connect_button(lang)]}


# --- replies to customers ----------------------------------------------------------------------


def reply_blocks(reply: Reply, lang: str, *, button: bool = True) -> list[Block]:
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
        blocks.append(connect_actions(lang))
    for note in reply.notes:
        blocks.append(_context(escape(note)))
    return blocks


def reply_message(reply: Reply, lang: str, *, notes: Sequence[str] = ()) -> dict[str, Any]:
    """chat.postMessage / chat.postEphemeral arguments (text is the notification fallback)."""
    blocks = reply_blocks(reply, lang)
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


def connect_modal(lang: str, intro: Reply, *, username: str | None = None) -> dict[str, Any]:
    """The form: where to find the token, then e-mail and token inputs."""
    return _modal(lang, [*reply_blocks(intro, lang, button=False), *_inputs(lang, username)],
                  submit=True, metadata={"lang": lang})


def modal_outcome(reply: Reply, lang: str, *, username: str | None = None) -> dict[str, Any]:
    """The form after a check: the outcome, and the form again when there is something to fix."""
    blocks = reply_blocks(reply, lang, button=False)
    if reply.offer_connect:
        return _modal(lang, [*blocks, {"type": "divider"}, *_inputs(lang, username)],
                      submit=True, metadata={"lang": lang})
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


def form_lang(view: Mapping[str, Any], default: str) -> str:
    try:
        lang = json.loads(view.get("private_metadata") or "{}").get("lang")
    except (ValueError, AttributeError):
        lang = None
    return lang if lang in ("nl", "en") else default


# --- App Home ------------------------------------------------------------------------------------


def _when(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return label("never", lang)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def home_view(lang: str, links: Sequence[LinkCard], checked: Mapping[int, datetime | None],
              *, staff_blocks: Sequence[Block] = ()) -> dict[str, Any]:
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
    blocks.append(connect_actions(lang))
    if staff_blocks:
        blocks.append({"type": "divider"})
        blocks.extend(staff_blocks[: 100 - len(blocks)])
    return {"type": "home", "blocks": blocks}


# --- the support channel ---------------------------------------------------------------------------

_SUPPORT = {
    "nl": {
        "sent_by": "Ingestuurd door", "no_env": "omgeving nog onbekend",
        AlertKind.ACTIVATED: "Geactiveerd", AlertKind.TOKEN_REPLACED: "Nieuw token ontvangen",
        AlertKind.BROKEN: "Werkt niet meer", AlertKind.RESTORED: "Werkt weer",
        AlertKind.SCOPE_CHANGED: "Bereik gewijzigd", AlertKind.UNVERIFIED: "Kon niet gecontroleerd worden",
        AlertKind.REVOKED: "Ingetrokken (token vernietigd)", AlertKind.LABELLED: "Label gewijzigd",
        "by": "door", "code": "code", "previous": "was", "nights": "nachten", "via": "via", "customer_todo": "Wat de klant moet doen",
        "debtors_added": "debiteuren erbij", "debtors_removed": "debiteuren weg",
        "companies_added": "bedrijven erbij", "companies_removed": "bedrijven weg",
        "stuck": "{who} loopt vast: Nmbrs weigerde vandaag {n} pogingen", "login": "login",
        "digest": "Nachtelijke controle", "label_cleared": "label verwijderd",
    },
    "en": {
        "sent_by": "Sent by", "no_env": "environment not known yet",
        AlertKind.ACTIVATED: "Activated", AlertKind.TOKEN_REPLACED: "New token received",
        AlertKind.BROKEN: "Stopped working", AlertKind.RESTORED: "Works again",
        AlertKind.SCOPE_CHANGED: "Scope changed", AlertKind.UNVERIFIED: "Could not be checked",
        AlertKind.REVOKED: "Revoked (token destroyed)", AlertKind.LABELLED: "Label changed",
        "by": "by", "code": "code", "previous": "was", "nights": "nights", "via": "via", "customer_todo": "What the customer must do",
        "debtors_added": "debtors added", "debtors_removed": "debtors removed",
        "companies_added": "companies added", "companies_removed": "companies removed",
        "stuck": "{who} is stuck: Nmbrs rejected {n} attempts today", "login": "login",
        "digest": "Nightly check", "label_cleared": "label removed",
    },
}
_MARK = {
    AlertKind.ACTIVATED: ":large_green_circle:", AlertKind.TOKEN_REPLACED: ":arrows_counterclockwise:",
    AlertKind.BROKEN: ":red_circle:", AlertKind.RESTORED: ":large_green_circle:",
    AlertKind.SCOPE_CHANGED: ":card_index_dividers:", AlertKind.UNVERIFIED: ":grey_question:",
    AlertKind.REVOKED: ":no_entry:", AlertKind.LABELLED: ":label:",
}


def _s(lang: str, key: object) -> str:
    return _SUPPORT["nl" if lang == "nl" else "en"][key]  # type: ignore[index]


def _link_title(card: LinkCard, lang: str) -> str:
    environment = f"`{escape(card.environment)}`" if card.environment else f"_{escape(_s(lang, 'no_env'))}_"
    title = f"*{card.short_id}* · {environment} · {escape(card.username)}"
    if card.label:
        title += f" · _{escape(card.label)}_"
    return title


def _scope_line(card: LinkCard, lang: str) -> str:
    facts = [fact for fact in link_facts(card, lang) if not fact.startswith(label("environment", lang))]
    return " · ".join(escape(fact) for fact in facts)


def support_parent(card: LinkCard, lang: str, *, by: object = None) -> dict[str, Any]:
    """The parent message of a link's thread: what the link is, what it reaches, who sent it."""
    lines = [f":link: {_link_title(card, lang)} — {escape(state_label(card.state, lang))}"]
    scope = _scope_line(card, lang)
    if scope:
        lines.append(scope)
    sender = by or card.user_id
    if sender:
        lines.append(f"{escape(_s(lang, 'sent_by'))} {mention(sender)}")
    return {"text": f"{card.short_id} {escape(card.username)}", "blocks": [_section("\n".join(lines))]}


def _reason(details: Mapping[str, Any], lang: str) -> str:
    parts = []
    for key in ("category", "reason", "cause"):
        if details.get(key):
            parts.append(escape(details[key]))
            break
    if details.get("code") is not None:
        parts.append(f"{_s(lang, 'code')} {escape(details['code'])}")
    return ", ".join(parts)


def support_update(alert: Alert, lang: str) -> dict[str, Any]:
    """A message in a link's thread about one change."""
    assert alert.link is not None
    card, details = alert.link, alert.details
    head = f"{_MARK.get(alert.kind, '')} *{escape(_s(lang, alert.kind))}* · {_link_title(card, lang)}".strip()
    lines = [head]
    if alert.kind in (AlertKind.BROKEN, AlertKind.UNVERIFIED):
        failure = (replies.rejected_from(details) if alert.kind is AlertKind.BROKEN
                   else replies.unreachable_from(details))
        why = _reason(details, lang)
        said = explain(failure, lang)
        lines.append(escape(said.headline) + (f" ({why})" if why else ""))
        if alert.kind is AlertKind.BROKEN and said.action:
            # Support relays this to the customer, so it says what the customer must do.
            lines.append(f"{_s(lang, 'customer_todo')}: {escape(said.action)}")
    if alert.kind is AlertKind.UNVERIFIED and details.get("nights"):
        lines.append(f"{escape(details['nights'])} {_s(lang, 'nights')}")
    if alert.kind in (AlertKind.ACTIVATED, AlertKind.RESTORED, AlertKind.TOKEN_REPLACED):
        scope = _scope_line(card, lang)
        if scope:
            lines.append(scope)
    if alert.kind is AlertKind.SCOPE_CHANGED:
        for key in ("debtors_added", "debtors_removed", "companies_added", "companies_removed"):
            names = details.get(key) or []
            if names:
                lines.append(f"{escape(_s(lang, key))}: {', '.join(escape(n) for n in list(names)[:20])}"
                             + (f" (+{len(names) - 20})" if len(names) > 20 else ""))
    if alert.kind is AlertKind.LABELLED:
        new = details.get("label")
        lines.append(f"“{escape(new)}”" if new else f"_{escape(_s(lang, 'label_cleared'))}_")
        if details.get("previous"):
            lines.append(f"{_s(lang, 'previous')}: “{escape(details['previous'])}”")
    if details.get("previous_state") and alert.kind is not AlertKind.LABELLED:
        lines.append(f"{_s(lang, 'previous')}: {escape(state_label(str(details['previous_state']), lang))}")
    if details.get("via"):
        lines.append(f"{_s(lang, 'via')}: {escape(details['via'])}")
    if details.get("by"):
        lines.append(f"{_s(lang, 'by')} {mention(details['by'])}")
    text = f"{card.short_id}: {escape(_s(lang, alert.kind))}"
    return {"text": text, "blocks": [_section("\n".join(lines))]}


def support_note(alert: Alert, lang: str) -> dict[str, Any]:
    """Top level: a link alert that arrived without its link; what it is and why, no more."""
    line = f"{_MARK.get(alert.kind, '')} *{escape(_s(lang, alert.kind))}*".strip()
    why = _reason(alert.details, lang)
    return {"text": escape(_s(lang, alert.kind)), "blocks": [_section(line + (f" ({why})" if why else ""))]}


def support_stuck(details: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Top level: a customer keeps getting rejected (details from handlers.intake)."""
    who = mention(details.get("user_id"))
    lines = [":sos: " + _s(lang, "stuck").format(who=who, n=escape(details.get("attempts", "?")))]
    why = _reason(details, lang)
    if why:
        lines.append(why)
    if details.get("username"):
        lines.append(f"{_s(lang, 'login')}: {escape(details['username'])}")
    return {"text": _s(lang, "stuck").format(who=who, n=escape(details.get("attempts", "?"))),
            "blocks": [_section("\n".join(lines))]}


def _link_item(item: Mapping[str, Any], lang: str) -> str:
    environment = f"`{escape(item['environment'])}`" if item.get("environment") else f"_{escape(_s(lang, 'no_env'))}_"
    return f"*{escape(item.get('link') or '?')}* · {environment} · {escape(item.get('username') or '')}"


def _counted(counts: Any, lang: str, *, states: bool = False) -> str:
    if not isinstance(counts, Mapping):
        return ""
    shown = [(state_label(str(k), lang) if states else str(k), v) for k, v in counts.items() if v]
    return ", ".join(f"{escape(name)} {escape(value)}" for name, value in shown)


def _items(title: str, items: Any, total: Any, lang: str, line: Any) -> list[str]:
    if not isinstance(items, list) or not items:
        return []
    count = total if isinstance(total, int) and total >= len(items) else len(items)
    lines = [f"*{escape(title)}* ({count})"]
    lines.extend(f"• {line(item)}" for item in items if isinstance(item, Mapping))
    if count > len(items):
        lines.append(f"• … +{count - len(items)}")
    return lines


def support_digest(details: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Top level: the nightly summary (details from handlers.recheck's digest)."""
    nl = lang == "nl"
    head = f":crescent_moon: *{escape(_s(lang, 'digest'))}*"
    if details.get("run_id") is not None:
        head += f" (run {escape(details['run_id'])})"
    lines = [head]
    checked = details.get("checked")
    outcomes = _counted(details.get("outcomes"), lang)
    if checked is not None:
        lines.append((f"{escape(checked)} koppelingen gecontroleerd" if nl else f"{escape(checked)} links checked")
                     + (f": {outcomes}" if outcomes else ""))
    states = _counted(details.get("counts"), lang, states=True)
    if states:
        lines.append(("Nu: " if nl else "Now: ") + states)
    if details.get("failed"):
        lines.append((f"{escape(details['failed'])} konden niet gecontroleerd worden door een fout bij ons" if nl
                      else f"{escape(details['failed'])} could not be checked because of a fault on our side"))

    def change(item: Mapping[str, Any]) -> str:
        why = f" ({escape(item['reason'])})" if item.get("reason") else ""
        return f"{_link_item(item, lang)} → {escape(state_label(str(item.get('transition') or item.get('state')), lang))}{why}"

    def broken(item: Mapping[str, Any]) -> str:
        return f"{_link_item(item, lang)} — {_reason(item, lang)}".rstrip(" —")

    def failure(item: Mapping[str, Any]) -> str:
        return f"{_link_item(item, lang)}" + (f" ({escape(item['reason'])})" if item.get("reason") else "")

    lines += _items("Wijzigingen" if nl else "Changes", details.get("changes"), details.get("changes_total"), lang, change)
    lines += _items("Werkt niet" if nl else "Broken", details.get("broken"), details.get("broken_total"), lang, broken)
    lines += _items("Fouten" if nl else "Failures", details.get("failures"), details.get("failed"), lang, failure)
    return {"text": escape(_s(lang, "digest")), "blocks": [_section("\n".join(lines))]}
