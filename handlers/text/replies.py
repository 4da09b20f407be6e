"""What customers are told about their credentials, in plain Dutch or English, platform-neutral.

Every function returns a Reply of plain text (no markup: the chat adapter escapes and renders it).
Outcomes of a check are worded by handlers.text.explain; this module adds what the chat side knows
(limits, half-sent credentials, pasted secrets) and the facts of a link. Tokens appear only as
their last four characters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from handlers.intake import BadInput, Connected, IntakeOutcome, Limited, Pending, Refused, SoapClosed
from handlers.model import InvalidInput, LinkCard, Unreachable
from handlers.text.explain import explain, explain_input
from handlers.text.locale import language

#: Scope names are listed when there are this many or fewer; above it, only counted.
NAMES_UP_TO = 5

Tone = Literal["ok", "problem", "wait", "info"]


@dataclass(frozen=True)
class Reply:
    """One message to a customer: a headline, the why, what to do, and a few facts."""

    tone: Tone
    headline: str
    detail: str = ""
    action: str = ""
    facts: tuple[str, ...] = ()
    offer_connect: bool = False
    """Show the button that opens the credentials form."""
    notes: tuple[str, ...] = field(default=())
    """Small print under the message (e.g. how to delete a pasted token)."""

    def text(self) -> str:
        """The whole reply as plain text (notification fallback, logs of what was said)."""
        parts = [self.headline, self.detail, *self.facts, self.action, *self.notes]
        return "\n".join(part for part in parts if part)


def lang_of(lang: str | None, default: str) -> str:
    return language(lang) if lang else language(default)


def is_nl(lang: str) -> bool:
    return language(lang) == "nl"


# --- fixed labels ---------------------------------------------------------------------------------

_LABELS = {
    "nl": {
        "connect": "Nmbrs koppelen",
        "connect_token": "Koppelen met API-token",
        "modal_title": "Nmbrs koppelen",
        "submit": "Controleren",
        "close": "Sluiten",
        "cancel": "Annuleren",
        "username": "E-mailadres (Nmbrs-login)",
        "username_hint": "naam@bedrijf.nl",
        "token": "API-token",
        "token_hint": "Plak hier het API-token",
        "token_help": "In Nmbrs: gebruikersprofiel → API Token. Alleen de laatste vier tekens worden ooit getoond.",
        "home_title": "Je Nmbrs-koppelingen",
        "home_none": "Je hebt nog geen Nmbrs-koppeling. Koppel er een met de knop hieronder.",
        "home_more": "en nog {n} koppelingen",
        "environment": "Omgeving",
        "token_ending": "Token eindigt op",
        "last_check": "Laatste controle",
        "never": "nog niet",
        "unknown": "nog onbekend",
        "debtor": "Debiteur",
        "debtors": "Debiteuren",
        "companies": "Bedrijven",
    },
    "en": {
        "connect": "Connect Nmbrs",
        "connect_token": "Connect with API token",
        "modal_title": "Connect Nmbrs",
        "submit": "Check",
        "close": "Close",
        "cancel": "Cancel",
        "username": "E-mail address (Nmbrs login)",
        "username_hint": "name@company.com",
        "token": "API token",
        "token_hint": "Paste the API token here",
        "token_help": "In Nmbrs: User profile → API Token. Only its last four characters are ever shown.",
        "home_title": "Your Nmbrs links",
        "home_none": "You have no Nmbrs link yet. Connect one with the button below.",
        "home_more": "and {n} more links",
        "environment": "Environment",
        "token_ending": "Token ends in",
        "last_check": "Last check",
        "never": "not yet",
        "unknown": "not known yet",
        "debtor": "Debtor",
        "debtors": "Debtors",
        "companies": "Companies",
    },
}

_STATES = {
    "nl": {"pending": "wacht op controle", "active": "werkt", "rejected": "geweigerd", "broken": "werkt niet meer",
           "unverified": "kon niet gecontroleerd worden", "revoked": "ingetrokken"},
    "en": {"pending": "waiting for a check", "active": "works", "rejected": "rejected", "broken": "stopped working",
           "unverified": "could not be checked", "revoked": "revoked"},
}


def label(key: str, lang: str) -> str:
    return _LABELS[language(lang)][key]


def connect_label(lang: str, *, beside_consent: bool) -> str:
    """The credentials form's button; beside "Connect with Nmbrs" it says it is the token way."""
    return label("connect_token" if beside_consent else "connect", lang)


def state_label(state: str, lang: str) -> str:
    return _STATES[language(lang)].get(state, state)


# --- intake outcomes -------------------------------------------------------------------------------


def outcome_reply(outcome: IntakeOutcome, lang: str) -> Reply:
    """What a customer reads after sending credentials (modal or DM)."""
    if isinstance(outcome, Connected):
        return _connected(outcome, lang)
    if isinstance(outcome, Refused):
        return _refused(outcome, lang)
    if isinstance(outcome, Pending):
        return _pending(outcome.result, outcome.card, lang)
    if isinstance(outcome, BadInput):
        return bad_input(outcome.reason, lang)
    if isinstance(outcome, Limited):
        return limited(outcome.retry_after, lang)
    if isinstance(outcome, SoapClosed):
        return soap_closed(outcome.since, lang)
    raise TypeError(f"not an intake outcome: {type(outcome).__name__}")


_CLOSED = {
    "nl": ("Koppelen met e-mailadres en API-token kan niet meer",
           "Sinds {day} nemen we deze manier van koppelen niet meer aan. We hebben niets naar Nmbrs gestuurd en niets "
           "bewaard."),
    "en": ("Connecting with an e-mail address and API token is no longer possible",
           "Since {day} this kind of connection is no longer taken. Nothing was sent to Nmbrs and nothing was stored."),
}


