"""Adaptive Cards for the Teams support channel: a link's thread (its first post and the updates in it),
a customer who is stuck, the nightly digest. Pure functions from neutral alerts (handlers.alerts).

The wording follows the Slack support messages; people are named by their Teams display name when
the bot has met them (`names`), never mentioned, and every outside value goes through escape().
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microsoft_teams.cards import AdaptiveCard

from bot.nmbrs import explain
from bot.teams.cards import card, e, escape, text
from bot.teams.command_cards import who
from handlers import replies
from handlers.alerts import Alert, AlertKind, LinkCard
from handlers.replies import label, link_facts, state_label

_SUPPORT: dict[str, dict[object, str]] = {
    "nl": {
        "sent_by": "Ingestuurd door", "no_env": "omgeving nog onbekend",
        AlertKind.ACTIVATED: "Geactiveerd", AlertKind.TOKEN_REPLACED: "Nieuw token ontvangen",
        AlertKind.BROKEN: "Werkt niet meer", AlertKind.RESTORED: "Werkt weer",
        AlertKind.SCOPE_CHANGED: "Bereik gewijzigd", AlertKind.UNVERIFIED: "Kon niet gecontroleerd worden",
        AlertKind.REVOKED: "Ingetrokken (token vernietigd)", AlertKind.LABELLED: "Label gewijzigd",
        "by": "door", "code": "code", "previous": "was", "nights": "nachten", "via": "via",
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
        "by": "by", "code": "code", "previous": "was", "nights": "nights", "via": "via",
        "debtors_added": "debtors added", "debtors_removed": "debtors removed",
        "companies_added": "companies added", "companies_removed": "companies removed",
        "stuck": "{who} is stuck: Nmbrs rejected {n} attempts today", "login": "login",
        "digest": "Nightly check", "label_cleared": "label removed",
    },
}
_MARK = {
    AlertKind.ACTIVATED: "🟢", AlertKind.TOKEN_REPLACED: "🔄", AlertKind.BROKEN: "🔴", AlertKind.RESTORED: "🟢",
    AlertKind.SCOPE_CHANGED: "🗂️", AlertKind.UNVERIFIED: "❔", AlertKind.REVOKED: "⛔", AlertKind.LABELLED: "🏷️",
}


def _s(lang: str, key: object) -> str:
    return _SUPPORT["nl" if lang == "nl" else "en"][key]


def _title(item: LinkCard, lang: str) -> str:
    environment = f"**{e(item.environment, 100)}**" if item.environment else f"_{escape(_s(lang, 'no_env'))}_"
    title = f"**{item.short_id}** · {environment} · {e(item.username, 254)}"
    if item.label:
        title += f" · _{e(item.label)}_"
    return title


def _scope_line(item: LinkCard, lang: str) -> str:
    facts = [fact for fact in link_facts(item, lang) if not fact.startswith(label("environment", lang))]
    return " · ".join(escape(fact) for fact in facts)


def summary(alert: Alert, lang: str) -> str:
    """The notification preview: the link's id and what happened (no outside text)."""
    if alert.kind is AlertKind.DIGEST or alert.kind is AlertKind.CUSTOMER_STUCK or alert.link is None:
        return _s(lang, "digest") if alert.kind is AlertKind.DIGEST else "tokendesk"
    return f"{alert.link.short_id}: {_s(lang, alert.kind)}"


