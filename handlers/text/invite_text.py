"""The words of the invitation page and of the invitation commands, in Dutch and English.

Plain text: the page's templates escape it (Jinja2 autoescaping), the chat renderers use their Markup.
The result of a submission is worded by handlers.text.replies, the same words the chat uses.
"""

from __future__ import annotations

from datetime import datetime

from handlers.text.locale import language
from handlers.text.markup import Markup

_PAGE = {
    "nl": {
        "title": "Nmbrs koppelen met {brand}",
        "lead": "{brand} vraagt je om je Nmbrs-omgeving te koppelen.",
        "what_1": "Je vult hieronder het e-mailadres van je Nmbrs-login en je API-token in; "
                  "we controleren ze meteen bij Nmbrs.",
        "what_2": "Werken ze, dan bewaren we het token versleuteld en ziet {brand} welke debiteuren en "
                  "bedrijven de koppeling bereikt. Het token wordt nooit meer getoond.",
        "where_head": "Waar vind ik het API-token?",
        "where_top": "Accountant (hoofdniveau): log in bij Nmbrs, open je gebruikersprofiel en kies API Token "
                     "(eventueel eerst “API-account activeren”). Die login ziet alle debiteuren.",
        "where_debtor": "Klant (debiteurniveau): je accountant maakt een klantlogin voor je debiteur aan; "
                        "het token van die login krijg je van je accountant, of je vindt het in je eigen "
                        "gebruikersprofiel → API Token.",
        "username": "E-mailadres (Nmbrs-login)",
        "token": "API-token",
        "token_help": "Alleen de laatste vier tekens worden ooit getoond.",
        "submit": "Controleren en koppelen",
        "retry": "Probeer het opnieuw",
        "slow_head": "Nmbrs antwoordt nog niet…",
        "slow_body": "Dit duurt langer dan normaal. Deze pagina ververst zichzelf; je hoeft niets te doen.",
        "gone_head": "Deze link werkt niet (meer)",
        "gone_body": "De link is verlopen, al gebruikt of ingetrokken, of hij klopt niet. "
                     "Vraag je contactpersoon om een nieuwe link.",
        "stale_head": "Deze pagina was verlopen",
        "stale_body": "Om je te beschermen hebben we niets verstuurd. Vul het formulier opnieuw in.",
        "done": "Je kunt deze pagina sluiten.",
        "switch": "English",
        "for": "Voor",
        "pending_action": "We controleren je gegevens vanzelf opnieuw zodra Nmbrs antwoordt; je contactpersoon "
                          "hoort de uitkomst en laat het je weten. Je hoeft niets opnieuw in te vullen.",
    },
    "en": {
        "title": "Connect Nmbrs with {brand}",
        "lead": "{brand} asks you to connect your Nmbrs environment.",
        "what_1": "Fill in the e-mail address of your Nmbrs login and your API token below; "
                  "we check them with Nmbrs at once.",
        "what_2": "If they work, we keep the token encrypted and {brand} sees which debtors and companies "
                  "the link reaches. The token is never shown again.",
        "where_head": "Where do I find the API token?",
        "where_top": "Accountant (top level): log in to Nmbrs, open your user profile and choose API Token "
                     "(first “Activate API account” if needed). That login sees all debtors.",
        "where_debtor": "Client (debtor level): your accountant creates a client login for your debtor; "
                        "you get that login's token from your accountant, or find it in your own "
                        "user profile → API Token.",
        "username": "E-mail address (Nmbrs login)",
        "token": "API token",
        "token_help": "Only its last four characters are ever shown.",
        "submit": "Check and connect",
        "retry": "Try again",
        "slow_head": "Nmbrs has not answered yet…",
        "slow_body": "This takes longer than usual. This page refreshes itself; you need not do anything.",
        "gone_head": "This link does not work (any more)",
        "gone_body": "The link has expired, was used or revoked, or is not right. "
                     "Please ask your contact for a new link.",
        "stale_head": "This page had expired",
        "stale_body": "To protect you, we sent nothing. Please fill in the form again.",
        "done": "You can close this page.",
        "switch": "Nederlands",
        "for": "For",
        "pending_action": "We check your details again by ourselves as soon as Nmbrs answers; your contact hears "
                          "the outcome and lets you know. You need not fill anything in again.",
    },
}


