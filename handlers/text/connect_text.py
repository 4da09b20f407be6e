"""The words of a REST consent, in Dutch and English: the "Connect with Nmbrs" button, the result page
and the chat answer (the same words: the chat's is rebuilt from the alert's plain details).

Plain text: the page's templates escape it (Jinja2 autoescaping), the chat renderers their own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.connect import (
    Consented,
    ConsentFailed,
    ConsentOutcome,
    ConsentRefused,
    Denied,
    NmbrsError,
    StateInvalid,
    TicketGone,
)
from handlers.model import LinkCard, Rejected
from handlers.text.customer_alerts import rejected_from, unreachable_from
from handlers.text.explain import CONSENT_BUTTON
from handlers.text.locale import language
from handlers.text.replies import NAMES_UP_TO, Reply, is_nl

_PAGE = {
    "nl": {"title": "Nmbrs koppelen", "close": "Je kunt dit tabblad sluiten.", "switch": "English",
           "offer_head": "Heb je een Nmbrs-login met toegang tot de REST API?",
           "offer_body": "Geef dan op de pagina van Nmbrs zelf toestemming; je hoeft geen token te kopiëren."},
    "en": {"title": "Connect Nmbrs", "close": "You can close this tab.", "switch": "Nederlands",
           "offer_head": "Do you have an Nmbrs login with access to the REST API?",
           "offer_body": "Then consent on Nmbrs' own page; there is no token to copy."},
}


_HINT = {
    "nl": "Of geef met “Koppelen met Nmbrs” toestemming op de pagina van Nmbrs zelf; dan is er geen token nodig.",
    "en": "Or press “Connect with Nmbrs” to give permission on Nmbrs' own page; no token needed.",
}


def consent_hint(lang: str) -> str:
    """The line next to the buttons when both ways to connect are offered."""
    return _HINT[language(lang)]


def consent_button(lang: str) -> str:
    """The label of the URL button that opens Nmbrs' consent page."""
    return CONSENT_BUTTON[language(lang)]


def consent_page_words(lang: str) -> dict[str, str]:
    return dict(_PAGE[language(lang)])


def _scope_facts(card: LinkCard, lang: str) -> tuple[str, ...]:
    nl = is_nl(lang)
    facts = [f"{'Debiteur' if nl else 'Debtor'}: {card.debtor_name or '?'}"]
    names = ", ".join(card.company_names[:NAMES_UP_TO])
    more = card.company_count - min(len(card.company_names), NAMES_UP_TO)
    if names and more > 0:
        names += f" (+{more})"
    facts.append(f"{'Bedrijven' if nl else 'Companies'}: {card.company_count}" + (f" — {names}" if names else ""))
    facts.append(f"{'Toestemming van' if nl else 'Consent given by'}: {card.username}")
    return tuple(facts)


