"""The words of the desk's way to connect (handlers.offer), in Dutch and English: the one line next to
the "Connect with Nmbrs" button once the desk is REST only, the answer to credentials that still come
in then, and the line in help, App Home and status output that says which mode the desk is in.

Plain text: the chat renderers escape it their own way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.offer import Offer
from handlers.text.locale import language
from handlers.text.replies import Reply, is_nl, soap_closed

__all__ = ["mode_line", "mode_summary", "rest_only_hint", "rest_welcome", "soap_closed", "soap_summary"]

#: What `/nmbrs connect` does on a REST-only desk (help's line), en/nl.
CONNECT_REST_ONLY = ("shows the “Connect with Nmbrs” button (Nmbrs' consent page)",
                     "toont de knop “Koppelen met Nmbrs” (de toestemmingspagina van Nmbrs)")

_ONLY_HINT = {
    "nl": "Nmbrs koppel je nu via de toestemmingspagina van Nmbrs zelf: druk op “Koppelen met Nmbrs”.",
    "en": "Nmbrs now connects through its own consent page: press “Connect with Nmbrs”.",
}


def rest_only_hint(lang: str) -> str:
    """The one line next to the only button offered (REST only)."""
    return _ONLY_HINT[language(lang)]


def rest_welcome(lang: str) -> Reply:
    """A chat message without credentials, REST only: the button (the renderer adds the one line
    `rest_only_hint` beside it)."""
    nl = is_nl(lang)
    return Reply(tone="info", headline="Koppel je Nmbrs-omgeving" if nl else "Connect your Nmbrs environment",
                 offer_connect=True)


def mode_line(offer: Offer, soap_until: date | None, lang: str) -> str:
    """Which ways to connect this desk offers (help, App Home); empty for SOAP only (REST not
    configured), which says what it always said."""
    nl = is_nl(lang)
    day = soap_until.isoformat() if soap_until else ""
    if offer is Offer.REST:
        return (f"Koppelen: alleen via de toestemmingspagina van Nmbrs (REST); e-mailadres + API-token niet meer "
                f"sinds {day}." if nl else
                f"Connecting: only through Nmbrs' consent page (REST); e-mail + API token no longer since {day}.")
    if offer is Offer.BOTH:
        until = (f" tot {day}" if nl else f" until {day}") if day else ""
        return (f"Koppelen: via de toestemmingspagina van Nmbrs (REST) of met e-mailadres + API-token (SOAP{until})."
                if nl else
                f"Connecting: through Nmbrs' consent page (REST) or with e-mail + API token (SOAP{until}).")
    return ""


def mode_summary(offer: Offer, soap_until: date | None) -> str:
    """The same for operators (/healthz, `tokendesk` status output): one plain English line."""
    names = {Offer.SOAP: "SOAP only", Offer.REST: "REST only", Offer.BOTH: "SOAP and REST"}
    return names[offer] + (f" (SOAP stop date {soap_until.isoformat()})" if soap_until else "")


def soap_summary(run_id: int | None, counts: Mapping[str, Any]) -> str:
    """The last run's SOAP verdict for operators (/healthz): one plain English line."""
    if run_id is None:
        return "no nightly run yet"
    verdict, checks, signs = counts.get("verdict"), counts.get("checks", "?"), counts.get("signs", "?")
    if verdict == "switched_off":
        return (f"looks switched off (run {run_id}: {signs} of {checks} SOAP checks answered as a retired API): either "
                "Nmbrs has switched the SOAP API off or TOKENDESK_NMBRS_URL is wrong (`tokendesk validate --soap-url` "
                "tells them apart)")
    if verdict == "answering":
        return f"answering (run {run_id})"
    return f"too few SOAP checks to tell (run {run_id})"
