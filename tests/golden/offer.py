"""A desk that is REST only (handlers.offer): the consent button alone where the desk offers to connect,
the answer to credentials sent after TOKENDESK_NMBRS_SOAP_UNTIL, and the mode in help, App Home and
status output; beside them the same places with both ways offered, for comparison."""

from __future__ import annotations

from datetime import date

from tests.golden.inputs import CARDS
from tests.golden.renderings import (
    LOCALES, NASTY, T0, Consent, Help, Offer, SoapClosed, allowed_commands, attempt, dump, lname, offer_text,
    replies, slack, slack_cmd, teams, teams_cmd, teams_json,
)
from handlers.text import conversation

SOAP_UNTIL = date(2027, 3, 1)
URL = "https://desk.example.com/connect/nmbrs/start?t=" + "A" * 43
CONSENTS = {"only": Consent(URL, only=True), "both": Consent(URL, only=False),
            "first": Consent(URL, only=False, first=True)}  # a REST link's message: the consent leads
MODES = ((Offer.SOAP, None), (Offer.SOAP, SOAP_UNTIL), (Offer.BOTH, None), (Offer.BOTH, SOAP_UNTIL),
         (Offer.REST, SOAP_UNTIL))


def offer_family(out: dict[str, str]) -> None:
    for lang in LOCALES:
        ln = lname(lang)
        out[f"offer/{ln}/words/rest_only_hint"] = dump(attempt(lambda: offer_text.rest_only_hint(lang)))
        for offer, until in MODES:
            out[f"offer/{ln}/words/mode_line/{offer}/{until}"] = dump(attempt(
                lambda: offer_text.mode_line(offer, until, lang)))
            out[f"offer/{ln}/words/mode_summary/{offer}/{until}"] = dump(attempt(
                lambda: offer_text.mode_summary(offer, until)))
            for staff in (False, True):
                helped = Help(commands=allowed_commands(staff=staff), staff=staff, offer=offer, soap_until=until)
                out[f"offer/{ln}/help/{offer}/{until}/{staff}/slack"] = dump(attempt(lambda: slack_cmd.render(helped, lang)))
                out[f"offer/{ln}/help/{offer}/{until}/{staff}/teams"] = dump(attempt(
                    lambda: teams_json(teams_cmd.render(helped, lang))))
        closed = attempt(lambda: replies.outcome_reply(SoapClosed(since=SOAP_UNTIL), lang))
        welcome = attempt(lambda: offer_text.rest_welcome(lang))
        for cname, consent in CONSENTS.items():
            key = f"offer/{ln}/{cname}"
            for rname, reply in (("closed", closed), ("rest_welcome", welcome),
                                 ("welcome", attempt(lambda: conversation.welcome(lang)))):
                if isinstance(reply, dict):  # the failure itself, for a language that is no language
                    out[f"{key}/{rname}"] = dump(reply)
                    continue
                out[f"{key}/{rname}/text"] = reply.text()
                out[f"{key}/{rname}/slack.message"] = dump(attempt(lambda: slack.reply_message(
                    reply, lang, notes=[conversation.delete_hint(lang)], consent=consent)))
                out[f"{key}/{rname}/slack.modal_outcome"] = dump(attempt(lambda: slack.modal_outcome(
                    reply, lang, username=NASTY, consent=consent)))
                out[f"{key}/{rname}/teams.card"] = dump(attempt(lambda: teams_json(teams.reply_card(
                    reply, lang, notes=[conversation.delete_hint(lang)], form_intro=conversation.form_intro(lang),
                    consent=consent))))
                out[f"{key}/{rname}/teams.outcome"] = dump(attempt(lambda: teams_json(teams.outcome_card(
                    reply, lang, username=NASTY, consent=consent))))
            out[f"{key}/slack.connect_modal"] = dump(attempt(lambda: slack.connect_modal(
                lang, conversation.form_intro(lang), consent=consent)))
            out[f"{key}/teams.form"] = dump(attempt(lambda: teams_json(teams.form(
                lang, conversation.form_intro(lang), consent=consent))))
            for n in (0, 2):
                links = list(CARDS.values())[:n]
                for offer, until in MODES:
                    mode = attempt(lambda: offer_text.mode_line(offer, until, lang))
                    out[f"{key}/home/{n}/{offer}/{until}"] = dump(attempt(lambda: slack.home_view(
                        lang, links, {c.id: T0 for c in links}, consent=consent, mode=mode)))
    # /healthz's `soap` line: the last run's SOAP verdict, one English line for operators.
    for name, run_id, counts in (
        ("none", None, {}), ("switched_off", 12, {"verdict": "switched_off", "checks": 200, "signs": 190}),
        ("answering", 13, {"verdict": "answering", "checks": 200, "signs": 0}),
        ("too_few", 14, {"verdict": None, "checks": 5, "signs": 5}), ("old_run", 3, {}),
    ):
        out[f"offer/soap_summary/{name}"] = dump(attempt(lambda: offer_text.soap_summary(run_id, counts)))
