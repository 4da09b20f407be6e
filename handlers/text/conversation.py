"""What the bot says around the credentials themselves, in Dutch and English: the welcome, the form's
introduction, asking for the missing half, the token shown in a channel, the form gone, and the
apology when something broke on our side."""

from __future__ import annotations

import math
from datetime import timedelta

from handlers.text.replies import Reply, is_nl


def welcome(lang: str) -> Reply:
    """A message without credentials: what we need, where to find it, and the safe way to send it."""
    if is_nl(lang):
        return Reply(
            tone="info",
            headline="Koppel je Nmbrs-omgeving",
            detail=(
                "We hebben twee dingen nodig: het e-mailadres waarmee je inlogt bij Nmbrs en je API-token. "
                "Het token vind je in Nmbrs onder gebruikersprofiel → API Token. "
                "Gebruik bij voorkeur de login van je accountantskantoor: die ziet alle debiteuren. "
                "Log je in als klant (debiteur)? Dan krijg je het token van je accountant."
            ),
            action="Klik op de knop om ze veilig in te vullen; dan komt het token niet in dit gesprek te staan.",
            offer_connect=True,
        )
    return Reply(
        tone="info",
        headline="Connect your Nmbrs environment",
        detail=(
            "We need two things: the e-mail address you log in to Nmbrs with, and your API token. "
            "You find the token in Nmbrs under User profile → API Token. "
            "Preferably use your accounting firm's login: it sees all debtors. "
            "Do you log in as a client (debtor)? Then your accountant gives you the token."
        ),
        action="Click the button to fill them in safely; the token then never shows up in this conversation.",
        offer_connect=True,
    )


def form_intro(lang: str) -> Reply:
    """The top of the credentials form: where the token is and which login to use."""
    if is_nl(lang):
        return Reply(
            tone="info",
            headline="Je Nmbrs-gegevens",
            detail=(
                "Het API-token vind je in Nmbrs onder gebruikersprofiel → API Token. Gebruik bij voorkeur "
                "de login van je accountantskantoor; log je in als klant (debiteur), dan krijg je het token "
                "van je accountant. We controleren de gegevens meteen en bewaren het token versleuteld."
            ),
        )
    return Reply(
        tone="info",
        headline="Your Nmbrs details",
        detail=(
            "You find the API token in Nmbrs under User profile → API Token. Preferably use your accounting "
            "firm's login; if you log in as a client (debtor), your accountant gives you the token. We check "
            "the details at once and keep the token encrypted."
        ),
    )


def internal_error(lang: str) -> Reply:
    """Something failed on our side before there was an outcome; nothing was stored."""
    if is_nl(lang):
        return Reply(tone="problem", headline="Er ging iets mis aan onze kant",
                     detail="Je gegevens zijn niet opgeslagen. Probeer het over een paar minuten opnieuw.",
                     offer_connect=True)
    return Reply(tone="problem", headline="Something went wrong on our side",
                 detail="Your details were not stored. Please try again in a few minutes.", offer_connect=True)


def _minutes(expires_in: timedelta) -> int:
    return max(1, math.ceil(expires_in.total_seconds() / 60))


def ask_token(username: str, expires_in: timedelta, lang: str) -> Reply:
    minutes = _minutes(expires_in)
    if is_nl(lang):
        return Reply(
            tone="info",
            headline="Nu nog je API-token",
            detail=f"We hebben je e-mailadres ({username}). Het token vind je in Nmbrs onder gebruikersprofiel → API Token.",
            action=f"Stuur het token binnen {minutes} minuten, of vul beide veilig in met de knop.",
            offer_connect=True,
        )
    return Reply(
        tone="info",
        headline="Now just your API token",
        detail=f"We have your e-mail address ({username}). You find the token in Nmbrs under User profile → API Token.",
        action=f"Send the token within {minutes} minutes, or fill in both safely with the button.",
        offer_connect=True,
    )


def ask_username(token_last4: str | None, expires_in: timedelta, lang: str) -> Reply:
    minutes = _minutes(expires_in)
    ending = f" (…{token_last4})" if token_last4 else ""
    if is_nl(lang):
        return Reply(
            tone="info",
            headline="Nu nog het e-mailadres",
            detail=f"We hebben je token{ending} en bewaren het versleuteld. Met welk e-mailadres log je in bij Nmbrs?",
            action=f"Stuur het e-mailadres binnen {minutes} minuten; daarna vergeten we het token.",
            offer_connect=True,
        )
    return Reply(
        tone="info",
        headline="Now just the e-mail address",
        detail=f"We have your token{ending} and keep it encrypted. Which e-mail address do you log in to Nmbrs with?",
        action=f"Send the e-mail address within {minutes} minutes; after that we forget the token.",
        offer_connect=True,
    )


def delete_hint(lang: str) -> str:
    """After a token was pasted in a message: we cannot delete it, the customer can."""
    if is_nl(lang):
        return (
            "Let op: je bericht met het token staat nog in dit gesprek. Wij kunnen het niet verwijderen; "
            "jij wel: ga met de muis over je bericht → ⋯ (meer acties) → Bericht verwijderen."
        )
    return (
        "Note: your message with the token is still in this conversation. We cannot delete it, but you can: "
        "hover over your message → ⋯ (more actions) → Delete message."
    )


def channel_exposed(lang: str) -> Reply:
    """Credentials posted in a channel: not used, and the token must be reset."""
    if is_nl(lang):
        return Reply(
            tone="problem",
            headline="Dit token is nu zichtbaar voor iedereen in dit kanaal",
            detail="Daarom gebruiken we het niet en bewaren we niets.",
            action=(
                "Stel in Nmbrs een nieuw token in (gebruikersprofiel → API Token), verwijder je bericht "
                "(⋯ → Bericht verwijderen) en vul het nieuwe token veilig in met de knop."
            ),
            offer_connect=True,
        )
    return Reply(
        tone="problem",
        headline="This token is now visible to everyone in this channel",
        detail="So we do not use it, and we stored nothing.",
        action=(
            "Reset the token in Nmbrs (User profile → API Token), delete your message (⋯ → Delete message) "
            "and fill in the new token safely with the button."
        ),
        offer_connect=True,
    )


def channel_hint(lang: str) -> Reply:
    """A mention without credentials: the safe way to connect, never in a channel."""
    if is_nl(lang):
        return Reply(
            tone="info",
            headline="Nmbrs koppelen doe je niet in een kanaal",
            detail="Vul je e-mailadres en API-token veilig in via de knop, of stuur ze me in een privébericht.",
            offer_connect=True,
        )
    return Reply(
        tone="info",
        headline="Connecting Nmbrs is not done in a channel",
        detail="Fill in your e-mail address and API token safely with the button, or send them to me in a direct message.",
        offer_connect=True,
    )


def modal_gone(lang: str) -> Reply:
    """Said in a DM when the form was closed before its outcome could be shown there."""
    if is_nl(lang):
        return Reply(tone="info", headline="De uitkomst van je controle", detail="Het venster was al gesloten, dus hier is hij.")
    return Reply(tone="info", headline="The outcome of your check", detail="The window was already closed, so here it is.")
