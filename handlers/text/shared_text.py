"""The words of Connect messages in shared channels (Slack Connect), in Dutch and English: the offer
under `/nmbrs invite`, the message posted in the channel (both languages: the channel holds two
organisations), what support is told, and the private answer to whoever pressed the button.

Plain text: the adapter escapes it (nothing here comes from outside except ids it is given).
"""

from __future__ import annotations

from datetime import datetime

from handlers.text.locale import language

#: The button of the message posted in the channel, the same in both languages.
CONNECT_BUTTON = "Connect Nmbrs"

_WORDS = {
    "nl": {
        "offer_button": "Plaats een Connect-bericht in dit kanaal",
        "offer_hint": "Dit kanaal is gedeeld met een andere organisatie. Met de knop plaats je hier een bericht met "
                      "een knop “Connect Nmbrs”: wie erop drukt krijgt privé het formulier. Het bericht bevat geen "
                      "link en geen geheim.",
        "channel_1": "{brand} vraagt je om je Nmbrs-omgeving te koppelen. Druk op “Connect Nmbrs”.",
        "channel_2": "Alleen jij ziet het formulier of de link die je dan krijgt; niets daarvan komt in dit kanaal.",
        "posted": "Het Connect-bericht voor {invitation} staat in dit kanaal. Wie erop drukt, krijgt het "
                  "formulier privé; de koppeling komt in de supportthread.",
        "not_in_channel": "Ik kon hier niets plaatsen: voeg mij eerst toe aan dit kanaal en druk dan opnieuw op de knop.",
        "post_failed": "Het Connect-bericht is niet geplaatst (Slack: {error}). Probeer het later nog eens.",
        "not_staff": "Alleen support kan een Connect-bericht plaatsen.",
        "gone": "Dit Connect-bericht werkt niet meer (uitnodiging {invitation} is verlopen of ingetrokken). "
                "Vraag je contactpersoon om een nieuwe.",
        "private_head": "Koppel Nmbrs op een webpagina",
        "private_detail": "Slack liet mij het formulier hier niet voor je openen. Deze link is alleen voor jou: "
                          "vul daar het e-mailadres van je Nmbrs-login en je API-token in en je ziet meteen de "
                          "uitkomst.",
        "private_link": "Open de pagina",
        "private_small": "Geldig tot {until}, voor één koppeling. Druk je nog eens op de knop, dan krijg je een "
                         "nieuwe link en werkt deze niet meer. Deel hem met niemand.",
    },
    "en": {
        "offer_button": "Post a Connect message in this channel",
        "offer_hint": "This channel is shared with another organisation. The button posts a message here with a "
                      "“Connect Nmbrs” button: whoever presses it gets the form privately. The message holds no "
                      "link and no secret.",
        "channel_1": "{brand} asks you to connect your Nmbrs environment. Press “Connect Nmbrs”.",
        "channel_2": "Only you see the form or the link you then get; none of it appears in this channel.",
        "posted": "The Connect message for {invitation} is in this channel. Whoever presses it gets the form "
                  "privately; the link shows up in the support thread.",
        "not_in_channel": "I could not post here: add me to this channel first, then press the button again.",
        "post_failed": "The Connect message was not posted (Slack: {error}). Try again later.",
        "not_staff": "Only support can post a Connect message.",
        "gone": "This Connect message no longer works (invitation {invitation} expired or was revoked). "
                "Ask your contact for a new one.",
        "private_head": "Connect Nmbrs on a web page",
        "private_detail": "Slack did not let me open the form for you here. This link is only for you: fill in "
                          "the e-mail address of your Nmbrs login and your API token there and you see the "
                          "result at once.",
        "private_link": "Open the page",
        "private_small": "Valid until {until}, for one connection. Press the button again and you get a new "
                         "link; this one then stops working. Share it with no one.",
    },
}


def words(key: str, lang: str, **values: object) -> str:
    """One text of this module in `lang` (nl or en), with its values filled in."""
    return _WORDS[language(lang)][key].format(**values)


def channel_lines(brand: str) -> list[str]:
    """The message posted in the shared channel: two lines per language, Dutch first."""
    return [words(key, lang, brand=brand) for lang in ("nl", "en") for key in ("channel_1", "channel_2")]


def until(moment: datetime) -> str:
    """An expiry as people read it (UTC, day and time)."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


__all__ = ["CONNECT_BUTTON", "channel_lines", "until", "words"]