def soap_closed(since: date, lang: str) -> Reply:
    """E-mail + token sent once the desk is REST only (handlers.offer): nothing sent, nothing stored.
    The renderers add the consent button and its one line (handlers.text.offer_text.rest_only_hint)."""
    headline, detail = _CLOSED[language(lang)]
    return Reply(tone="problem", headline=headline, detail=detail.format(day=since.isoformat()), offer_connect=True)


def _names(names: tuple[str, ...], count: int) -> str:
    return ", ".join(names) if 0 < count <= NAMES_UP_TO and len(names) == count else ""


def link_facts(card: LinkCard, lang: str, *, scope: bool = True) -> tuple[str, ...]:
    """Environment, token ending and (optionally) what the link reaches, one fact per line; a REST
    link has no environment name: its debtor and companies instead."""
    if card.is_rest:
        facts = [f"{label('debtor', lang)}: {card.debtor_name or label('unknown', lang)}"]
        listed = _names(card.company_names, card.company_count)
        if scope:
            facts.append(f"{label('companies', lang)}: {card.company_count}" + (f" ({listed})" if listed else ""))
        return tuple(facts)
    facts = [f"{label('environment', lang)}: {card.environment or label('unknown', lang)}"]
    if card.token_last4:
        facts.append(f"{label('token_ending', lang)}: …{card.token_last4}")
    if scope and card.environment:
        for key, count, names in (("debtors", card.debtor_count, card.debtor_names),
                                  ("companies", card.company_count, card.company_names)):
            listed = _names(names, count)
            facts.append(f"{label(key, lang)}: {count}" + (f" ({listed})" if listed else ""))
    return tuple(facts)


def _connected(outcome: Connected, lang: str) -> Reply:
    said = explain(outcome.result, lang)
    nl = is_nl(lang)
    notes = []
    if outcome.restored:
        notes.append("Je koppeling werkte niet meer en werkt nu weer." if nl else "Your link had stopped working and works again now.")
    elif outcome.replaced:
        notes.append(
            "Dit token vervangt het vorige token van deze login; de oude koppeling loopt gewoon door."
            if nl else "This token replaces the previous one for this login; the link carries on as before."
        )
    return Reply(
        tone="problem" if outcome.result.reaches_nothing else "ok",
        headline=said.headline, detail=said.detail, action=said.action,
        facts=link_facts(outcome.card, lang), notes=tuple(notes),
    )


def _refused(outcome: Refused, lang: str) -> Reply:
    said = explain(outcome.result, lang)
    nl = is_nl(lang)
    if outcome.attempts_left == 0:
        left = ("Dit was je laatste poging voor dit uur." if nl else "That was your last attempt for this hour.")
    elif outcome.attempts_left == 1:
        left = "Je kunt het dit uur nog 1 keer proberen." if nl else "You can try 1 more time this hour."
    else:
        left = (f"Je kunt het dit uur nog {outcome.attempts_left} keer proberen." if nl
                else f"You can try {outcome.attempts_left} more times this hour.")
    # An unexpected Nmbrs fault used no attempt (issue 12 finding 5): no count to report.
    return Reply(tone="problem", headline=said.headline, detail=said.detail, action=said.action,
                 notes=() if outcome.result.unexpected else (left,), offer_connect=True)


def _pending(result: Unreachable, card: LinkCard, lang: str) -> Reply:
    said = explain(result, lang)
    nl = is_nl(lang)
    later = (
        "Zodra Nmbrs antwoordt, sturen we je een bericht met de uitkomst."
        if nl else "As soon as Nmbrs answers, we will send you a message with the outcome."
    )
    facts = (f"{label('token_ending', lang)}: …{card.token_last4}",) if card.token_last4 else ()
    return Reply(tone="wait", headline=said.headline, detail=said.detail, action=f"{said.action} {later}",
                 facts=facts)


def bad_input(reason: str, lang: str) -> Reply:
    said = explain_input(InvalidInput(reason, reason), lang)  # type: ignore[arg-type]
    return Reply(tone="problem", headline=said.headline, detail=said.detail, action=said.action, offer_connect=True)


def field_error(reason: str, lang: str) -> str:
    """A short inline error for one field of the credentials form."""
    said = explain_input(InvalidInput(reason, reason), lang)  # type: ignore[arg-type]
    return f"{said.headline}. {said.action}"


def limited(retry_after: timedelta, lang: str) -> Reply:
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    if is_nl(lang):
        return Reply(
            tone="problem",
            headline="Te veel pogingen die Nmbrs weigerde",
            detail="Om het raden van tokens tegen te gaan, controleren we voor jou even niets meer.",
            action=f"Probeer het over {minutes} {'minuut' if minutes == 1 else 'minuten'} opnieuw, "
                   "met het e-mailadres en het token opnieuw gekopieerd uit Nmbrs.",
        )
    return Reply(
        tone="problem",
        headline="Too many attempts that Nmbrs rejected",
        detail="To stop anyone from guessing tokens, we check nothing more for you for a while.",
        action=f"Please try again in {minutes} {'minute' if minutes == 1 else 'minutes'}, "
               "with the e-mail address and token copied again from Nmbrs.",
    )


def checking(lang: str) -> Reply:
    if is_nl(lang):
        return Reply(tone="wait", headline="We controleren je gegevens bij Nmbrs…",
                     detail="Dit duurt meestal een paar seconden. Je kunt dit venster open laten.")
    return Reply(tone="wait", headline="Checking your details with Nmbrs…",
                 detail="This usually takes a few seconds. You can leave this window open.")