def consent_reply(outcome: ConsentOutcome | TicketGone, lang: str, *, page: bool = True) -> Reply:
    """What the person is told: on the result page (`page`), or in their chat."""
    nl = is_nl(lang)
    again = ("Begin opnieuw met de knop “Koppelen met Nmbrs”." if nl
             else "Start again with the “Connect with Nmbrs” button.")
    if isinstance(outcome, Consented):
        card = outcome.card
        return Reply(
            tone="ok",
            headline=("Gekoppeld: je Nmbrs-koppeling werkt" if nl else "Connected: your Nmbrs link works"),
            detail=(f"We kunnen nu bij {card.debtor_name or 'je debiteur'} en de bedrijven hieronder." if nl
                    else f"We can now reach {card.debtor_name or 'your debtor'} and the companies below."),
            facts=_scope_facts(card, lang),
            action=_PAGE[language(lang)]["close"] if page else ("Je hoeft niets meer te doen." if nl
                                                                 else "Nothing else to do."),
        )
    if isinstance(outcome, Denied):
        return Reply(
            tone="info", headline="Niets gekoppeld" if nl else "Nothing connected",
            detail=("Je hebt op de pagina van Nmbrs geannuleerd, dus we hebben geen toegang gekregen." if nl
                    else "You cancelled on Nmbrs' page, so we were given no access."),
            action=("Toch koppelen? Druk nog eens op “Koppelen met Nmbrs”." if nl
                    else "Changed your mind? Press “Connect with Nmbrs” again."),
            offer_connect=True)
    if isinstance(outcome, ConsentRefused):
        back = ("Wat Nmbrs ons gaf hebben we teruggegeven; er is niets bewaard." if nl
                else "What Nmbrs gave us has been handed back; nothing was stored.")
        if outcome.reason == "scopes_missing":
            return Reply(
                tone="problem",
                headline="Niet alle toestemmingen gegeven" if nl else "Not every permission was granted",
                detail=(f"Ontbreekt: {', '.join(outcome.missing)}. " if nl
                        else f"Missing: {', '.join(outcome.missing)}. ") + back,
                action=("Koppel opnieuw en sta alle gevraagde toestemmingen toe." if nl
                        else "Connect again and allow every permission asked for."),
                offer_connect=True)
        return Reply(
            tone="problem", headline="Nmbrs gaf geen blijvende toegang" if nl else "Nmbrs gave no lasting access",
            detail=("Nmbrs antwoordde zonder vernieuwingstoken, waardoor de koppeling binnen een uur zou stoppen. "
                    if nl else "Nmbrs answered without a refresh token, so the link would stop within the hour. ")
            + back,
            action=("Probeer het opnieuw; gebeurt het weer, laat het je contactpersoon weten." if nl
                    else "Try again; if it happens again, tell your contact."),
            offer_connect=True)
    if isinstance(outcome, ConsentFailed):
        if isinstance(outcome.result, Rejected):
            return Reply(
                tone="problem", headline="Nmbrs accepteerde de toestemming niet" if nl else "Nmbrs did not accept the consent",
                detail=("De toestemming duurde te lang of was al gebruikt. Er is niets bewaard." if nl
                        else "The consent took too long or was used already. Nothing was stored."),
                action=again, offer_connect=True)
        return Reply(
            tone="wait", headline="Nmbrs was niet bereikbaar" if nl else "Nmbrs could not be reached",
            detail=("Je toestemming kon niet worden afgerond; er is niets bewaard." if nl
                    else "Your consent could not be completed; nothing was stored."),
            action=("Probeer het over een paar minuten opnieuw." if nl else "Please try again in a few minutes."),
            offer_connect=True)
    if isinstance(outcome, NmbrsError):
        return Reply(
            tone="problem", headline="Nmbrs kon de toestemming niet afronden" if nl else "Nmbrs could not complete the consent",
            detail=(f"Nmbrs meldde: {outcome.error}. Er is niets bewaard." if nl
                    else f"Nmbrs reported: {outcome.error}. Nothing was stored."),
            action=("Probeer het later opnieuw; blijft het gebeuren, laat het je contactpersoon weten." if nl
                    else "Try again later; if it keeps happening, tell your contact."))
    if isinstance(outcome, TicketGone):
        return Reply(
            tone="problem", headline="Deze knop is verlopen" if nl else "This button has expired",
            detail=("Een knop “Koppelen met Nmbrs” werkt 24 uur, en een uitnodiging maar één keer." if nl
                    else "A “Connect with Nmbrs” button works for 24 hours, and an invitation only once."),
            action=("Vraag in de chat een nieuwe (/nmbrs connect), of vraag je contactpersoon om een nieuwe link." if nl
                    else "Ask for a new one in the chat (/nmbrs connect), or ask your contact for a new link."))
    assert isinstance(outcome, StateInvalid)
    return Reply(
        tone="problem", headline="Deze koppelpagina is niet meer geldig" if nl else "This consent page is no longer valid",
        detail=("Hij is al gebruikt, ouder dan 10 minuten, of in een andere browser geopend. Er is niets bewaard." if nl
                else "It was used already, is older than 10 minutes, or was opened in another browser. "
                     "Nothing was stored."),
        action=again)


def consent_from(details: Mapping[str, Any], card: LinkCard | None, lang: str) -> ConsentOutcome:
    """A consent's outcome rebuilt from its chat alert's details (handlers.connect._chat_alert)."""
    kind = details.get("outcome")
    if kind == "connected" and card is not None:
        return Consented(card=card, lang=lang, created=True, replaced=False)
    if kind == "denied":
        return Denied(lang)
    if kind == "refused":
        reason = "scopes_missing" if details.get("reason") == "scopes_missing" else "no_refresh_token"
        return ConsentRefused(reason, tuple(str(s) for s in details.get("missing") or ()), lang)
    if kind == "failed":
        result = rejected_from(details) if details.get("category") else unreachable_from(details)
        return ConsentFailed(result, lang)
    return StateInvalid()


def chat_consent(details: Mapping[str, Any], card: LinkCard | None, lang: str) -> Reply:
    """The chat answer to a consent: the page's words, with the chat's last line."""
    return consent_reply(consent_from(details, card, lang), lang, page=False)
