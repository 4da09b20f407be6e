"""What customers are told (replies, forms, App Home), the explanations of check outcomes and the fixed
words, rendered for Slack and Teams over every generated input."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta
from typing import Any

from handlers.connect import ConsentFailed, ConsentRefused, Consented, Denied, NmbrsError, StateInvalid, TicketGone
from handlers.text import connect_text, conversation, customer_alerts
from tests.golden.inputs import CARDS, CONSENT_DETAILS, CUSTOMER_DETAILS, DURATIONS, REASONS, VALIDATIONS, support_summary
from tests.golden.renderings import (
    AlertKind, BadInput, Connected, DUTCH, InvalidInput, LOCALES, LONG, Limited, NASTY, Pending, Refused, STATES,
    T0, TEXTS, attempt, cut, dump, explain, explain_input, lname, replies, slack, slack_cmd, support_label, teams,
    teams_activity, teams_channel_card, teams_json, wanted,
)


def customer_replies(lang: Any) -> dict[str, Any]:
    """Every Reply a customer can get, by name."""
    out: dict[str, Any] = {}
    for k, ((vname, valid), (created, replaced, restored)) in enumerate(itertools.product(
            [(k, v) for k, v in VALIDATIONS.items() if k.startswith("valid_")],
            ((True, False, False), (False, True, False), (False, False, True), (False, True, True)))):
        cname = ("full", "bare", "many", "nasty", "long")[k % 5]
        outcome = Connected(card=CARDS[cname], result=valid, created=created, replaced=replaced, restored=restored)
        out[f"connected_{vname}_{cname}_{int(created)}{int(replaced)}{int(restored)}"] = outcome
    for k, (vname, rejected) in enumerate((k, v) for k, v in VALIDATIONS.items() if k.startswith("rejected_")):
        left = (0, 1, 4)[k % 3]
        out[f"refused_{vname}_{left}"] = Refused(result=rejected, attempts_left=left)
    for k, (vname, unreachable) in enumerate((k, v) for k, v in VALIDATIONS.items() if k.startswith("unreachable_")):
        cname = ("full", "bare", "nasty")[k % 3]
        out[f"pending_{vname}_{cname}"] = Pending(card=CARDS[cname], result=unreachable)
    for reason, field in itertools.product(REASONS, ("username", "token")):
        out[f"badinput_{reason}_{field}"] = BadInput(reason=reason, field=field)
    for d in DURATIONS:
        out[f"limited_{int(d.total_seconds())}"] = Limited(retry_after=d)
    made = {name: (lambda o=o: replies.outcome_reply(o, lang)) for name, o in out.items()}
    for name in ("welcome", "form_intro", "internal_error", "checking", "modal_gone", "channel_exposed", "channel_hint"):
        made[name] = lambda name=name: getattr(replies if name == "checking" else conversation, name)(lang)
    for username, d in itertools.product(("jan@bakker.nl", "", NASTY), DURATIONS):
        made[f"ask_token_{len(username)}_{int(d.total_seconds())}"] = lambda u=username, d=d: conversation.ask_token(u, d, lang)
    for last4, d in itertools.product(("AbCd", None, "<&>"), DURATIONS):
        made[f"ask_username_{last4}_{int(d.total_seconds())}"] = lambda t=last4, d=d: conversation.ask_username(t, d, lang)
    for (cname, c), (i, details) in itertools.product(CARDS.items(), enumerate(CUSTOMER_DETAILS)):
        made[f"customer_broken_{cname}_{i}"] = lambda c=c, d=details: customer_alerts.customer_broken(c, d, lang)
        made[f"customer_result_{cname}_{i}"] = lambda c=c, d=details: customer_alerts.customer_result(c, d, lang)
    made.update(consent_replies(lang))
    return made


def consent_replies(lang: Any) -> dict[str, Any]:
    """A REST consent's outcome: on the result page and in the chat (rebuilt from the alert's details)."""
    outcomes: dict[str, Any] = {
        "denied": Denied(lang), "invalid": StateInvalid(), "gone": TicketGone(),
        "no_refresh": ConsentRefused("no_refresh_token", (), lang),
        "scopes": ConsentRefused("scopes_missing", ("company.info.read", NASTY), lang),
        "nmbrs_error": NmbrsError("server_error", lang),
    }
    outcomes.update({f"connected_{cname}": Consented(card=c, lang=lang, created=True, replaced=False)
                     for cname, c in CARDS.items()})
    outcomes.update({f"failed_{vname}": ConsentFailed(v, lang) for vname, v in VALIDATIONS.items()
                     if not vname.startswith("valid_")})
    made: dict[str, Any] = {}
    for name, outcome in outcomes.items():
        made[f"consent_page_{name}"] = lambda o=outcome: connect_text.consent_reply(o, lang)
        made[f"consent_chat_{name}"] = lambda o=outcome: connect_text.consent_reply(o, lang, page=False)
    for (cname, c), (i, details) in itertools.product(CARDS.items(), enumerate(CONSENT_DETAILS)):
        made[f"customer_consent_{cname}_{i}"] = lambda c=c, d=details: connect_text.chat_consent(d, c, lang)
    return made




def customer_family(out: dict[str, str]) -> None:
    for lang in LOCALES:
        ln = lname(lang)
        for k, (name, make) in enumerate(customer_replies(lang).items()):
            if not wanted(lang, k):
                continue
            reply = attempt(make)
            key = f"reply/{ln}/{name}"
            if isinstance(reply, dict):
                out[key] = dump(reply)
                continue
            out[f"{key}/text"] = reply.text()
            out[f"{key}/slack.message"] = dump(attempt(lambda: slack.reply_message(reply, lang)))
            out[f"{key}/slack.dm_token_pasted"] = dump(attempt(lambda: slack.reply_message(reply, lang, notes=[conversation.delete_hint(lang)])))
            out[f"{key}/slack.modal_outcome"] = dump(attempt(lambda: slack.modal_outcome(reply, lang, username=NASTY)))
            out[f"{key}/teams.card"] = dump(attempt(lambda: teams_json(teams.reply_card(reply, lang, form_intro=conversation.form_intro(lang)))))
            out[f"{key}/teams.outcome"] = dump(attempt(lambda: teams_json(teams.outcome_card(reply, lang, username=DUTCH))))
            out[f"{key}/teams.dm_token_pasted"] = dump(attempt(lambda: teams_activity(teams.reply_card(
                reply, lang, notes=[conversation.delete_hint(lang)], form_intro=conversation.form_intro(lang)), reply.headline)))
            if name.startswith(("connected_", "refused_", "pending_", "badinput_", "limited_", "internal_error")):
                # The form was closed before the outcome came: Slack says it in the DM instead.
                out[f"{key}/slack.dm_modal_gone"] = dump(attempt(lambda: slack.reply_message(reply, lang, notes=[conversation.modal_gone(lang).detail])))
            if name.startswith(("channel_", "welcome", "internal", "modal_gone", "checking", "limited")):
                out[f"{key}/slack.modal_checking"] = dump(attempt(lambda: slack.modal_checking(reply, lang)))
                out[f"{key}/slack.modal_outcome_nouser"] = dump(attempt(lambda: slack.modal_outcome(reply, lang)))
                out[f"{key}/teams.checking"] = dump(attempt(lambda: teams_json(teams.checking_card(reply))))
                out[f"{key}/teams.channel"] = dump(attempt(lambda: teams_json(teams_channel_card(reply, lang))))
        out[f"delete_hint/{ln}"] = dump(attempt(lambda: conversation.delete_hint(lang)))
        for reason in REASONS:
            out[f"field_error/{ln}/{reason}"] = dump(attempt(lambda: replies.field_error(reason, lang)))
        for username in (None, "", "jan@bakker.nl", NASTY, LONG):
            u = lname(username) if username is None or username == "" else str(len(username))
            out[f"form/{ln}/slack.connect_modal/{u}"] = dump(attempt(lambda: slack.connect_modal(lang, conversation.form_intro(lang), username=username)))
            out[f"form/{ln}/teams.form/{u}"] = dump(attempt(lambda: teams_json(teams.form(lang, conversation.form_intro(lang), username=username))))
            out[f"form/{ln}/teams.form_nointro/{u}"] = dump(attempt(lambda: teams_json(teams.form(lang, username=username))))
            for r1, r2 in itertools.product((None, "empty_username", "bad_username"), (None, "empty_token", "token_has_spaces")):
                errors = {k: attempt(lambda r=r: replies.field_error(r, lang)) for k, r in (("username", r1), ("token", r2)) if r}
                errors = {k: v for k, v in errors.items() if isinstance(v, str)}
                out[f"form/{ln}/teams.form_errors/{u}/{r1}/{r2}"] = dump(attempt(lambda: teams_json(teams.form_errors_card(
                    lang, conversation.form_intro(lang), username=username or "", errors=errors))))
        for n, staff in itertools.product((0, 1, 6, 21, 60), (False, True)):
            links = [dataclasses.replace(c, id=c.id + k) for k, c in zip(range(n), itertools.cycle(CARDS.values()))]
            checked = {c.id: (T0 + timedelta(days=k) if k % 3 else None) for k, c in enumerate(links)}
            # Staff see the support overview under their links (cut to Slack's 100 blocks a view).
            staff_blocks = attempt(lambda: slack_cmd.home_blocks(support_summary(n), lang, home_team="T1")) if staff else []
            staff_blocks = staff_blocks if isinstance(staff_blocks, list) else []
            out[f"home/{ln}/{n}/{staff}"] = dump(attempt(lambda: slack.home_view(lang, links, checked, staff_blocks=staff_blocks)))


def explain_family(out: dict[str, str]) -> None:
    for lang, (name, result) in itertools.product(LOCALES, VALIDATIONS.items()):
        out[f"explain/{lname(lang)}/{name}"] = dump(attempt(lambda: dataclasses.asdict(explain(result, lang))))
    for lang, reason, message in itertools.product(LOCALES, REASONS, ("", NASTY)):
        out[f"explain_input/{lname(lang)}/{reason}/{len(message)}"] = dump(
            attempt(lambda: dataclasses.asdict(explain_input(InvalidInput(reason, message), lang))))
    for (i, text), limit in itertools.product(enumerate((None, *TEXTS)), (1, 2, 10, 40, 3000)):
        out[f"markup.cut/{i}/{limit}"] = cut(text, limit)
    for text in (*TEXTS, None, 12, "a\n- b\n 1) c\n#d"):
        out[f"slack.escape/{text!r:.40}"] = slack.escape(text)
        out[f"teams.escape/{text!r:.40}"] = teams.escape(text)
        out[f"slack.mention/{text!r:.40}"] = slack.mention(text)
    for uid in ("U123ABC", "W0GUEST1", "u123", "U1", "B123ABC", "<@U123>"):
        out[f"slack.mention/{uid}"] = slack.mention(uid)


LABEL_KEYS = ("connect", "modal_title", "submit", "close", "cancel", "username", "username_hint", "token", "token_hint",
              "token_help", "home_title", "home_none", "home_more", "environment", "token_ending", "last_check", "never",
              "unknown", "debtors", "companies", "no_such_label")
SUPPORT_KEYS = ("sent_by", "no_env", "by", "code", "previous", "nights", "via", "customer_todo", "debtors_added",
                "debtors_removed", "companies_added", "companies_removed", "stuck", "login", "label_cleared",
                "no_such_label")


def words_family(out: dict[str, str]) -> None:
    """The fixed words the renderers pick from: form labels, state names, support labels, a link's facts."""
    for lang in LOCALES:
        ln = lname(lang)
        for key in LABEL_KEYS:
            out[f"words/{ln}/label/{key}"] = dump(attempt(lambda: replies.label(key, lang)))
        out[f"words/{ln}/consent_button"] = dump(attempt(lambda: connect_text.consent_button(lang)))
        out[f"words/{ln}/consent_page"] = dump(attempt(lambda: connect_text.consent_page_words(lang)))
        out[f"words/{ln}/consent_hint"] = dump(attempt(lambda: connect_text.consent_hint(lang)))
        for state in (*STATES, "", "<odd>"):
            out[f"words/{ln}/state_label/{state}"] = dump(attempt(lambda: replies.state_label(state, lang)))
        for key in (*SUPPORT_KEYS, *AlertKind):
            out[f"words/{ln}/support_label/{key}"] = dump(attempt(lambda: support_label(key, lang)))
        for (cname, c), scope in itertools.product(CARDS.items(), (True, False)):
            out[f"words/{ln}/link_facts/{cname}/{scope}"] = dump(attempt(lambda: replies.link_facts(c, lang, scope=scope)))
        for default in ("nl", "en", "de"):
            out[f"words/{ln}/lang_of/{default}"] = dump(attempt(lambda: replies.lang_of(lang, default)))
