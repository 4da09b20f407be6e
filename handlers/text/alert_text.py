"""The words of support-channel alerts in Dutch or English, the same on Slack and Teams: a link's first
post and the updates in its thread, a customer who is stuck, the nightly digest, SOAP switched off (and back).

Pure functions from neutral alerts (handlers.alerts) to lines of text; the adapter's Markup writes bold,
icons and people its own way and lays the lines out. Every outside value goes through markup.escape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handlers.model import Alert, AlertKind, LinkCard
from handlers.text import customer_alerts, migration_text
from handlers.text.explain import explain
from handlers.text.markup import Markup
from handlers.text.replies import label, link_facts, state_label

_SUPPORT: dict[str, dict[object, str]] = {
    "nl": {
        "sent_by": "Ingestuurd door", "no_env": "omgeving nog onbekend",
        AlertKind.ACTIVATED: "Geactiveerd", AlertKind.TOKEN_REPLACED: "Nieuw token ontvangen",
        AlertKind.BROKEN: "Werkt niet meer", AlertKind.RESTORED: "Werkt weer",
        AlertKind.SCOPE_CHANGED: "Bereik gewijzigd", AlertKind.UNVERIFIED: "Kon niet gecontroleerd worden",
        AlertKind.REVOKED: "Ingetrokken (token vernietigd)", AlertKind.LABELLED: "Label gewijzigd",
        AlertKind.INVITED: "Gekoppeld via uitnodiging", "invitation": "uitnodiging",
        "web_sender": "de klant, op de uitnodigingspagina", "email": "e-mail",
        "channel": "gedeeld kanaal", "from_invitation": "Connect-bericht van",
        "dm_refused": "Niet bij de klant bezorgd: {who} is van een andere organisatie (Slack Connect, {team}) en "
                      "Slack weigerde het directe bericht ({error}). Laat het de klant zelf weten:",
        "no_chat": "Geen chat bereikt deze klant (uitnodiging {id}): laat het de klant zelf weten",
        "by": "door", "code": "code", "previous": "was", "nights": "nachten", "via": "via", "customer_todo": "Wat de klant moet doen",
        "debtors_added": "debiteuren erbij", "debtors_removed": "debiteuren weg",
        "companies_added": "bedrijven erbij", "companies_removed": "bedrijven weg",
        "stuck": "{who} loopt vast: Nmbrs weigerde vandaag {n} pogingen", "login": "login",
        "digest": "Nachtelijke controle", "label_cleared": "label verwijderd",
        AlertKind.SOAP_SWITCHED_OFF: "SOAP lijkt uitgezet", AlertKind.SOAP_ANSWERING: "SOAP antwoordt weer",
        AlertKind.DEBTOR_MIGRATED: "Debiteur verhuisd naar REST", AlertKind.LINK_MIGRATED: "Helemaal verhuisd naar REST",
        AlertKind.MIGRATION_MATCH: "Welke SOAP-debiteur?", AlertKind.MIGRATION_REMINDER: "Migratieherinnering",
        AlertKind.MIGRATION_UNDELIVERED: "Migratie-uitnodiging niet bezorgd",
        AlertKind.REVOCATION_DONE: "Refresh-token alsnog ingetrokken bij Nmbrs",
        AlertKind.REVOCATION_GIVEN_UP: "Intrekken bij Nmbrs opgegeven",
        "revocation_tries": "{n} pogingen; in de wachtrij sinds {at} UTC",
        "revocation_expired": "Na 30 dagen is het refresh-token hier vernietigd; bij Nmbrs is het inmiddels verlopen.",
        "earlier_consent": "Het was het token van een eerdere toestemming voor deze debiteur; de koppeling zelf blijft werken.",
    },
    "en": {
        "sent_by": "Sent by", "no_env": "environment not known yet",
        AlertKind.ACTIVATED: "Activated", AlertKind.TOKEN_REPLACED: "New token received",
        AlertKind.BROKEN: "Stopped working", AlertKind.RESTORED: "Works again",
        AlertKind.SCOPE_CHANGED: "Scope changed", AlertKind.UNVERIFIED: "Could not be checked",
        AlertKind.REVOKED: "Revoked (token destroyed)", AlertKind.LABELLED: "Label changed",
        AlertKind.INVITED: "Connected through an invitation", "invitation": "invitation",
        "web_sender": "the customer, on the invitation page", "email": "e-mail",
        "channel": "shared channel", "from_invitation": "Connect message of",
        "dm_refused": "Not delivered to the customer: {who} is from another organisation (Slack Connect, {team}) "
                      "and Slack refused the direct message ({error}). Tell them yourself:",
        "no_chat": "No chat reaches this customer (invitation {id}): tell them yourself",
        "by": "by", "code": "code", "previous": "was", "nights": "nights", "via": "via", "customer_todo": "What the customer must do",
        "debtors_added": "debtors added", "debtors_removed": "debtors removed",
        "companies_added": "companies added", "companies_removed": "companies removed",
        "stuck": "{who} is stuck: Nmbrs rejected {n} attempts today", "login": "login",
        "digest": "Nightly check", "label_cleared": "label removed",
        AlertKind.SOAP_SWITCHED_OFF: "SOAP looks switched off", AlertKind.SOAP_ANSWERING: "SOAP answers again",
        AlertKind.DEBTOR_MIGRATED: "Debtor moved to REST", AlertKind.LINK_MIGRATED: "Moved to REST completely",
        AlertKind.MIGRATION_MATCH: "Which SOAP debtor?", AlertKind.MIGRATION_REMINDER: "Migration reminder",
        AlertKind.MIGRATION_UNDELIVERED: "Migration invite not delivered",
        AlertKind.REVOCATION_DONE: "Refresh token revoked at Nmbrs after all",
        AlertKind.REVOCATION_GIVEN_UP: "Revocation at Nmbrs given up",
        "revocation_tries": "{n} attempts; queued since {at} UTC",
        "revocation_expired": "After 30 days the refresh token is destroyed here; at Nmbrs it has expired by now.",
        "earlier_consent": "It was the token of an earlier consent for this debtor; the link itself keeps working.",
    },
}
#: The icon of each alert in a link's thread, as an emoji shortcode name.
_MARKS = {
    AlertKind.ACTIVATED: "large_green_circle", AlertKind.TOKEN_REPLACED: "arrows_counterclockwise",
    AlertKind.BROKEN: "red_circle", AlertKind.RESTORED: "large_green_circle",
    AlertKind.SCOPE_CHANGED: "card_index_dividers", AlertKind.UNVERIFIED: "grey_question",
    AlertKind.REVOKED: "no_entry", AlertKind.LABELLED: "label", AlertKind.INVITED: "envelope",
    AlertKind.REVOCATION_DONE: "white_check_mark", AlertKind.REVOCATION_GIVEN_UP: "x",
}
_REVOCATION_KINDS = (AlertKind.REVOCATION_DONE, AlertKind.REVOCATION_GIVEN_UP)

#: The platform of links made on the invitation page: there is no chat user to mention.
WEB = "web"


def _sender(m: Markup, platform: str, who: object, lang: str) -> str:
    if platform == WEB:
        return f"{m.escape(support_label('web_sender', lang))} ({m.escape(who, 40)})"
    if platform == "cli":  # an operator at the command line (tokendesk invite)
        return m.escape(f"{platform} {who}", 80)
    return m.person(platform, str(who))


def support_label(key: object, lang: str) -> str:
    """A fixed word of the support messages: an alert's name (by its kind) or a label."""
    return _SUPPORT["nl" if lang == "nl" else "en"][key]


