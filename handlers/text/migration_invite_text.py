"""The words of `/nmbrs migration invite`: the customer's message (why, in two lines, and one
"Connect with Nmbrs" button plus a forwardable invitation link per debtor) and support's answers."""

from __future__ import annotations

from datetime import date, datetime

from handlers.text.command_links import pick
from handlers.text.markup import Markup
from handlers.text.migration_text import debtor_label
from handlers.undelivered import NOT_INSTALLED


def customer_headline(nl: bool) -> str:
    return pick(nl, "Nmbrs is changing how we connect to your payroll administration",
                "Nmbrs verandert hoe wij met je salarisadministratie verbinden")


def customer_why(soap_until: date | None, count: int, nl: bool) -> tuple[str, str]:
    """The two lines of why: the old connection stops, and what to press."""
    stops = (pick(nl, f"Nmbrs stops the old connection (SOAP) on {soap_until.isoformat()}.",
                  f"Nmbrs stopt de oude koppeling (SOAP) op {soap_until.isoformat()}.")
             if soap_until is not None else
             pick(nl, "Nmbrs will soon stop the old connection (SOAP).", "Nmbrs stopt binnenkort de oude koppeling (SOAP)."))
    press = pick(nl, f"To keep the link working, press \"Connect with Nmbrs\" for each of these {count} administration(s) "
                     "and log in as someone who manages it.",
                 f"Druk voor elk van deze {count} administratie(s) op \"Verbinden met Nmbrs\" en log in als iemand "
                 "die haar beheert, zodat de koppeling blijft werken.")
    return stops, press


def forward_hint(nl: bool) -> str:
    return pick(nl, "Does someone else manage an administration (your client's payroll administrator)? "
                    "Forward them its link below: an accountant's own login cannot give this permission.",
                "Beheert iemand anders een administratie (de salarisadministrateur van je klant)? "
                "Stuur die persoon de link hieronder door: met de eigen login van een accountant kan dat niet.")


def debtor_line(m: Markup, number: object, name: object) -> str:
    return debtor_label(m, number, name)


def more_later(more: int, nl: bool) -> str:
    return pick(nl, f"{more} more administration(s) will follow in a next message.",
                f"Nog {more} administratie(s) volgen in een volgend bericht.")


def forward_link(nl: bool) -> str:
    return pick(nl, "link to forward", "link om door te sturen")


def invite_until(m: Markup, expires_at: datetime, nl: bool) -> str:
    return pick(nl, f"The links to forward work once, until {m.time(expires_at)}.",
                f"De links om door te sturen werken één keer, tot {m.time(expires_at)}.")


# --- support's answers ---------------------------------------------------------------------------


def unavailable(nl: bool) -> str:
    return pick(nl, "Inviting customers to REST needs REST consent to be configured (TOKENDESK_NMBRS_CLIENT_ID, "
                    "TOKENDESK_PUBLIC_URL); nothing was sent.",
                "Klanten uitnodigen voor REST kan pas als REST-toestemming is ingesteld (TOKENDESK_NMBRS_CLIENT_ID, "
                "TOKENDESK_PUBLIC_URL); er is niets verstuurd.")


def nothing_to_invite(link: str, nl: bool) -> str:
    return pick(nl, f"{link} has no debtors left to move: nobody was invited.",
                f"{link} heeft geen debiteuren meer te verhuizen: niemand uitgenodigd.")


def too_soon(m: Markup, link: str, again: datetime, nl: bool) -> str:
    return pick(nl, f"The customer of {link} was invited recently; you can send it again from {m.time(again)}.",
                f"De klant van {link} is onlangs uitgenodigd; opnieuw sturen kan vanaf {m.time(again)}.")


def _where(platform: str, nl: bool) -> str:
    return {"slack": "Slack", "teams": "Teams"}.get(platform, platform)


def sent(link: str, platform: str, debtors: int, nl: bool) -> str:
    return pick(nl, f"Invited the customer of {link} on {_where(platform, nl)}: {debtors} debtor(s) to move, one button each.",
                f"Klant van {link} uitgenodigd op {_where(platform, nl)}: {debtors} debiteur(en) te verhuizen, "
                "elk een knop.")


def web_head(link: str, nl: bool) -> str:
    return pick(nl, f"No chat reaches the customer of {link} (made on the invitation page). Send them these "
                    "links yourself (one per debtor, each works once):",
                f"Geen chat bereikt de klant van {link} (gemaakt via de uitnodigingspagina). Stuur deze links "
                "zelf (één per debiteur, elk werkt één keer):")


def web_line(m: Markup, number: object, name: object, url: str, short_id: str) -> str:
    return f"{debtor_label(m, number, name)} · {m.code(short_id)} {url}"


def ask_all(links: int, debtors: int, nl: bool) -> str:
    return pick(nl, f"Invite the customers of {links} SOAP link(s) to move {debtors} debtor(s) to REST? "
                    "Links invited recently are skipped.",
                f"De klanten van {links} SOAP-koppeling(en) uitnodigen om {debtors} debiteur(en) naar REST te "
                "verhuizen? Onlangs uitgenodigde koppelingen worden overgeslagen.")


