"""Connect messages in shared channels (Slack Connect): the offer under `/nmbrs invite`, the message in
the channel, what support and the presser are told, the form opened from it, and a customer alert
relayed through the support thread when Slack refuses the DM."""

from __future__ import annotations

import dataclasses

from tests.golden.inputs import CARDS
from tests.golden.renderings import (
    DUTCH, LOCALES, LONG, NASTY, T1, Invited, Limited, Via, attempt, dump, lname, replies, slack, slack_cmd,
    slack_connect,
)
from handlers.text import conversation

VIAS = (Via("I7", "C0SHARED"), Via("I1234567890", "GABCDEF123"))
BRANDS = ("tokendesk", "Loonkoppeling & Co", NASTY, DUTCH)
URL = "https://desk.example.com/i/" + "A" * 43
GUEST_CARD = dataclasses.replace(CARDS["full"], team_id="T0OTHERORG", user_id="U0GUEST")


def connect_family(out: dict[str, str]) -> None:
    for i, brand in enumerate(BRANDS):
        for via in VIAS:
            out[f"connect/channel/{i}/{via.invitation}/slack"] = dump(attempt(
                lambda: slack_connect.channel_message(via.invitation, brand)))
    for lang in LOCALES:
        ln = lname(lang)
        for name in ("Acme BV", NASTY):
            invited = Invited(short_id="I7", url=URL, name=name, email=None, expires_at=T1)
            out[f"connect/{ln}/offer/{len(name)}/slack"] = dump(attempt(lambda: slack_connect.with_offer(
                slack_cmd.render(invited, lang or "nl"), invited.short_id, lang or "nl")))
            out[f"connect/{ln}/private/{len(name)}/slack"] = dump(attempt(
                lambda: slack_connect.private_answer(invited, lang or "nl")))
        for via in VIAS:
            out[f"connect/{ln}/posted/{via.invitation}/slack"] = dump(attempt(lambda: slack_connect.posted(via, lang or "nl")))
            out[f"connect/{ln}/gone/{via.invitation}/slack"] = dump(attempt(
                lambda: slack_connect.gone(via.invitation, lang or "nl")))
            out[f"connect/{ln}/modal/{via.invitation}/slack"] = dump(attempt(
                lambda: slack.connect_modal(lang or "nl", conversation.form_intro(lang or "nl"), via=via)))
        out[f"connect/{ln}/not_staff/slack"] = dump(attempt(lambda: slack_connect.not_staff(lang or "nl")))
        out[f"connect/{ln}/not_in_channel/slack"] = dump(attempt(lambda: slack_connect.not_in_channel(lang or "nl")))
        for error in ("ratelimited", NASTY, LONG):
            out[f"connect/{ln}/post_failed/{len(error)}/slack"] = dump(attempt(
                lambda: slack_connect.post_failed(error, lang or "nl")))
        limited = replies.outcome_reply(Limited(retry_after=T1 - T1.replace(minute=0)), lang or "nl")
        out[f"connect/{ln}/limited/slack"] = dump(attempt(lambda: slack.reply_message(limited, lang or "nl")))
        reply = replies.outcome_reply(Limited(retry_after=T1 - T1.replace(minute=0)), "en")
        for error in ("cannot_dm_bot", NASTY):
            out[f"connect/{ln}/relay/{len(error)}/slack"] = dump(attempt(
                lambda: slack.support_customer_relay(GUEST_CARD, reply, "en", error, lang or "nl")))
