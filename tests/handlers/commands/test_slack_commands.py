"""/nmbrs end to end: signed requests over HTTP into the app, the Slack and Nmbrs stand-ins behind it."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.command_blocks import REVOKE_CANCEL, REVOKE_CONFIRM
from bot.slack.commands import ProgressPoster, Replier, support_home_blocks
from bot.standins.slack.payloads import app_home_opened, event_callback
from bot.standins.slack.workspace import BOT_TOKEN, TEAM_ID
from handlers.commands import Commands
from handlers.recheck import RunProgress
from storage.links import store_credentials
from storage.models import Link, LinkState
from tests.handlers.commands.conftest import (
    CUSTOMER,
    GUEST,
    GUEST_TEAM,
    LISTED,
    OTHER_CUSTOMER,
    STAFF,
    TOKENS,
    Harness,
)


def flat(message: dict[str, Any]) -> str:
    """Everything a message shows, as one string (text and all blocks)."""
    return json.dumps(message, ensure_ascii=False)


async def test_help_shows_customers_only_their_commands(harness: Harness) -> None:
    customer = flat(await harness.ack("help", user=CUSTOMER))
    assert "/nmbrs status" in customer and "/nmbrs revoke" not in customer
    staff = flat(await harness.ack("", user=STAFF))
    assert "/nmbrs revoke <link>" not in staff  # escaped on the way out
    assert "/nmbrs revoke &lt;link&gt;" in staff and "support" in staff.lower()
    dutch = flat(await harness.ack("help", user=LISTED))
    assert "Supportopdrachten" in dutch


async def test_connect_opens_the_form(harness: Harness) -> None:
    response, name = await harness.command("connect", user=CUSTOMER)
    assert response.text == ""  # a bare acknowledgement: the form is the answer
    [opened] = await harness.slack.wait_for_async("views.open")
    assert opened.ok and opened.params["view"]["type"] == "modal"
    assert harness.slack.responses(name) == []


async def test_connect_says_so_when_the_form_cannot_open(harness: Harness) -> None:
    harness.slack.fail_next("views.open", "expired_trigger_id")
    _, name = await harness.command("connect", user=CUSTOMER)
    [answer] = await harness.responses(name)
    assert "did not open" in answer["text"] and answer["replace_original"] is True


async def test_customer_status_shows_only_their_links_in_detail(harness: Harness) -> None:
    answer = flat(await harness.ack("status", user=CUSTOMER))
    assert f"*L{harness.links['acme']}*" in answer and f"*L{harness.links['initech']}*" in answer
    assert "globex" not in answer
    # details: state, environment, username, token ending, companies named, sender
    assert "hr@acme.nl" in answer and "…" + TOKENS["hr@acme.nl"][-4:] in answer
    assert "&lt;!channel&gt; B.V." in answer and "<!channel>" not in answer
    assert f"<@{CUSTOMER}>" in answer


async def test_someone_elses_link_and_a_missing_link_get_the_same_refusal(harness: Harness) -> None:
    theirs = await harness.ack(f"status L{harness.links['globex']}", user=CUSTOMER)
    missing = await harness.ack("status L999", user=CUSTOMER)
    assert flat(theirs).replace(f"L{harness.links['globex']}", "L?") == flat(missing).replace("L999", "L?")
    assert "None of your links" in theirs["text"]
    refused = [(a.action, a.actor, a.link_id) for a in await harness.audits() if a.result == "refused"]
    assert refused == [("command.status", CUSTOMER, harness.links["globex"]), ("command.status", CUSTOMER, None)]


async def test_staff_find_any_link_by_username_environment_label_or_id(harness: Harness) -> None:
    by_user = flat(await harness.ack("status payroll@globex", user=STAFF))
    assert f"*L{harness.links['globex']}*" in by_user and f"<@{OTHER_CUSTOMER}>" in by_user
    by_id = flat(await harness.ack(f"status {harness.links['initech']}", user=LISTED))
    assert "admin@initech.nl" in by_id and "acme" not in by_id
    nothing = await harness.ack("status nobody", user=STAFF)
    assert nothing["text"] == "No link matches “nobody”."


async def test_staff_commands_are_refused_to_customers_and_guests_alike(harness: Harness) -> None:
    texts = ["list", "check all", f"check L{harness.links['acme']}", "history L999",
             f"label L{harness.links['acme']} mine", f"revoke L{harness.links['globex']}", "revoke L999"]
    answers = set()
    for text in texts:
        answers.add(flat(await harness.ack(text, user=CUSTOMER)))
        answers.add(flat(await harness.ack(text, user=GUEST, team=GUEST_TEAM)))
    assert len(answers) == 1 and "for the support team" in answers.pop()
    # A guest whose user id is a staff member's in another organisation is not staff either.
    harness.slack.add_user(STAFF, team_id=GUEST_TEAM, locale="en-GB")
    assert "for the support team" in flat(await harness.ack("list", user=STAFF, team=GUEST_TEAM))
    refused = [a for a in await harness.audits() if a.result == "refused"]
    assert len(refused) == 2 * len(texts) + 1
    assert {a.action for a in refused} == {"command.list", "command.check", "command.history", "command.label",
                                           "command.revoke"}
    async with harness.desk.sessions() as session:
        link = await session.get(Link, harness.links["acme"])
        assert link.label is None and link.holds_token


async def test_the_support_group_is_read_once_for_many_commands(harness: Harness) -> None:
    for _ in range(4):
        await harness.ack("list", user=STAFF)
        await harness.ack("status", user=CUSTOMER)
    assert len(harness.slack.calls("usergroups.users.list")) == 1
    # listed users never need the group
    await harness.ack("list", user=LISTED)
    assert len(harness.slack.calls("usergroups.users.list")) == 1


async def test_list_all_by_state_and_a_wrong_state(harness: Harness) -> None:
    everything = flat(await harness.ack("list", user=STAFF))
    assert "*3 link(s)*" in everything and "No nightly check has finished yet." in everything
    broken = flat(await harness.ack("list broken", user=STAFF))
    assert f"*L{harness.links['globex']}*" in broken and "hr@acme.nl" not in broken
    assert "No `revoked` links." in flat(await harness.ack("list revoked", user=STAFF))
    wrong = await harness.ack("list sleeping", user=STAFF)
    assert "`sleeping` is not a state" in wrong["text"]
    for state in ("pending", "active", "rejected", "broken", "unverified", "revoked"):
        assert f"`{state}`" in wrong["text"]
    assert "Usage: `/nmbrs list [state]`" in wrong["text"]


async def test_unknown_subcommands_missing_arguments_and_unknown_links(harness: Harness) -> None:
    unknown = await harness.ack("frobnicate", user=STAFF)
    assert "There is no `/nmbrs frobnicate`" in unknown["text"] and "/nmbrs history" in flat(unknown)
    customer_unknown = flat(await harness.ack("<!channel>", user=CUSTOMER))
    assert "&lt;!channel&gt;" in customer_unknown and "<!channel>" not in customer_unknown
    assert "/nmbrs history" not in customer_unknown
    missing = await harness.ack("history", user=STAFF)
    assert missing["text"].startswith("Which link?") and "`/nmbrs history &lt;link&gt;`" in missing["text"]
    bad = await harness.ack("revoke acme", user=STAFF)
    assert "`acme` is not a link id" in bad["text"]
    assert (await harness.ack("history L99", user=STAFF))["text"] == "There is no link L99."
    assert (await harness.ack("revoke 99", user=STAFF))["text"] == "There is no link L99."


async def test_check_one_link_answers_after_the_acknowledgement(harness: Harness) -> None:
    link_id = harness.links["globex"]  # broken, but Nmbrs accepts its token again
    response, name = await harness.command(f"check L{link_id}", user=STAFF)
    assert f"Checking L{link_id} with Nmbrs" in response.json()["text"]
    [answer] = await harness.responses(name)
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    assert "Nmbrs accepts the token" in answer["text"] and "works again" in answer["text"]
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).state == "active"
    entries = [(a.action, a.link_id) for a in await harness.audits()]
    assert ("command.check", link_id) in entries


async def test_check_one_rejected_token(harness: Harness) -> None:
    harness.nmbrs.set_token("hr@acme.nl", "f" * 32)
    _, name = await harness.command(f"check L{harness.links['acme']}", user=STAFF)
    [answer] = await harness.responses(name)
    assert "Nmbrs rejects the token" in answer["text"] and "credentials" in answer["text"]
    assert "One more attempt confirms" in answer["text"] and "State now: :large_green_circle: `active`" in answer["text"]


async def test_check_all_updates_one_message_within_the_response_url_limit(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("handlers.recheck.service.PROGRESS_EVERY_S", 0.0)  # report every link, to see the throttle work
    monkeypatch.setattr("bot.slack.commands.PROGRESS_MIN_INTERVAL_S", 0.0)
    async with harness.desk.sessions() as session, session.begin():
        for i in range(9):  # tokens Nmbrs does not know: each is rejected, confirmed and broken
            await store_credentials(session, harness.desk.cipher, username=f"gone{i}@old.nl", token=f"{i:x}" * 32,
                                    environment=f"old{i}", state=LinkState.ACTIVE, platform="slack",
                                    team_id=TEAM_ID, user_id=OTHER_CUSTOMER)
    response, name = await harness.command("check all", user=STAFF)
    assert "0 of 12 (0%)" in response.json()["text"]
    await harness.slack.wait_for_async("response_url", lambda c: c.name == name and "Checked" in c.params["text"],
                                       timeout=15)
    await harness.ctx.settle(5)
    answers = [c.params for c in harness.slack.responses(name)]
    # How many progress reports there are depends on how the run batches its writes; the limits do not.
    assert 2 <= len(answers) <= 4 and all(a["replace_original"] is True for a in answers)
    progress, summary = answers[:-1], answers[-1]
    done = [int(re.search(r"(\d+) of 12", a["text"]).group(1)) for a in progress]
    assert done == sorted(set(done)) and done[-1] == 12
    assert "Checked 12 link(s)" in summary["text"]
    shown = flat(summary)
    assert "10 change(s)" in shown and "the link works again" in shown and "the link is broken" in shown
    assert all(c.status == 200 for c in harness.slack.responses(name))


async def test_progress_is_throttled_to_three_updates() -> None:
    sent: list[str] = []

    async def respond(**message: Any) -> Any:
        sent.append(message["text"])
        return type("Answer", (), {"status_code": 200})()

    replier = Replier(ack=None, respond=respond, client=AsyncWebClient(), user_id=STAFF)
    now = [0.0]
    poster = ProgressPoster(replier, lang="en", min_interval_s=2.0, clock=lambda: now[0])
    for done in range(0, 31):
        now[0] += 0.5  # one link every half second: 15 s in all
        await poster(RunProgress(done=done, total=30))
    assert poster.posted == [(10, 30), (20, 30), (30, 30)]
    assert replier.posts_left == 2  # the summary and one spare
    # Close together, a mark waits for the interval rather than being dropped.
    replier, now[0] = Replier(ack=None, respond=respond, client=AsyncWebClient(), user_id=STAFF), 0.0
    poster = ProgressPoster(replier, lang="nl", min_interval_s=2.0, clock=lambda: now[0])
    for done in (5, 9, 10, 10):
        now[0] += 1.0
        await poster(RunProgress(done=done, total=10))
    assert poster.posted == [(9, 10), (10, 10)] and "10 van 10" in sent[-1]


async def test_a_used_up_response_url_sends_the_result_by_dm(harness: Harness) -> None:
    harness.slack.fail_next("response_url", "used_url", status=404)
    _, name = await harness.command(f"check L{harness.links['acme']}", user=STAFF)
    [dm] = await harness.slack.wait_for_async("chat.postMessage", lambda c: c.params["channel"] == STAFF)
    assert "Nmbrs accepts the token" in dm.params["text"]
    assert [c.status for c in harness.slack.responses(name)] == [404]


async def test_check_all_while_a_run_is_going_on(harness: Harness) -> None:
    recheck = harness.ctx.recheck
    async with recheck._exclusive():  # type: ignore[attr-defined]  # the nightly run, as it were
        _, name = await harness.command("check all", user=STAFF)
        [answer] = await harness.responses(name)
    assert "A check run is going on already" in answer["text"]


async def test_history_shows_checks_and_audit_newest_first(harness: Harness) -> None:
    link_id = harness.links["acme"]
    _, name = await harness.command(f"check L{link_id}", user=STAFF)
    await harness.responses(name)
    await harness.ack(f"label L{link_id} Acme payroll", user=LISTED)
    history = await harness.ack(f"history L{link_id}", user=STAFF)
    shown = flat(history)
    assert history["text"] == f"History of L{link_id}"
    assert "manual · `valid`" in shown and " ms" in shown
    labelled, checked = shown.index("`command.label`"), shown.index("`command.check`")
    assert labelled < checked  # newest first
    assert f"<@{LISTED}>" in shown and f"<@{STAFF}>" in shown


async def test_label_is_escaped_everywhere_and_noted_in_the_thread(harness: Harness) -> None:
    link_id = harness.links["acme"]
    answer = await harness.ack(f"label L{link_id}   <!channel> & <@U0OTHER> payroll  ", user=STAFF)
    assert "“&lt;!channel&gt; &amp; &lt;@U0OTHER&gt; payroll”" in answer["text"]
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).label == "<!channel> & <@U0OTHER> payroll"
    posts = await harness.slack.wait_for_async("chat.postMessage", lambda c: "Label" in flat(c.params), timeout=5)
    for call in harness.slack.calls("chat.postMessage"):
        assert call.params["channel"] == "C0SUPPORT"
        assert "<!channel>" not in flat(call.params) and "<@U0OTHER>" not in flat(call.params)
    assert "&lt;!channel&gt;" in flat(posts[-1].params) and posts[-1].params.get("thread_ts")
    listed = flat(await harness.ack("list", user=STAFF))
    assert "&lt;!channel&gt;" in listed and "<!channel>" not in listed


async def test_label_validation(harness: Harness) -> None:
    link_id = harness.links["acme"]
    assert (await harness.ack(f"label L{link_id}", user=STAFF))["text"].startswith("The label is empty.")
    too_long = await harness.ack(f"label L{link_id} {'x' * 201}", user=STAFF)
    assert "at most 200 characters" in too_long["text"]
    control = await harness.ack(f"label L{link_id} two\nlines", user=STAFF)
    assert "control characters" in control["text"]
    secret = await harness.ack(f"label L{link_id} {TOKENS['hr@acme.nl']}", user=STAFF)
    # Issue 12 finding 8: refused as a pasted token (no longer a usage problem of the label).
    assert "looks like an Nmbrs API token" in secret["text"] and "reset it in Nmbrs" in flat(secret)
    assert TOKENS["hr@acme.nl"] not in flat(secret)
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).label is None
    assert [(a.action, a.result) for a in await harness.audits()][3:] == [("command.label", "refused")]
    assert [a.result for a in await harness.audits()] == ["failed"] * 3 + ["refused"]


async def test_revoke_asks_and_confirm_destroys_the_token(harness: Harness) -> None:
    link_id = harness.links["acme"]
    asked = await harness.ack(f"revoke L{link_id}", user=STAFF)
    buttons = asked["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(REVOKE_CONFIRM, str(link_id)), (REVOKE_CANCEL, str(link_id))]
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).holds_token
    name = await harness.click(REVOKE_CONFIRM, str(link_id), user=STAFF)
    [done] = await harness.responses(name)
    assert done["replace_original"] is True and f"L{link_id} revoked" in done["text"]
    async with harness.desk.sessions() as session:
        link = await session.get(Link, link_id)
        assert link.state == "revoked" and link.token_ciphertext is None and link.token_key_id is None
    thread = await harness.slack.wait_for_async("chat.postMessage", lambda c: "Revoked" in flat(c.params))
    assert thread[-1].params.get("thread_ts")
    again = await harness.click(REVOKE_CONFIRM, str(link_id), user=STAFF)
    assert "already revoked" in (await harness.responses(again))[0]["text"]
    assert "already revoked" in (await harness.ack(f"revoke L{link_id}", user=STAFF))["text"]
    actions = [(a.action, a.result) for a in await harness.audits()]
    assert actions == [("command.revoke", "ok"), ("command.revoke.confirm", "ok"),
                       ("command.revoke.confirm", "failed"), ("command.revoke", "failed")]


async def test_revoke_cancel_and_a_customer_pressing_confirm(harness: Harness) -> None:
    link_id = harness.links["globex"]
    name = await harness.click(REVOKE_CANCEL, str(link_id), user=STAFF)
    assert (await harness.responses(name))[0]["text"] == f"Cancelled: L{link_id} is left as it was."
    forged = await harness.click(REVOKE_CONFIRM, str(link_id), user=OTHER_CUSTOMER)
    assert "supportteam" in (await harness.responses(forged))[0]["text"]  # Dutch locale
    async with harness.desk.sessions() as session:
        assert (await session.get(Link, link_id)).holds_token
    actions = [(a.action, a.actor, a.result) for a in await harness.audits()]
    assert actions == [("command.revoke.cancel", STAFF, "ok"), ("command.revoke.confirm", OTHER_CUSTOMER, "refused")]


async def test_a_slow_command_is_acknowledged_first_then_answered(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.slack.commands.ACK_BUDGET_S", 0.0)
    response, name = await harness.command("list", user=STAFF)
    assert "One moment" in response.json()["text"]
    [answer] = await harness.responses(name)
    assert answer["replace_original"] is True and "*3 link(s)*" in flat(answer)


async def test_an_unexpected_failure_is_answered_with_a_reference(harness: Harness, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    async def broken(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(Commands, "handle", broken)
    answer = await harness.ack("list", user=STAFF)
    assert "Something went wrong" in answer["text"] and "Reference: `" in answer["text"]
    assert "database went away" not in answer["text"]
    assert any("/nmbrs failed" in r.getMessage() for r in caplog.records)


async def test_support_home_for_staff_only(harness: Harness) -> None:
    await harness.ack(f"label L{harness.links['acme']} <!here>", user=STAFF)
    assert await support_home_blocks(harness.ctx, CUSTOMER) is None
    assert await support_home_blocks(harness.ctx, GUEST) is None
    blocks = await support_home_blocks(harness.ctx, STAFF)
    assert blocks is not None and blocks[0]["type"] == "header"
    shown = json.dumps(blocks)
    assert "*3 link(s)*" in shown and "`labelled`" in shown and "`command.label`" in shown
    assert "No nightly check has finished yet." in shown
    client = AsyncWebClient(token=BOT_TOKEN, base_url=harness.slack.base_url)
    published = await client.views_publish(user_id=STAFF, view={"type": "home", "blocks": blocks})
    assert published["ok"]


async def test_no_token_ever_reaches_slack_or_the_logs(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    token = TOKENS["hr@acme.nl"]
    acks = []
    for text in ("status", "list", "history L1", "label L1 x", f"status {token}", f"revoke {token}",
                 f"list {token}", token, "revoke L1"):
        acks.append(await harness.ack(text, user=STAFF))
    acks.append(await harness.ack("status", user=CUSTOMER))
    connect, _ = await harness.command(f"connect hr@acme.nl {token}", user=CUSTOMER)
    assert connect.text == ""
    acks.append(await harness.ack(f"status hr@acme.nl {token}", user=CUSTOMER))
    assert "looks like an Nmbrs API token" in flat(acks)
    _, name = await harness.command("check L1", user=STAFF)
    await harness.responses(name)
    await harness.ctx.outbox.drain()
    # Our own loggers at every level, anything else from INFO up (third-party DEBUG lines such as
    # SQL parameters are masked by the RedactingFilter in production, not here).
    ours = ("bot", "handlers", "storage")
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.split(".")[0] in ours or r.levelno >= logging.INFO)
    seen = flat([c.params for c in harness.slack.calls()]) + logged + flat(acks)
    seen += flat([(a.detail, a.action) for a in await harness.audits()])
    for token in TOKENS.values():
        assert token not in seen


async def test_app_home_shows_the_support_overview_to_staff_only(harness: Harness) -> None:
    for user in (STAFF, CUSTOMER):
        response = await harness.post(event_callback(app_home_opened(user)))
        assert response.status_code == 200
    await harness.ctx.settle(5)
    staff_view = harness.slack.home_view(STAFF)
    customer_view = harness.slack.home_view(CUSTOMER)
    assert staff_view is not None and customer_view is not None
    assert "Support overview" in flat(staff_view["blocks"]) and "*3 link(s)*" in flat(staff_view["blocks"])
    assert "Support overview" not in flat(customer_view["blocks"])