def _mark(m: Markup, kind: AlertKind) -> str:
    return m.icon(_MARKS[kind]) if kind in _MARKS else ""


def _link_title(m: Markup, card: LinkCard, lang: str) -> str:
    if card.is_rest:  # a REST link has a debtor where a SOAP link has an environment
        environment = "REST · " + (m.keyword(m.escape(card.debtor_name, 100)) if card.debtor_name else "?")
    else:
        environment = (m.keyword(m.escape(card.environment, 100)) if card.environment
                       else f"_{m.escape(support_label('no_env', lang))}_")
    title = f"{m.bold(card.short_id)} · {environment} · {m.escape(card.username, 254)}"
    if card.label:
        title += f" · _{m.escape(card.label, 200)}_"
    return title


def _scope_line(m: Markup, card: LinkCard, lang: str) -> str:
    named = (label("environment", lang), label("debtor", lang) + ":")  # the title names both already
    facts = [fact for fact in link_facts(card, lang) if not fact.startswith(named)]
    return " · ".join(m.escape(fact) for fact in facts)


def parent_lines(m: Markup, card: LinkCard, lang: str, *, by: object = None) -> list[str]:
    """The first post of a link's thread: what the link is, what it reaches, who sent it."""
    lines = [f"{m.icon('link')} {_link_title(m, card, lang)} — {m.escape(state_label(card.state, lang))}"]
    scope = _scope_line(m, card, lang)
    if scope:
        lines.append(scope)
    sender = by or card.user_id
    if sender:
        lines.append(f"{m.escape(support_label('sent_by', lang))} {_sender(m, card.platform, sender, lang)}")
    return lines


