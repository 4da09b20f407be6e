"""Issue 12 finding 2 through the real app: wrong tokens sent all at once by one user, as signed DMs
and as form submissions, reach Nmbrs at most five times an hour, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.standins.nmbrs.server import NmbrsStandIn
from bot.standins.slack.payloads import event_callback, message_im
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import dm_channel
from handlers.intake import REJECTED_PER_HOUR
from storage.models import IntakeAttempt
from tests.bot.slack.conftest import ENGLISH, OTHER_TOKEN, TOKEN, USERNAME, Served, make_settings
from tests.bot.slack.test_dm import links, nmbrs_checks, texts
from tests.bot.slack.test_modal import open_form, submit

AT_ONCE = 20


@pytest.fixture
def settings(tmp_path: Path, slack: SlackStandIn, nmbrs: NmbrsStandIn, database_url: str) -> Settings:
    """The app on both databases (the shared fixture uses a SQLite template)."""
    return make_settings(tmp_path, slack, nmbrs, database_url=database_url)


async def recorded(app: Served) -> list[str]:
    async with app.ctx.desk.sessions() as session:
        return list((await session.scalars(select(IntakeAttempt.outcome))).all())


async def dm_all_at_once(app: Served, text: str, count: int) -> None:
    requests = [event_callback(message_im(ENGLISH, text)) for _ in range(count)]
    responses = await asyncio.gather(*(app.send(request) for request in requests))
    assert [r.status_code for r in responses] == [200] * count


async def test_twenty_concurrent_dms_with_wrong_tokens_reach_nmbrs_five_times(app: Served) -> None:
    app.nmbrs.latency_s = 0.2  # the checks overlap
    await dm_all_at_once(app, f"{USERNAME} {OTHER_TOKEN}", AT_ONCE)
    await app.settle()
    assert nmbrs_checks(app) == REJECTED_PER_HOUR
    answers = [texts(post) for post in app.posts(dm_channel(ENGLISH))]
    assert len(answers) == AT_ONCE
    assert sum("Too many attempts" in answer for answer in answers) == AT_ONCE - REJECTED_PER_HOUR
    outcomes = await recorded(app)
    assert outcomes.count("rejected") == REJECTED_PER_HOUR and "reserved" not in outcomes


async def test_twenty_concurrent_form_submissions_reach_nmbrs_five_times(app: Served) -> None:
    view = await open_form(app, ENGLISH)
    app.nmbrs.latency_s = 0.2
    await asyncio.gather(*(submit(app, view, USERNAME, OTHER_TOKEN) for _ in range(AT_ONCE)))
    await app.settle()
    assert nmbrs_checks(app) == REJECTED_PER_HOUR
    outcomes = await recorded(app)
    assert outcomes.count("rejected") == REJECTED_PER_HOUR
    assert outcomes.count("limited") == AT_ONCE - REJECTED_PER_HOUR


async def test_dms_and_the_form_share_the_five(app: Served) -> None:
    view = await open_form(app, ENGLISH)
    app.nmbrs.latency_s = 0.2
    await asyncio.gather(
        dm_all_at_once(app, f"{USERNAME} {OTHER_TOKEN}", AT_ONCE // 2),
        *(submit(app, view, USERNAME, OTHER_TOKEN) for _ in range(AT_ONCE // 2)),
    )
    await app.settle()
    assert nmbrs_checks(app) == REJECTED_PER_HOUR
    # The right token now is refused too, without asking Nmbrs: the hour's five are used.
    await app.dm(ENGLISH, f"{USERNAME} {TOKEN}")
    assert nmbrs_checks(app) == REJECTED_PER_HOUR and await links(app) == []
    assert "Too many attempts" in texts(app.posts(dm_channel(ENGLISH))[-1])