def ask_all_button(links: int, nl: bool) -> str:
    return pick(nl, f"Invite {links} customer(s)", f"{links} klant(en) uitnodigen")


def nobody(nl: bool) -> str:
    return pick(nl, "No SOAP link has debtors left to move: nobody to invite.",
                "Geen SOAP-koppeling heeft nog debiteuren te verhuizen: niemand uit te nodigen.")


def all_done(sent_count: int, skipped: int, web: int, nl: bool) -> str:
    return pick(nl, f"Invited {sent_count} customer(s) · {skipped} skipped (invited recently) · "
                    f"{web} web link(s) for you to send",
                f"{sent_count} klant(en) uitgenodigd · {skipped} overgeslagen (onlangs uitgenodigd) · "
                f"{web} web-koppeling(en) om zelf te sturen")


def skipped_line(m: Markup, link: str, again: datetime, nl: bool) -> str:
    return pick(nl, f"{m.code(link)} again from {m.time(again)}", f"{m.code(link)} opnieuw vanaf {m.time(again)}")


def web_left(m: Markup, links: tuple[str, ...], nl: bool) -> str:
    shown = ", ".join(m.code(link) for link in links[:20]) + (" …" if len(links) > 20 else "")
    return pick(nl, f"{len(links)} more web link(s) not invited yet (their links would not fit here); invite them "
                    f"one at a time with {m.command('migration invite <link>')}: {shown}",
                f"Nog {len(links)} web-koppeling(en) niet uitgenodigd (hun links passen hier niet); nodig ze één "
                f"voor één uit met {m.command('migration invite <koppeling>')}: {shown}")


def skipped_head(nl: bool) -> str:
    return pick(nl, "Skipped:", "Overgeslagen:")


# --- an invite the customer's platform refused (in the SOAP link's thread) ----------------------------

#: Slack errors in plain words (the code follows in brackets); anything else: "would not deliver".
_SLACK_WHY = {
    "user_not_found": ("Slack does not know this person (any more)", "Slack kent deze persoon niet (meer)"),
    "account_inactive": ("their Slack account is deactivated", "hun Slack-account is gedeactiveerd"),
    "user_disabled": ("their Slack account is deactivated", "hun Slack-account is gedeactiveerd"),
    "cannot_dm_bot": ("Slack does not let the bot send them a direct message",
                      "Slack laat de bot hun geen direct bericht sturen"),
}


def undelivered_head(link: str, nl: bool) -> str:
    return pick(nl, f"The migration invite for the customer of {link} could not be delivered: they got nothing in chat.",
                f"De migratie-uitnodiging voor de klant van {link} kon niet bezorgd worden: ze kregen niets in de chat.")


def undelivered_why(m: Markup, platform: str, error: str, external: bool, nl: bool) -> str:
    """Why, in plain words, with the platform's own code in brackets."""
    code = m.code(m.escape(error, 80))
    if platform == "teams":
        if error == NOT_INSTALLED:
            said = pick(nl, "the bot has no chat with them in Teams (the app is not installed for them)",
                        "de bot heeft geen chat met hen in Teams (de app is niet voor hen geïnstalleerd)")
        elif error.startswith("HTTP 404"):
            said = pick(nl, "Teams no longer knows their chat with the bot", "Teams kent hun chat met de bot niet meer")
        else:
            said = pick(nl, "Teams would not let the bot write in their chat (the app was probably removed)",
                        "Teams liet de bot niet in hun chat schrijven (de app is waarschijnlijk verwijderd)")
    elif external and error not in _SLACK_WHY:
        said = pick(nl, "they are of another organisation (Slack Connect) and Slack would not deliver a direct "
                        "message to them",
                    "ze zijn van een andere organisatie (Slack Connect) en Slack wilde hun geen direct bericht bezorgen")
    elif error in _SLACK_WHY:
        said = pick(nl, *_SLACK_WHY[error])
    else:
        said = pick(nl, "Slack would not deliver a direct message to them", "Slack wilde hun geen direct bericht bezorgen")
    return pick(nl, f"Why: {said} ({code}).", f"Waarom: {said} ({code}).")


def undelivered_forward(nl: bool) -> str:
    return pick(nl, "Send them these links yourself, by e-mail or in a ticket (one per debtor, each works once):",
                "Stuur deze links zelf, per e-mail of in een ticket (één per debiteur, elk werkt één keer):")


def undelivered_none(nl: bool) -> str:
    return pick(nl, "No invitation links could be made (REST consent is not configured any more).",
                "Er konden geen uitnodigingslinks gemaakt worden (REST-toestemming is niet meer ingesteld).")


def undelivered_round(nl: bool) -> str:
    return pick(nl, "The invite counts as sent: the next one for this link waits for the remind period as usual.",
                "De uitnodiging telt als verstuurd: de volgende voor deze koppeling wacht zoals altijd de herinneringstermijn af.")


def undelivered_more(more: int, nl: bool) -> str:
    return pick(nl, f"{more} more debtor(s) to move did not fit in this invite; they come with the next one.",
                f"Nog {more} te verhuizen debiteur(en) pasten niet in deze uitnodiging; die komen met de volgende.")