def _reason(m: Markup, details: Mapping[str, Any], lang: str) -> str:
    parts = []
    for key in ("category", "reason", "cause"):
        if details.get(key):
            parts.append(m.escape(details[key], m.reason_limit))
            break
    if details.get("code") is not None:
        parts.append(f"{support_label('code', lang)} {m.escape(details['code'], 10)}")
    return ", ".join(parts)


def update_lines(m: Markup, alert: Alert, lang: str) -> list[str]:
    """A post in a link's thread about one change; a broken link's says what the customer must do."""
    assert alert.link is not None
    card, details = alert.link, alert.details
    lines = [f"{_mark(m, alert.kind)} {m.bold(m.escape(support_label(alert.kind, lang)))} · {_link_title(m, card, lang)}".strip()]
    if alert.kind in (AlertKind.BROKEN, AlertKind.UNVERIFIED):
        failure = (customer_alerts.rejected_from(details) if alert.kind is AlertKind.BROKEN
                   else customer_alerts.unreachable_from(details))
        why = _reason(m, details, lang)
        said = explain(failure, lang)
        lines.append(m.escape(said.headline) + (f" ({why})" if why else ""))
        if alert.kind is AlertKind.BROKEN and said.action:
            # Support relays this to the customer, so it says what the customer must do.
            lines.append(f"{support_label('customer_todo', lang)}: {m.escape(said.action)}")
        if card.platform == WEB:
            lines.append(m.escape(support_label("no_chat", lang).format(id=card.user_id)))
    if details.get("nmbrs_said"):
        lines.append(f"Nmbrs: {m.escape(details['nmbrs_said'], m.reason_limit)}")
    if alert.kind is AlertKind.UNVERIFIED and details.get("nights"):
        lines.append(f"{m.escape(details['nights'], 10)} {support_label('nights', lang)}")
    if alert.kind in (AlertKind.ACTIVATED, AlertKind.RESTORED, AlertKind.TOKEN_REPLACED):
        scope = _scope_line(m, card, lang)
        if scope:
            lines.append(scope)
    if alert.kind is AlertKind.SCOPE_CHANGED:
        for key in ("debtors_added", "debtors_removed", "companies_added", "companies_removed"):
            names = list(details.get(key) or [])
            if names:
                lines.append(f"{m.escape(support_label(key, lang))}: {', '.join(m.escape(n, 80) for n in names[:20])}"
                             + (f" (+{len(names) - 20})" if len(names) > 20 else ""))
    if alert.kind is AlertKind.LABELLED:
        new = details.get("label")
        lines.append(f"“{m.escape(new, 200)}”" if new else f"_{m.escape(support_label('label_cleared', lang))}_")
        if details.get("previous"):
            lines.append(f"{support_label('previous', lang)}: “{m.escape(details['previous'], 200)}”")
    if alert.kind is AlertKind.INVITED and details.get("invitation"):
        lines.append(f"{support_label('invitation', lang)} {m.bold(m.escape(details.get('invitation'), 20))}"
                     f" · {m.escape(details.get('name'), 200)}")
        if details.get("email"):
            lines.append(f"{support_label('email', lang)}: {m.escape(details['email'], 254)}")
        if details.get("channel"):
            line = f"{support_label('channel', lang)}: {m.keyword(m.escape(details['channel'], 40))}"
            if details.get("from_invitation"):
                line += f" · {support_label('from_invitation', lang)} {m.bold(m.escape(details['from_invitation'], 20))}"
            lines.append(line)
    if alert.kind in _REVOCATION_KINDS:
        lines.extend(_revocation_lines(m, alert, lang))
    if details.get("previous_state") and alert.kind is not AlertKind.LABELLED:
        lines.append(f"{support_label('previous', lang)}: {m.escape(state_label(str(details['previous_state']), lang))}")
    if details.get("via"):
        lines.append(f"{support_label('via', lang)}: {m.escape(details['via'], 40)}")
    if details.get("by"):
        platform = str(details.get("by_platform") or card.platform)
        lines.append(f"{support_label('by', lang)} {_sender(m, platform, details['by'], lang)}")
    return lines


