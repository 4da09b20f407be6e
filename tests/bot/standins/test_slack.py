"""The Slack stand-in answers slack_sdk like Slack does, and the requests it builds pass bolt."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs
from urllib.request import Request, urlopen

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.standins.slack.payloads import (
    app_home_opened,
    app_mention,
    block_actions,
    event_callback,
    message_changed,
    message_im,
    sign,
    slash_command,
    url_verification,
    view_submission,
)
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_ID,
    dm_channel,
    new_trigger_id,
)

CUSTOMER = "U0CUSTOMER"
STAFF = "U0STAFF"
SUPPORT_CHANNEL = "C0SUPPORT"
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Nmbrs koppelen"}, "blocks": []}


@pytest.fixture(scope="module")
def server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


@pytest.fixture
def slack(server: SlackStandIn) -> SlackStandIn:
    server.reset()
    server.add_user(CUSTOMER, name="jan", real_name="Jan de Vries", locale="nl-NL")
    server.add_user(STAFF, name="sanne", locale="en-GB", tz="Europe/London")
    return server


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer["user_id"] == BOT_USER_ID
    assert answer["bot_id"] == BOT_ID
    assert answer["team_id"] == TEAM_ID
    assert answer["is_enterprise_install"] is False
    assert answer["url"].startswith("https://")


async def test_unknown_and_missing_tokens_are_refused(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token="xoxb-not-ours", base_url=slack.base_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as anonymous:
        await AsyncWebClient(base_url=slack.base_url).auth_test()
    assert anonymous.value.response["error"] == "not_authed"
    assert "Authorization" not in {k.title() for k in slack.calls("auth.test")[0].headers}


async def test_unknown_method_is_named(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("conversations.history")
    assert refused.value.response["error"] == "unknown_method"


async def test_post_message_ts_is_unique_and_increasing_under_load(client: AsyncWebClient, slack: SlackStandIn) -> None:
    answers = await asyncio.gather(*(client.chat_postMessage(channel=SUPPORT_CHANNEL, text=f"#{i}") for i in range(300)))
    stamps = [a["ts"] for a in answers]
    assert len(set(stamps)) == 300
    assert sorted(stamps, key=float) == sorted(stamps)  # fixed width: string order is time order
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    first = await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="a")
    second = await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="b")
    assert float(second["ts"]) > float(first["ts"])
    assert len(slack.calls("chat.postMessage")) == 302


async def test_post_message_records_threads_and_blocks(client: AsyncWebClient, slack: SlackStandIn) -> None:
    root = await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="Link 7 actief")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Link 7* is stuk"}}]
    await client.chat_postMessage(
        channel=SUPPORT_CHANNEL, thread_ts=root["ts"], reply_broadcast=True, text="Link 7 stuk", blocks=blocks
    )
    reply = slack.calls("chat.postMessage")[-1]
    assert reply.params["thread_ts"] == root["ts"]
    assert reply.params["reply_broadcast"] is True
    assert reply.params["blocks"] == blocks and reply.params["text"] == "Link 7 stuk"
    [stored] = slack.messages(SUPPORT_CHANNEL, thread_ts=root["ts"])
    assert stored["parent_user_id"] == BOT_USER_ID and stored["bot_id"] == BOT_ID


async def test_post_message_to_a_user_lands_in_their_dm(client: AsyncWebClient) -> None:
    answer = await client.chat_postMessage(channel=CUSTOMER, text="Gelukt")
    assert answer["channel"] == dm_channel(CUSTOMER)


async def test_post_message_refuses_what_slack_refuses(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel=SUPPORT_CHANNEL)
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x", blocks=[{"type": "divider"}] * 51)
    assert refused.value.response["error"] == "invalid_blocks"
    assert refused.value.response["response_metadata"]["messages"]


async def test_users_info_gives_locale_only_when_asked(client: AsyncWebClient) -> None:
    plain = await client.users_info(user=CUSTOMER)
    assert "locale" not in plain["user"]
    with_locale = await client.users_info(user=CUSTOMER, include_locale=True)
    user = with_locale["user"]
    assert user["locale"] == "nl-NL"
    assert user["team_id"] == TEAM_ID and user["is_bot"] is False
    assert user["tz"] == "Europe/Amsterdam" and user["profile"]["real_name"] == "Jan de Vries"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")


async def test_usergroup_members(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.add_usergroup("S0SUPPORT", [STAFF])
    assert (await client.usergroups_users_list(usergroup="S0SUPPORT"))["users"] == [STAFF]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        await client.usergroups_users_list(usergroup="S0OTHER")


async def test_conversations_open_gives_a_stable_dm(client: AsyncWebClient) -> None:
    first = await client.conversations_open(users=CUSTOMER)
    again = await client.conversations_open(users=CUSTOMER)
    assert first["channel"]["id"] == again["channel"]["id"] == dm_channel(CUSTOMER)
    assert first["channel"]["id"].startswith("D")
    assert again["already_open"] is True


def test_form_encoded_bodies_are_understood(slack: SlackStandIn) -> None:
    """The sync client sends forms; JSON-valued fields arrive as strings and are decoded."""
    sync = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    assert sync.conversations_open(users=CUSTOMER)["channel"]["id"] == dm_channel(CUSTOMER)
    assert slack.calls("conversations.open")[-1].headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = f"channel={SUPPORT_CHANNEL}&text=hoi&blocks=" + json.dumps([{"type": "divider"}])
    request = Request(
        slack.base_url + "chat.postMessage",
        data=body.encode(),
        headers={"Authorization": f"Bearer {BOT_TOKEN}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urlopen(request) as response:
        assert json.load(response)["ok"] is True
    assert slack.calls("chat.postMessage")[-1].params["blocks"] == [{"type": "divider"}]


async def test_rate_limit_answers_429_with_retry_after(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"
    assert limited.value.response["error"] == "ratelimited"


async def test_rate_limit_retry_handler_waits_and_succeeds(client: AsyncWebClient, slack: SlackStandIn) -> None:
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    answer = await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x")
    assert answer["ok"] is True
    limited, delivered = slack.calls("chat.postMessage")
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 1.0
    assert time.monotonic() - started >= 1.0


async def test_injected_errors_and_outages(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    slack.fail_next("chat.postMessage", error="internal_error", status=500)
    with pytest.raises(SlackApiError) as missing:
        await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x")
    assert (missing.value.response.status_code, missing.value.response["error"]) == (200, "channel_not_found")
    with pytest.raises(SlackApiError) as outage:
        await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x")
    assert outage.value.response.status_code == 500
    assert (await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x"))["ok"] is True


async def test_injected_failures_count_down(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("auth.test", error="fatal_error", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            await client.auth_test()
    assert (await client.auth_test())["ok"] is True


async def test_a_failure_for_one_user_or_channel_lets_the_others_pass(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("conversations.open", error="cannot_dm_bot", target=CUSTOMER)
    slack.fail_next("chat.postMessage", error="is_archived", target=SUPPORT_CHANNEL)
    assert (await client.conversations_open(users=STAFF))["ok"] is True  # someone else: passes, failure kept
    assert (await client.chat_postMessage(channel=STAFF, text="x"))["ok"] is True
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_open(users=CUSTOMER)
    assert refused.value.response["error"] == "cannot_dm_bot"
    with pytest.raises(SlackApiError) as archived:
        await client.chat_postMessage(channel=SUPPORT_CHANNEL, text="x")
    assert archived.value.response["error"] == "is_archived"
    assert (await client.conversations_open(users=CUSTOMER))["ok"] is True  # used up


async def test_bot_deletes_only_its_own_messages(client: AsyncWebClient, slack: SlackStandIn) -> None:
    channel = dm_channel(CUSTOMER)
    pasted = slack.add_message(channel, CUSTOMER, "mijn token is 0123abcd")
    with pytest.raises(SlackApiError, match="cant_delete_message"):
        await client.chat_delete(channel=channel, ts=pasted)
    with pytest.raises(SlackApiError, match="cant_update_message"):
        await client.chat_update(channel=channel, ts=pasted, text="weg")
    own = await client.chat_postMessage(channel=channel, text="Controleren...")
    await client.chat_update(channel=channel, ts=own["ts"], text="Gelukt")
    assert [m["text"] for m in slack.messages(channel)] == ["mijn token is 0123abcd", "Gelukt"]
    await client.chat_delete(channel=channel, ts=own["ts"])
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_delete(channel=channel, ts=own["ts"])


async def test_post_ephemeral_returns_message_ts(client: AsyncWebClient) -> None:
    answer = await client.chat_postEphemeral(channel=SUPPORT_CHANNEL, user=STAFF, text="Alleen voor jou")
    assert answer["message_ts"]


async def test_views_open_wants_a_fresh_unused_trigger(client: AsyncWebClient, slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.api_call("views.open", json={"view": MODAL})
    trigger = new_trigger_id()
    opened = await client.views_open(trigger_id=trigger, view=MODAL)
    assert opened["view"]["id"].startswith("V") and opened["view"]["hash"]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=trigger, view=MODAL)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=new_trigger_id(issued_at=time.time() - 4), view=MODAL)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="made-up", view=MODAL)
    long_title = dict(MODAL, title={"type": "plain_text", "text": "x" * 25})
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_open(trigger_id=new_trigger_id(), view=long_title)


async def test_views_update_push_and_publish(client: AsyncWebClient, slack: SlackStandIn) -> None:
    opened = (await client.views_open(trigger_id=new_trigger_id(), view=MODAL))["view"]
    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL))["view"]
    assert updated["id"] == opened["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=opened["id"], hash="1.stale", view=MODAL)
    with pytest.raises(SlackApiError, match="not_found"):
        await client.views_update(view_id="V0NONE", view=MODAL)
    assert (await client.views_push(trigger_id=new_trigger_id(), view=MODAL))["view"]["id"] != opened["id"]
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hoi"}}]}
    published = (await client.views_publish(user_id=CUSTOMER, view=home))["view"]
    assert slack.home_view(CUSTOMER) == published
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id=CUSTOMER, view=MODAL)


async def test_response_url_takes_five_posts(slack: SlackStandIn) -> None:
    webhook = AsyncWebhookClient(slack.response_url("status-1"))
    answers = [await webhook.send(text=f"deel {i}") for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [404]
    assert answers[0].body == "ok"
    assert [c.params["text"] for c in slack.responses("status-1")] == [f"deel {i}" for i in range(6)]


def test_wait_for_sees_calls_from_other_threads_and_names_what_came(slack: SlackStandIn) -> None:
    def later() -> None:
        time.sleep(0.2)
        WebClient(token=BOT_TOKEN, base_url=slack.base_url).chat_postMessage(channel=SUPPORT_CHANNEL, text="klaar")

    threading.Thread(target=later).start()
    [call] = slack.wait_for("chat.postMessage", lambda c: c.params["text"] == "klaar", timeout=5)
    assert call.ok and call.perf_counter <= time.perf_counter()
    with pytest.raises(AssertionError, match=r"chat.postMessage\(200\)"):
        slack.wait_for("views.open", timeout=0.2)


async def test_wait_for_async_leaves_the_loop_free(client: AsyncWebClient, slack: SlackStandIn) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await client.auth_test()

    task = asyncio.create_task(later())
    [call] = await slack.wait_for_async("auth.test")
    await task
    assert call.ok


async def test_latency_delays_answers(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.latency = 0.2
    try:
        started = time.monotonic()
        await client.auth_test()
        assert time.monotonic() - started >= 0.2
    finally:
        slack.latency = 0.0


# --- requests Slack sends -------------------------------------------------------------------------


def test_sign_verifies_with_slack_sdk() -> None:
    body = slash_command("status", STAFF, TEAM_ID, SUPPORT_CHANNEL, "http://127.0.0.1:1/response/x").body
    headers = sign(body, SIGNING_SECRET)
    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"&text=revoke", headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body, sign(body, SIGNING_SECRET, timestamp=int(time.time()) - 301))


def test_event_callback_looks_like_slacks() -> None:
    event = message_im(CUSTOMER, "jan@example.nl 0123456789abcdef")
    request = event_callback(event, TEAM_ID)
    envelope = json.loads(request.body)
    assert request.content_type == "application/json"
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == BOT_USER_ID
    context = json.loads(base64.urlsafe_b64decode(envelope["event_context"][2:] + "=="))
    assert context == {"et": "message", "tid": TEAM_ID, "aid": envelope["api_app_id"], "cid": dm_channel(CUSTOMER)}
    assert envelope["event"]["channel_type"] == "im"
    # Slack links e-mail addresses in the text it delivers; the token stays as typed.
    assert envelope["event"]["text"] == "<mailto:jan@example.nl|jan@example.nl> 0123456789abcdef"
    assert envelope["event"]["blocks"][0]["elements"][0]["elements"][0]["url"] == "mailto:jan@example.nl"
    assert message_im(CUSTOMER, "a < b & c")["text"] == "a &lt; b &amp; c"
    assert message_im(CUSTOMER, "jan@example.nl", autoformat=False)["text"] == "jan@example.nl"


def test_retries_keep_the_body_and_say_so() -> None:
    request = event_callback(message_im(CUSTOMER, "hoi"))
    headers = request.headers(retry_num=1)
    assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(request.body, headers)


def test_slash_command_and_interactivity_are_form_encoded() -> None:
    command = slash_command("check all", STAFF, TEAM_ID, SUPPORT_CHANNEL, "http://127.0.0.1:1/response/c")
    fields = parse_qs(command.body.decode())
    assert fields["command"] == ["/nmbrs"] and fields["text"] == ["check all"]
    assert fields["trigger_id"][0] and command.content_type == "application/x-www-form-urlencoded"
    submission = view_submission("connect", {"username": {"value": "jan@example.nl"}, "token": {"value": None}}, CUSTOMER)
    payload = json.loads(parse_qs(submission.body.decode())["payload"][0])
    assert payload["view"]["state"]["values"]["token"]["value"] == {"type": "plain_text_input", "value": None}
    assert payload["user"]["team_id"] == TEAM_ID


async def test_bolt_accepts_the_built_requests(slack: SlackStandIn) -> None:
    """The payloads go through bolt's own verification and routing, and bolt's respond() and
    say() land in the stand-in: the builders are faithful enough for the real app."""
    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url), signing_secret=SIGNING_SECRET)
    seen: dict[str, object] = {}

    @app.command("/nmbrs")
    async def nmbrs(ack, respond, command) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await respond(f"status voor {command['text']}")

    @app.event("message")
    async def dm(event, say) -> None:  # type: ignore[no-untyped-def]
        seen[event.get("subtype") or "message"] = event
        await say("ontvangen")

    @app.event("app_mention")
    async def mention(event) -> None:  # type: ignore[no-untyped-def]
        seen["app_mention"] = event

    @app.event("app_home_opened")
    async def home(event) -> None:  # type: ignore[no-untyped-def]
        seen["app_home_opened"] = event

    @app.action("connect")
    async def clicked(ack, body) -> None:  # type: ignore[no-untyped-def]
        await ack()
        seen["block_actions"] = body

    @app.view("connect")
    async def submitted(ack, view) -> None:  # type: ignore[no-untyped-def]
        await ack()
        seen["view_submission"] = view["state"]["values"]

    async def deliver(request):  # type: ignore[no-untyped-def]
        return await app.async_dispatch(AsyncBoltRequest(body=request.body.decode(), headers=request.headers()))

    challenge = await deliver(url_verification("3eZbrw1aB"))
    assert challenge.status == 200 and json.loads(challenge.body) == {"challenge": "3eZbrw1aB"}

    respond_to = slack.response_url("cmd-1")
    command = slash_command("jan@example.nl", STAFF, TEAM_ID, SUPPORT_CHANNEL, respond_to)
    assert (await deliver(command)).status == 200
    [answer] = await slack.wait_for_async("response_url", lambda c: c.name == "cmd-1")
    assert answer.params["text"] == "status voor jan@example.nl"

    for event in (
        message_im(CUSTOMER, "hallo"),
        message_changed(CUSTOMER, "nieuw", previous_text="oud"),
        app_mention(STAFF, "help", SUPPORT_CHANNEL),
        app_home_opened(CUSTOMER),
    ):
        assert (await deliver(event_callback(event))).status == 200
    assert (await deliver(block_actions("connect", CUSTOMER, value="start"))).status == 200
    values = {"username": {"value": "jan@example.nl"}}
    assert (await deliver(view_submission("connect", values, CUSTOMER))).status == 200

    await slack.wait_for_async("chat.postMessage", lambda c: c.params["channel"] == dm_channel(CUSTOMER), count=2)
    for _ in range(100):
        if len(seen) == 6:
            break
        await asyncio.sleep(0.02)
    assert seen["message"]["channel_type"] == "im"  # type: ignore[index]
    assert seen["message_changed"]["message"]["text"] == "nieuw"  # type: ignore[index]
    assert seen["app_mention"]["text"].startswith(f"<@{BOT_USER_ID}>")  # type: ignore[index]
    assert seen["app_home_opened"]["tab"] == "home"  # type: ignore[index]
    assert seen["block_actions"]["actions"][0]["value"] == "start"  # type: ignore[index]
    assert seen["view_submission"]["username"]["value"]["value"] == "jan@example.nl"  # type: ignore[index]

    forged = event_callback(message_im(CUSTOMER, "hallo"))
    rejected = await app.async_dispatch(
        AsyncBoltRequest(body=forged.body.decode(), headers=forged.headers("not-the-secret"))
    )
    assert rejected.status == 401