def page_words(lang: str, brand: str) -> dict[str, str]:
    """Every fixed word of the page in one language, the vendor's name filled in (still unescaped)."""
    return {key: value.replace("{brand}", brand) for key, value in _PAGE[language(lang)].items()}


def other_language(lang: str) -> str:
    return "en" if language(lang) == "nl" else "nl"


def accept_language(header: str | None, default: str) -> str:
    """nl or en from an Accept-Language header (highest weight first), else `default`."""
    best: tuple[float, str] | None = None
    for part in (header or "").split(",")[:20]:
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()[:2]
        weight = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag in ("nl", "en") and weight > 0 and (best is None or weight > best[0]):
            best = (weight, tag)
    return best[1] if best else language(default)


# --- the invitation commands in chat (`/nmbrs invite`, `invites`, `invite revoke`) -----------------


def _pick(nl: bool, en: str, dutch: str) -> str:
    return dutch if nl else en


def invited(m: Markup, short_id: str, name: str, url: str, expires_at: datetime, nl: bool) -> tuple[str, str, str]:
    """The new invitation: what it is, the URL (shown only now), and how to use it."""
    who = m.escape(name, 200)
    head = _pick(nl, f"Invitation {m.bold(short_id)} for {who}, valid until {m.time(expires_at)}.",
                 f"Uitnodiging {m.bold(short_id)} voor {who}, geldig tot {m.time(expires_at)}.")
    link = m.escape(url)
    todo = _pick(nl, "Paste this link into your own e-mail or ticket to the customer. It works once, and this is "
                     f"the only time it is shown; {m.command('invite revoke ' + short_id)} ends it.",
                 "Plak deze link in je eigen e-mail of ticket aan de klant. Hij werkt één keer en wordt alleen nu "
                 f"getoond; {m.command('invite revoke ' + short_id)} beëindigt hem.")
    return head, link, todo


def invitation_line(m: Markup, short_id: str, name: str, email: str | None, platform: str, by: str,
                    expires_at: datetime, nl: bool) -> str:
    who = m.escape(name, 200) + (f" ({m.escape(email, 254)})" if email and email != name else "")
    creator = m.person(platform, by) if platform in ("slack", "teams") else m.escape(f"{platform} {by}", 80)
    return (f"{m.bold(short_id)} · {who} · {_pick(nl, 'by', 'door')} {creator}"
            f" · {_pick(nl, 'until', 'tot')} {m.time(expires_at)}")


def invitations_head(count: int, nl: bool) -> str:
    if count == 0:
        return _pick(nl, "No open invitations.", "Geen openstaande uitnodigingen.")
    return _pick(nl, f"Open invitations ({count}):", f"Openstaande uitnodigingen ({count}):")


def invitation_revoked(m: Markup, short_id: str, nl: bool) -> str:
    return _pick(nl, f"Invitation {m.bold(short_id)} is revoked; its link no longer works.",
                 f"Uitnodiging {m.bold(short_id)} is ingetrokken; de link werkt niet meer.")


def no_invitation(m: Markup, short_id: str, nl: bool) -> str:
    return _pick(nl, f"There is no open invitation {m.escape(short_id, 40)} (used, expired, revoked or unknown).",
                 f"Er is geen openstaande uitnodiging {m.escape(short_id, 40)} (gebruikt, verlopen, ingetrokken of onbekend).")


_NAME_PROBLEMS = {
    "missing": ("For whom? Write the customer's name or e-mail address after invite.",
                "Voor wie? Zet de naam of het e-mailadres van de klant achter invite."),
    "too_long": ("That name is too long: at most 200 characters.", "Die naam is te lang: hoogstens 200 tekens."),
    "control": ("That name contains control characters.", "Die naam bevat stuurtekens."),
    "secret": ("That looks like a token, not a name; nothing was made. Delete your message if it holds one.",
               "Dat lijkt een token, geen naam; er is niets gemaakt. Verwijder je bericht als er een in staat."),
}


def bad_invitation(problem: str, nl: bool) -> str:
    en, dutch = _NAME_PROBLEMS.get(problem, _NAME_PROBLEMS["missing"])
    return _pick(nl, en, dutch)


def invitations_unavailable(nl: bool) -> str:
    return _pick(nl, "Invitations are off on this server: TOKENDESK_PUBLIC_URL is not set.",
                 "Uitnodigingen staan uit op deze server: TOKENDESK_PUBLIC_URL is niet ingesteld.")