def dm_refused_line(m: Markup, card: LinkCard, error: str, lang: str) -> str:
    """Above a customer alert posted in the link's thread because Slack refused the customer's DM."""
    said = support_label("dm_refused", lang).format(who=m.person(card.platform, card.user_id),
                                                    team=m.escape(card.team_id, 40), error=m.escape(error, 60))
    return f"{m.icon('incoming_envelope')} {said}"


def _revocation_lines(m: Markup, alert: Alert, lang: str) -> list[str]:
    details = alert.details
    at = str(details.get("queued_at") or "?")[:16].replace("T", " ")
    lines = [m.escape(support_label("revocation_tries", lang).format(n=details.get("attempts", "?"), at=at), 200)]
    if alert.kind is AlertKind.REVOCATION_GIVEN_UP:
        lines.append(m.escape(support_label("revocation_expired", lang)))
    if details.get("earlier_consent"):
        lines.append(m.escape(support_label("earlier_consent", lang)))
    return lines


def note_line(m: Markup, alert: Alert, lang: str) -> str:
    """A link alert that arrived without its link: what it is and why, no more."""
    line = f"{_mark(m, alert.kind)} {m.bold(m.escape(support_label(alert.kind, lang)))}".strip()
    why = _reason(m, alert.details, lang)
    return line + (f" ({why})" if why else "")


def stuck_sentence(m: Markup, details: Mapping[str, Any], lang: str) -> str:
    """Who keeps getting rejected, and how often today (details from handlers.intake)."""
    person = m.person(str(details.get("platform") or "teams"), details.get("user_id"))
    return support_label("stuck", lang).format(who=person, n=m.escape(details.get("attempts", "?"), 10))


def stuck_lines(m: Markup, details: Mapping[str, Any], lang: str) -> list[str]:
    lines = [f"{m.icon('sos')} {stuck_sentence(m, details, lang)}"]
    why = _reason(m, details, lang)
    if why:
        lines.append(why)
    if details.get("username"):
        lines.append(f"{support_label('login', lang)}: {m.escape(details['username'], 254)}")
    return lines


def _link_item(m: Markup, item: Mapping[str, Any], lang: str) -> str:
    if item.get("kind") == "rest":
        environment = "REST"
    else:
        environment = (m.keyword(m.escape(item["environment"], 100)) if item.get("environment")
                       else f"_{m.escape(support_label('no_env', lang))}_")
    return f"{m.bold(m.escape(item.get('link') or '?', m.id_limit))} · {environment} · {m.escape(item.get('username') or '', 254)}"


def _counted(m: Markup, counts: Any, lang: str, *, states: bool = False) -> str:
    if not isinstance(counts, Mapping):
        return ""
    shown = [(state_label(str(k), lang) if states else str(k), v) for k, v in counts.items() if v]
    return ", ".join(f"{m.escape(name)} {m.escape(value, 10)}" for name, value in shown)


def _items(m: Markup, title: str, items: Any, total: Any, line: Callable[[Mapping[str, Any]], str]) -> list[str]:
    if not isinstance(items, list) or not items:
        return []
    count = total if isinstance(total, int) and total >= len(items) else len(items)
    lines = [f"{m.bold(m.escape(title))} ({count})"]
    lines.extend(f"{m.bullet}{line(item)}" for item in items if isinstance(item, Mapping))
    if count > len(items):
        lines.append(f"{m.bullet}… +{count - len(items)}")
    return lines


