"""Who counts as support staff on Slack: the user group (cached), the listed users, the home team only."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.staff import SlackStaffDirectory
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import BOT_TOKEN, TEAM_ID
from handlers.model import Person

GROUP = "S0SUPPORT"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    slack_server.reset()
    slack_server.add_usergroup(GROUP, ["UGROUP1", "UGROUP2"])
    return slack_server


def person(user: str, *, team: str = TEAM_ID, home: bool = True, platform: str = "slack") -> Person:
    return Person(platform=platform, team_id=team, user_id=user, home_team=home)


def directory(slack: SlackStandIn, clock: Clock, *, group: str | None = GROUP, users: tuple[str, ...] = ("ULISTED",)) -> SlackStaffDirectory:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    return SlackStaffDirectory(client=client, team_id=TEAM_ID, usergroup=group, users=users, ttl_s=300, clock=clock)


async def test_group_members_are_read_once_per_ttl(slack: SlackStandIn) -> None:
    clock = Clock()
    staff = directory(slack, clock)
    assert await staff.is_staff(person("UGROUP1"))
    assert await staff.is_staff(person("UGROUP2"))
    assert not await staff.is_staff(person("UCUSTOMER"))
    assert len(slack.calls("usergroups.users.list")) == 1
    slack.add_usergroup(GROUP, ["UGROUP2"])
    clock.now += 299
    assert await staff.is_staff(person("UGROUP1"))  # still cached
    clock.now += 2
    assert not await staff.is_staff(person("UGROUP1"))
    assert len(slack.calls("usergroups.users.list")) == 2
    assert slack.calls("usergroups.users.list")[0].params["usergroup"] == GROUP


async def test_listed_users_need_no_group_and_no_call(slack: SlackStandIn) -> None:
    staff = directory(slack, Clock(), group=None, users=("ULISTED", " "))
    assert await staff.is_staff(person("ULISTED"))
    assert not await staff.is_staff(person("UGROUP1"))
    assert slack.calls("usergroups.users.list") == []


@pytest.mark.parametrize(
    "who",
    [
        person("UGROUP1", team="T0OTHER", home=False),  # Slack Connect guest with a staff member's id
        person("ULISTED", team="T0OTHER", home=False),
        person("ULISTED", team="T0OTHER"),  # another workspace even if marked home
        person("ULISTED", platform="teams"),
    ],
)
async def test_only_the_installing_team_has_staff(slack: SlackStandIn, who: Person) -> None:
    assert not await directory(slack, Clock()).is_staff(who)


@pytest.mark.parametrize("error", ["plan_upgrade_required", "no_such_subteam"])
async def test_a_lasting_group_error_is_logged_once_and_means_nobody(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    clock = Clock()
    staff = directory(slack, clock, group="S0GONE" if error == "no_such_subteam" else GROUP)
    if error != "no_such_subteam":
        slack.fail_next("usergroups.users.list", error, count=5)
    with caplog.at_level(logging.WARNING, logger="bot.slack.staff"):
        for _ in range(3):
            assert not await staff.is_staff(person("UGROUP1"))
        assert await staff.is_staff(person("ULISTED"))
        clock.now += 301
        assert not await staff.is_staff(person("UGROUP1"))
    assert len(slack.calls("usergroups.users.list")) == 2  # cached for the TTL like a good answer
    warnings = [r for r in caplog.records if r.name == "bot.slack.staff"]
    assert len(warnings) == 1 and error in warnings[0].getMessage()


async def test_a_rate_limit_keeps_the_last_list_and_asks_again_soon(slack: SlackStandIn) -> None:
    clock = Clock()
    staff = directory(slack, clock)
    assert await staff.is_staff(person("UGROUP1"))
    clock.now += 301
    slack.fail_next("usergroups.users.list", "ratelimited")
    staff.client.retry_handlers.clear()  # answer the 429 at once instead of sleeping Retry-After
    assert await staff.is_staff(person("UGROUP1"))  # the last good list still counts
    clock.now += 31
    assert await staff.is_staff(person("UGROUP1"))
    assert [c.status for c in slack.calls("usergroups.users.list")] == [200, 429, 200]
