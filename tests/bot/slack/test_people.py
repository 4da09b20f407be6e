"""Who is writing: language from the locale, home team or guest, users.info asked once an hour."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.people import People, ids_of
from bot.standins.slack.payloads import (
    app_home_opened,
    app_mention,
    block_actions,
    event_callback,
    message_changed,
    slash_command,
)
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, TEAM_ID
from handlers.text.locale import lang_for_locale
from tests.bot.slack.conftest import CUSTOMER, ENGLISH, GUEST, GUEST_TEAM


@pytest.mark.parametrize("locale, default, lang", [
    ("nl-NL", "en", "nl"), ("nl-BE", "en", "nl"), ("nl_NL", "en", "nl"), ("en-GB", "nl", "en"),
    ("de-DE", "nl", "en"), (None, "nl", "nl"), ("", "en", "en"),
])
def test_language_from_locale(locale: str | None, default: str, lang: str) -> None:
    assert lang_for_locale(locale, default) == lang


def test_ids_from_every_payload_shape() -> None:
    assert ids_of(event_callback(app_mention(GUEST, "hi", "C1", user_team=GUEST_TEAM)).payload) == (GUEST, GUEST_TEAM)
    assert ids_of(event_callback(message_changed(CUSTOMER, "x")).payload) == (CUSTOMER, TEAM_ID)
    assert ids_of(event_callback(app_home_opened(CUSTOMER)).payload) == (CUSTOMER, TEAM_ID)
    assert ids_of(block_actions("a", CUSTOMER).payload) == (CUSTOMER, TEAM_ID)
    assert ids_of(slash_command("help", CUSTOMER, TEAM_ID, "D1", "http://x").payload) == (CUSTOMER, TEAM_ID)
    assert ids_of({"type": "event_callback", "event": {"type": "x"}}) == (None, None)


async def test_users_info_is_cached_and_failures_fall_back(slack: SlackStandIn) -> None:
    now = [0.0]
    people = People(team_id=TEAM_ID, default_lang="nl", clock=lambda: now[0])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    assert await people.lang_of(client, ENGLISH) == "en"
    assert await people.lang_of(client, ENGLISH) == "en"
    assert len(slack.calls("users.info")) == 1
    now[0] += 3601
    await people.lang_of(client, ENGLISH)
    assert len(slack.calls("users.info")) == 2

    slack.fail_next("users.info", "ratelimited", status=200)
    person = await people.person(client, user_id="U0NOBODY", team_id=TEAM_ID)
    assert person.lang == "nl" and person.home_team is True and person.team_id == TEAM_ID
    await people.person(client, user_id="U0NOBODY")  # the failure is remembered for a minute
    assert len(slack.calls("users.info")) == 3


async def test_the_cache_is_bounded(slack: SlackStandIn) -> None:
    people = People(team_id=TEAM_ID, default_lang="nl", max_entries=2)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    for user in (CUSTOMER, ENGLISH, GUEST):
        await people.profile(client, user)
    assert len(people._cache) == 2
