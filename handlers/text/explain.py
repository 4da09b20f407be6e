"""What a check's outcome means for the customer, in plain Dutch or English.

Pure functions; the readers are payroll administrators, not developers, so no SOAP, no codes
unless Nmbrs gave one we cannot explain. Text from Nmbrs is passed through as-is: escaping for
a chat platform is the renderer's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.model import (
    InvalidInput,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
    Valid,
    Validation,
)
from handlers.text.locale import language


@dataclass(frozen=True, slots=True)
class Explanation:
    """One outcome in words: what happened, why, and what (if anything) to do."""

    headline: str
    detail: str
    action: str


def explain(result: Validation, lang: str) -> Explanation:
    """Explain a Valid, Rejected or Unreachable in the given language."""
    nl = language(lang) == "nl"
    if isinstance(result, Valid):
        return _valid(result, nl)
    if isinstance(result, Rejected):
        return _rejected(result, nl)
    if isinstance(result, Unreachable):
        return _unreachable(result, nl)
    raise TypeError(f"not a Validation: {type(result).__name__}")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _valid(result: Valid, nl: bool) -> Explanation:
    if result.reaches_nothing:
        if nl:
            return Explanation(
                headline="Je login werkt, maar ziet nog geen bedrijven",
                detail=(
                    f"Nmbrs accepteert je e-mailadres en token (omgeving {result.environment}), "
                    "maar het filter van deze gebruiker is leeg. Daardoor kunnen we nog niets ophalen."
                ),
                action=(
                    "Vraag je Nmbrs-beheerder om de juiste bedrijven aan het filter van deze "
                    "gebruiker toe te voegen. Een nieuw token is niet nodig."
                ),
            )
        return Explanation(
            headline="Your login works, but it cannot see any companies yet",
            detail=(
                f"Nmbrs accepts your e-mail address and token (environment {result.environment}), "
                "but this user's filter is empty, so there is nothing we can fetch yet."
            ),
            action=(
                "Ask your Nmbrs administrator to add the right companies to this user's filter. "
                "You do not need a new token."
            ),
        )
    if nl:
        return Explanation(
            headline="Gelukt: je Nmbrs-koppeling werkt",
            detail=(
                f"We kunnen erbij in omgeving {result.environment}: "
                f"{_count(len(result.debtors), 'debiteur', 'debiteuren')} en "
                f"{_count(len(result.companies), 'bedrijf', 'bedrijven')}."
            ),
            action="Je hoeft niets meer te doen. We bewaren je token versleuteld en controleren het elke nacht.",
        )
    return Explanation(
        headline="Done: your Nmbrs link works",
        detail=(
            f"We can get in at the {result.environment} environment: "
            f"{_count(len(result.debtors), 'debtor', 'debtors')} and "
            f"{_count(len(result.companies), 'company', 'companies')}."
        ),
        action="Nothing else to do. We keep your token encrypted and check it every night.",
    )


def _rejected(result: Rejected, nl: bool) -> Explanation:
    category = result.category
    if category in _REST_WORDS:
        headline, detail, action = _REST_WORDS[category][0 if nl else 1]
        return Explanation(headline=headline, detail=detail, action=action)
    if category is RejectionCategory.CREDENTIALS:
        if nl:
            return Explanation(
                headline="Nmbrs herkent deze inloggegevens niet",
                detail=(
                    "Het e-mailadres en het API-token horen niet bij elkaar. Meestal is het token "
                    "opnieuw ingesteld (dan werkt het oude niet meer), is er bij het kopiëren iets "
                    "weggevallen, of bestaat de gebruiker niet meer."
                ),
                action=(
                    "Log in bij Nmbrs, open je gebruikersprofiel → API Token en kopieer het "
                    "e-mailadres en het token allebei opnieuw. Werk je met een klantlogin? "
                    "Dan krijg je het token van je accountant."
                ),
            )
        return Explanation(
            headline="Nmbrs does not recognise these login details",
            detail=(
                "The e-mail address and the API token do not belong together. Usually the token "
                "has been reset (the old one then stops working), something got lost while "
                "copying, or the user no longer exists."
            ),
            action=(
                "Log in to Nmbrs, open your User profile → API Token and copy both the e-mail "
                "address and the token again. Using a client login? Then your accountant gives "
                "you the token."
            ),
        )
    if category is RejectionCategory.RIGHTS:
        if result.code == 1002:
            if nl:
                return Explanation(
                    headline="Je login werkt, maar mag niet alles wat nodig is",
                    detail=(
                        "In de API-gebruikerstemplate van deze gebruiker staat een onderdeel uit "
                        "dat wij nodig hebben om je bedrijven op te halen."
                    ),
                    action=(
                        "Vraag je Nmbrs-beheerder om in de gebruikerstemplate (onderdeel API) de "
                        "rechten aan te zetten. Dat werkt meteen; probeer het daarna opnieuw."
                    ),
                )
            return Explanation(
                headline="Your login works, but it is not allowed to do everything we need",
                detail=(
                    "This user's API user template has switched off a part we need to read "
                    "your companies."
                ),
                action=(
                    "Ask your Nmbrs administrator to switch those rights on in the user template "
                    "(the API section). It takes effect at once; then try again."
                ),
            )
        if nl:
            return Explanation(
                headline="Je login werkt, maar heeft geen rechten op alle gegevens",
                detail=(
                    "Deze gebruiker mag niet bij (een deel van) de gegevens van een bedrijf of "
                    "debiteur. Dat komt door de tags of filters van de gebruiker."
                ),
                action=(
                    "Vraag je Nmbrs-beheerder de tags en filters van deze gebruiker na te lopen, "
                    "zodat de juiste bedrijven erin staan. Probeer het daarna opnieuw."
                ),
            )
        return Explanation(
            headline="Your login works, but it has no rights on all the data",
            detail=(
                "This user may not see (some of) the data of a company or debtor. That comes "
                "from the user's tags or filters."
            ),
            action=(
                "Ask your Nmbrs administrator to check this user's tags and filters so the "
                "right companies are in them. Then try again."
            ),
        )
    if category is RejectionCategory.SUBSCRIPTION:
        if nl:
            return Explanation(
                headline="Nmbrs heeft de toegang voor deze omgeving uitgezet",
                detail="Volgens Nmbrs is er geen geldig abonnement (meer), dus de koppeling kan er niet bij.",
                action="Neem contact op met Nmbrs over je abonnement. Is dat weer in orde, probeer het dan opnieuw.",
            )
        return Explanation(
            headline="Nmbrs has switched off access for this environment",
            detail="According to Nmbrs there is no valid subscription (any more), so the link cannot get in.",
            action="Please contact Nmbrs about your subscription. Once that is sorted, try again.",
        )
    said = f"{result.code}: {result.message}" if result.code is not None else result.message
    if nl:
        return Explanation(
            headline="Nmbrs kon je gegevens niet bevestigen",
            detail=f"Nmbrs gaf een onverwachte melding: {said}.",
            action="Neem contact op met onze support en noem deze melding; dan zoeken we het samen uit.",
        )
    return Explanation(
        headline="Nmbrs could not confirm your details",
        detail=f"Nmbrs answered with an unexpected message: {said}.",
        action="Please contact our support and mention this message; we will sort it out together.",
    )


_WHAT_HAPPENED_NL = {
    UnreachableCause.TIMEOUT: "Nmbrs gaf niet op tijd antwoord.",
    UnreachableCause.CONNECTION: "We kregen geen verbinding met Nmbrs.",
    UnreachableCause.HTTP_ERROR: "Nmbrs gaf een storingsmelding.",
    UnreachableCause.HTML: "Nmbrs liet een onderhouds- of foutpagina zien in plaats van een antwoord.",
    UnreachableCause.MALFORMED: "We kregen een onleesbaar antwoord van Nmbrs.",
    UnreachableCause.NMBRS_ERROR: "Nmbrs meldde een tijdelijke fout aan hun kant.",
    UnreachableCause.SERVICE_GONE: "Nmbrs antwoordde alsof de oudere koppeling waarmee je token werkt niet meer bestaat.",
}
_WHAT_HAPPENED_EN = {
    UnreachableCause.TIMEOUT: "Nmbrs did not answer in time.",
    UnreachableCause.CONNECTION: "We could not connect to Nmbrs.",
    UnreachableCause.HTTP_ERROR: "Nmbrs reported a fault on their side.",
    UnreachableCause.HTML: "Nmbrs showed a maintenance or error page instead of an answer.",
    UnreachableCause.MALFORMED: "Nmbrs sent an answer we could not read.",
    UnreachableCause.NMBRS_ERROR: "Nmbrs reported a temporary error on their side.",
    UnreachableCause.SERVICE_GONE: "Nmbrs answered as if the older connection your token works with no longer exists.",
}


def _unreachable(result: Unreachable, nl: bool) -> Explanation:
    if result.cause is UnreachableCause.MISCONFIGURED:
        if nl:
            return Explanation(
                headline="Er ging iets mis aan onze kant",
                detail=(
                    "Het ligt niet aan je token: onze verbinding met Nmbrs is niet goed ingesteld. "
                    "Voor zover we weten is er niets mis met je token."
                ),
                action=(
                    "Je hoeft niets te doen. We bewaren je token versleuteld en proberen het "
                    "opnieuw zodra wij dit hebben opgelost."
                ),
            )
        return Explanation(
            headline="Something went wrong on our side",
            detail=(
                "It is not your token: our connection to Nmbrs is not set up correctly. As far "
                "as we know, nothing is wrong with your token."
            ),
            action=(
                "Nothing to do for you. We keep your token encrypted and try again once we "
                "have fixed this."
            ),
        )
    if nl:
        return Explanation(
            headline="We konden Nmbrs nu even niet bereiken",
            detail=f"{_WHAT_HAPPENED_NL[result.cause]} Er is niets bekend dat mis is met je token.",
            action="Je hoeft niets te doen: we bewaren je token versleuteld en proberen het zelf opnieuw.",
        )
    return Explanation(
        headline="We could not reach Nmbrs just now",
        detail=f"{_WHAT_HAPPENED_EN[result.cause]} Nothing is known to be wrong with your token.",
        action="Nothing to do for you: we keep your token encrypted and try again by ourselves.",
    )


_INPUT_NL = {
    "empty_username": (
        "Het e-mailadres ontbreekt",
        "We hebben het e-mailadres nodig waarmee je inlogt bij Nmbrs.",
        "Vul het e-mailadres in en stuur het token opnieuw mee.",
    ),
    "bad_username": (
        "Dit lijkt geen e-mailadres",
        "De gebruikersnaam is het e-mailadres waarmee je inlogt bij Nmbrs.",
        "Vul dat e-mailadres in en probeer het opnieuw.",
    ),
    "empty_token": (
        "Het API-token ontbreekt",
        "Zonder token kunnen we niets controleren.",
        "Kopieer het token uit Nmbrs: gebruikersprofiel → API Token.",
    ),
    "token_has_spaces": (
        "Er staan spaties of regeleinden in het token",
        "Een API-token is één aaneengesloten reeks tekens; bij het kopiëren is er iets tussen gekomen.",
        "Kopieer het token opnieuw in één keer uit Nmbrs (gebruikersprofiel → API Token).",
    ),
    "token_too_long": (
        "Dit token is te lang",
        "Waarschijnlijk is er meer meegekopieerd dan alleen het token.",
        "Kopieer alleen het token uit Nmbrs (gebruikersprofiel → API Token) en probeer het opnieuw.",
    ),
    "token_bad_characters": (
        "Er staan vreemde tekens in het token",
        "Een API-token bevat geen letters met accenten of onzichtbare tekens.",
        "Kopieer het token opnieuw uit Nmbrs (gebruikersprofiel → API Token), liefst zonder opmaak.",
    ),
}
_INPUT_EN = {
    "empty_username": (
        "The e-mail address is missing",
        "We need the e-mail address you log in to Nmbrs with.",
        "Fill in the e-mail address and send the token along again.",
    ),
    "bad_username": (
        "This does not look like an e-mail address",
        "The username is the e-mail address you log in to Nmbrs with.",
        "Fill in that e-mail address and try again.",
    ),
    "empty_token": (
        "The API token is missing",
        "Without a token there is nothing we can check.",
        "Copy the token from Nmbrs: User profile → API Token.",
    ),
    "token_has_spaces": (
        "The token contains spaces or line breaks",
        "An API token is one unbroken run of characters; something slipped in while copying.",
        "Copy the token again in one go from Nmbrs (User profile → API Token).",
    ),
    "token_too_long": (
        "This token is too long",
        "Probably more than just the token was copied.",
        "Copy only the token from Nmbrs (User profile → API Token) and try again.",
    ),
    "token_bad_characters": (
        "The token contains unexpected characters",
        "An API token has no accented letters or invisible characters.",
        "Copy the token again from Nmbrs (User profile → API Token), preferably as plain text.",
    ),
}


def explain_input(error: InvalidInput, lang: str) -> Explanation:
    """Explain a local refusal (InvalidInput) in the given language."""
    texts = _INPUT_NL if language(lang) == "nl" else _INPUT_EN
    headline, detail, action = texts[error.reason]
    return Explanation(headline=headline, detail=detail, action=action)


#: The label of the URL button that opens Nmbrs' consent page (the REST way to connect).
CONSENT_BUTTON = {"nl": "Koppelen met Nmbrs", "en": "Connect with Nmbrs"}

# REST links: the consent rather than a token is what breaks; "connect again" is the way back.
_REST_WORDS = {
    RejectionCategory.CONSENT: (
        ("De toestemming voor Nmbrs is ingetrokken of verlopen",
         "Nmbrs accepteert de toestemming die je ons gaf niet meer: iemand heeft de koppeling in Nmbrs "
         "ingetrokken, of de toestemming is verlopen.",
         "Koppel Nmbrs opnieuw met de knop \u201cKoppelen met Nmbrs\u201d en geef opnieuw toestemming."),
        ("The consent for Nmbrs was withdrawn or expired",
         "Nmbrs no longer accepts the consent you gave us: someone withdrew it in Nmbrs, or it expired.",
         "Connect again with the \u201cConnect with Nmbrs\u201d button and give your consent once more."),
    ),
    RejectionCategory.LOST: (
        ("De koppeling met Nmbrs is aan onze kant verloren gegaan",
         "Een vernieuwing van de toegang bij Nmbrs kreeg geen antwoord dat bij ons aankwam; daardoor "
         "hebben wij geen geldige toegang meer. Je toestemming in Nmbrs is niet ingetrokken.",
         "Koppel Nmbrs opnieuw met de knop \u201cKoppelen met Nmbrs\u201d; excuses voor het ongemak."),
        ("The connection to Nmbrs was lost on our side",
         "A renewal of our access at Nmbrs got an answer that never reached us, so we hold no valid "
         "access any more. Your consent in Nmbrs was not withdrawn.",
         "Connect again with the \u201cConnect with Nmbrs\u201d button; sorry for the trouble."),
    ),
}