def parent(item: LinkCard, lang: str, *, by: object = None, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """The first post of a link's thread: what the link is, what it reaches, who sent it."""
    lines = [f"🔗 {_title(item, lang)} — {escape(state_label(item.state, lang))}"]
    scope = _scope_line(item, lang)
    if scope:
        lines.append(scope)
    sender = by or item.user_id
    if sender:
        lines.append(f"{escape(_s(lang, 'sent_by'))} {who(item.platform, str(sender), names or {})}")
    return card([text("\n\n".join(lines))])


def _reason(details: Mapping[str, Any], lang: str) -> str:
    parts = []
    for key in ("category", "reason", "cause"):
        if details.get(key):
            parts.append(e(details[key], 60))
            break
    if details.get("code") is not None:
        parts.append(f"{_s(lang, 'code')} {e(details['code'], 10)}")
    return ", ".join(parts)


def update(alert: Alert, lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """A reply in a link's thread about one change."""
    assert alert.link is not None
    item, details = alert.link, alert.details
    lines = [f"{_MARK.get(alert.kind, '')} **{escape(_s(lang, alert.kind))}** · {_title(item, lang)}".strip()]
    if alert.kind in (AlertKind.BROKEN, AlertKind.UNVERIFIED):
        failure = (replies.rejected_from(details) if alert.kind is AlertKind.BROKEN
                   else replies.unreachable_from(details))
        why = _reason(details, lang)
        lines.append(escape(explain(failure, lang).headline) + (f" ({why})" if why else ""))
    if alert.kind is AlertKind.UNVERIFIED and details.get("nights"):
        lines.append(f"{e(details['nights'], 10)} {_s(lang, 'nights')}")
    if alert.kind in (AlertKind.ACTIVATED, AlertKind.RESTORED, AlertKind.TOKEN_REPLACED):
        scope = _scope_line(item, lang)
        if scope:
            lines.append(scope)
    if alert.kind is AlertKind.SCOPE_CHANGED:
        for key in ("debtors_added", "debtors_removed", "companies_added", "companies_removed"):
            found = list(details.get(key) or [])
            if found:
                lines.append(f"{escape(_s(lang, key))}: {', '.join(e(n, 80) for n in found[:20])}"
                             + (f" (+{len(found) - 20})" if len(found) > 20 else ""))
    if alert.kind is AlertKind.LABELLED:
        new = details.get("label")
        lines.append(f"“{e(new)}”" if new else f"_{escape(_s(lang, 'label_cleared'))}_")
        if details.get("previous"):
            lines.append(f"{_s(lang, 'previous')}: “{e(details['previous'])}”")
    if details.get("previous_state") and alert.kind is not AlertKind.LABELLED:
        lines.append(f"{_s(lang, 'previous')}: {escape(state_label(str(details['previous_state']), lang))}")
    if details.get("via"):
        lines.append(f"{_s(lang, 'via')}: {e(details['via'], 40)}")
    if details.get("by"):
        platform = str(details.get("by_platform") or item.platform)
        lines.append(f"{_s(lang, 'by')} {who(platform, str(details['by']), names or {})}")
    return card([text("\n\n".join(lines), color="Attention" if alert.kind is AlertKind.BROKEN else "Default")])


def note(alert: Alert, lang: str) -> AdaptiveCard:
    """A link alert that arrived without its link: what it is and why, no more."""
    line = f"{_MARK.get(alert.kind, '')} **{escape(_s(lang, alert.kind))}**".strip()
    why = _reason(alert.details, lang)
    return card([text(line + (f" ({why})" if why else ""))])


def stuck(details: Mapping[str, Any], lang: str, *, names: Mapping[str, str] | None = None) -> AdaptiveCard:
    """A customer keeps getting rejected (details from handlers.intake)."""
    person = who(str(details.get("platform") or "teams"), details.get("user_id"), names or {})
    lines = ["🆘 " + _s(lang, "stuck").format(who=person, n=e(details.get("attempts", "?"), 10))]
    why = _reason(details, lang)
    if why:
        lines.append(why)
    if details.get("username"):
        lines.append(f"{_s(lang, 'login')}: {e(details['username'], 254)}")
    return card([text("\n\n".join(lines))])


def _link_item(item: Mapping[str, Any], lang: str) -> str:
    environment = f"**{e(item['environment'], 100)}**" if item.get("environment") else f"_{escape(_s(lang, 'no_env'))}_"
    return f"**{e(item.get('link') or '?', 20)}** · {environment} · {e(item.get('username') or '', 254)}"


def _counted(counts: Any, lang: str, *, states: bool = False) -> str:
    if not isinstance(counts, Mapping):
        return ""
    shown = [(state_label(str(k), lang) if states else str(k), v) for k, v in counts.items() if v]
    return ", ".join(f"{escape(name)} {e(value, 10)}" for name, value in shown)


def _items(title: str, items: Any, total: Any, line: Any) -> list[str]:
    if not isinstance(items, list) or not items:
        return []
    count = total if isinstance(total, int) and total >= len(items) else len(items)
    lines = [f"**{escape(title)}** ({count})"]
    lines.extend(f"- {line(item)}" for item in items if isinstance(item, Mapping))
    if count > len(items):
        lines.append(f"- … +{count - len(items)}")
    return lines


def digest(details: Mapping[str, Any], lang: str) -> AdaptiveCard:
    """The nightly summary (details from handlers.recheck's digest)."""
    nl = lang == "nl"
    head = f"🌙 **{escape(_s(lang, 'digest'))}**"
    if details.get("run_id") is not None:
        head += f" (run {e(details['run_id'], 20)})"
    lines = [head]
    checked = details.get("checked")
    outcomes = _counted(details.get("outcomes"), lang)
    if checked is not None:
        lines.append((f"{e(checked, 10)} koppelingen gecontroleerd" if nl else f"{e(checked, 10)} links checked")
                     + (f": {outcomes}" if outcomes else ""))
    states = _counted(details.get("counts"), lang, states=True)
    if states:
        lines.append(("Nu: " if nl else "Now: ") + states)
    if details.get("failed"):
        lines.append((f"{e(details['failed'], 10)} konden niet gecontroleerd worden door een fout bij ons" if nl
                      else f"{e(details['failed'], 10)} could not be checked because of a fault on our side"))

    def change(item: Mapping[str, Any]) -> str:
        why = f" ({e(item['reason'], 60)})" if item.get("reason") else ""
        moved = state_label(str(item.get("transition") or item.get("state")), lang)
        return f"{_link_item(item, lang)} → {escape(moved)}{why}"

    def broken(item: Mapping[str, Any]) -> str:
        return f"{_link_item(item, lang)} — {_reason(item, lang)}".rstrip(" —")

    def failure(item: Mapping[str, Any]) -> str:
        return _link_item(item, lang) + (f" ({e(item['reason'], 60)})" if item.get("reason") else "")

    blocks = ["\n\n".join(lines)]
    for title, key, total, line in (("Wijzigingen" if nl else "Changes", "changes", "changes_total", change),
                                    ("Werkt niet" if nl else "Broken", "broken", "broken_total", broken),
                                    ("Fouten" if nl else "Failures", "failures", "failed", failure)):
        section = _items(title, details.get(key), details.get(total), line)
        if section:
            blocks.append("\n".join(section))
    return card([text(block) for block in blocks])