def digest_lines(m: Markup, details: Mapping[str, Any], lang: str) -> tuple[list[str], list[list[str]]]:
    """The nightly summary (details from handlers.recheck's digest): the totals, then a list a section
    (changes, broken links, failures; empty ones left out)."""
    nl = lang == "nl"
    head = f"{m.icon('crescent_moon')} {m.bold(m.escape(support_label('digest', lang)))}"
    if details.get("run_id") is not None:
        head += f" (run {m.escape(details['run_id'], m.id_limit)})"
    lines = [head]
    checked = details.get("checked")
    outcomes = _counted(m, details.get("outcomes"), lang)
    if checked is not None:
        one = str(checked) == "1"
        lines.append(f"{m.escape(checked, 10)} "
                     + (("koppeling" if one else "koppelingen") + " gecontroleerd" if nl
                        else ("link" if one else "links") + " checked")
                     + (f": {outcomes}" if outcomes else ""))
    states = _counted(m, details.get("counts"), lang, states=True)
    if states:
        lines.append(("Nu: " if nl else "Now: ") + states)
    if details.get("failed"):
        failed = m.escape(details["failed"], 10)
        lines.append(f"{failed} konden niet gecontroleerd worden door een fout bij ons" if nl
                     else f"{failed} could not be checked because of a fault on our side")
    if details.get("migration"):
        lines.append(migration_text.digest_line(m, details["migration"], nl))

    def change(item: Mapping[str, Any]) -> str:
        why = f" ({m.escape(item['reason'], m.reason_limit)})" if item.get("reason") else ""
        moved = state_label(str(item.get("transition") or item.get("state")), lang)
        return f"{_link_item(m, item, lang)} → {m.escape(moved)}{why}"

    def broken(item: Mapping[str, Any]) -> str:
        return f"{_link_item(m, item, lang)} — {_reason(m, item, lang)}".rstrip(" —")

    def failure(item: Mapping[str, Any]) -> str:
        return _link_item(m, item, lang) + (f" ({m.escape(item['reason'], m.reason_limit)})" if item.get("reason") else "")

    sections = [_items(m, "Wijzigingen" if nl else "Changes", details.get("changes"), details.get("changes_total"), change),
                _items(m, "Werkt niet" if nl else "Broken", details.get("broken"), details.get("broken_total"), broken),
                _items(m, "Fouten" if nl else "Failures", details.get("failures"), details.get("failed"), failure)]
    return lines, [section for section in sections if section]


#: The desk-wide SOAP alerts (handlers.recheck.switchoff), which stand on their own in the support channel.
SOAP_KINDS = frozenset({AlertKind.SOAP_SWITCHED_OFF, AlertKind.SOAP_ANSWERING})


def soap_lines(m: Markup, alert: Alert, lang: str) -> list[str]:
    """SOAP looks switched off (with the migration's numbers), or answers again: once each, for the whole desk."""
    nl, details = lang == "nl", alert.details
    off = alert.kind is AlertKind.SOAP_SWITCHED_OFF
    head = f"{m.icon('warning' if off else 'large_green_circle')} {m.bold(m.escape(support_label(alert.kind, lang)))}"
    if details.get("run_id") is not None:
        head += f" (run {m.escape(details['run_id'], m.id_limit)})"
    signs, checks = m.escape(details.get("signs", "?"), 10), m.escape(details.get("checks", "?"), 10)
    if not off:
        return [head, f"{checks} SOAP-controles in deze run; {signs} kregen nog een antwoord als van een uitgezette dienst."
                if nl else f"{checks} SOAP checks in this run; {signs} still got the answer of a switched-off service."]
    lines = [head, (
        f"{signs} van de {checks} SOAP-controles kregen een antwoord als van een uitgezette dienst "
        "(HTTP 404/410, verbinding geweigerd of een melding dat de dienst er niet meer is)."
        if nl else
        f"{signs} of {checks} SOAP checks got the answer of a switched-off service "
        "(HTTP 404/410, connection refused, or a fault saying the service is gone)."
    ), (
        "De koppelingen houden hun gegevens en status (reden soap_switched_off); niemand krijgt per koppeling een "
        "melding. Zolang het zo blijft, hoor je dit niet opnieuw; een verkeerd ingestelde Nmbrs-URL ziet er "
        "hetzelfde uit." if nl else
        "The links keep their credentials and state (reason soap_switched_off); nobody is alerted per link. "
        "While it lasts you will not hear this again; a wrong Nmbrs URL setting looks the same."
    )]
    lines.append(_migration_line(m, details.get("migration"), nl))
    return lines


def _migration_line(m: Markup, numbers: Any, nl: bool) -> str:
    if not isinstance(numbers, Mapping):
        return ("Migratie naar REST: geen cijfers (de migratietracker is niet ingesteld)." if nl
                else "Migration to REST: no numbers (the migration tracker is not set up).")
    move, covered = m.escape(numbers.get("debtors_to_move", "?"), 10), m.escape(numbers.get("debtors_covered", "?"), 10)
    links = m.escape(numbers.get("soap_links", "?"), 10)
    line = (f"Migratie naar REST: {move} debiteuren nog te verhuizen, {covered} gedekt door REST ({links} SOAP-koppelingen)"
            if nl else f"Migration to REST: {move} debtors still to move, {covered} covered by REST ({links} SOAP links)")
    days = numbers.get("days_left")
    if isinstance(days, int):
        line += (f", {m.escape(days, 10)} dagen tot de geplande einddatum" if nl
                 else f", {m.escape(days, 10)} days to the planned end date")
    return line + "."
