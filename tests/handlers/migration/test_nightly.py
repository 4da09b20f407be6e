"""The tracker in the nightly run (time set by the test, SQLite and PostgreSQL): the digest's progress line
while debtors are left to move, and the reminders 30, 14, 7 and 1 days before the switch-off, each once,
whichever replica runs the night and however often."""

from __future__ import annotations

from datetime import timedelta

from bot.slack import blocks
from handlers.migration.reminders import due_reminder
from tests.handlers.migration.conftest import STAFF, Scene, three_consented


def test_the_reminder_due_is_the_most_urgent_threshold_reached() -> None:
    assert [due_reminder(d) for d in (None, -1, 0, 1, 2, 7, 8, 13, 14, 15, 29, 30, 31, 400)] == [
        None, None, 1, 1, 7, 7, 14, 14, 14, 30, 30, 30, None, None]


async def _night(scene: Scene, days_left: int, *, holder: str = "test:1") -> list[int]:
    """Set the clock `days_left` days before the switch-off, run the night, return the reminders so far."""
    soap_until = scene.desk.time.now.date() + timedelta(days=days_left)
    await scene.rest.recheck(holder=holder, digest="always", soap_until=soap_until).run(trigger="schedule")
    await scene.desk.outbox.drain()
    return [a.details["threshold"] for a in scene.desk.notifier.of("migration_reminder")]


async def test_reminders_on_the_right_days_once_each(scene: Scene) -> None:
    await three_consented(scene)
    start = scene.desk.time.now
    soap_until = (start + timedelta(days=31)).date()

    async def night(day: int, holder: str = "test:1") -> list[int]:
        scene.desk.time.now = start + timedelta(days=day)
        return await _night(scene, (soap_until - scene.desk.time.now.date()).days, holder=holder)

    assert await night(0) == []  # 31 days left
    assert await night(1) == [30]
    assert await night(1, holder="test:2") == [30]  # another replica, the same day: not again
    assert await night(2) == [30]  # 29 left
    assert await night(17) == [30, 14]
    assert await night(20) == [30, 14]  # 11 left
    # 6 left: the 7-day night was missed (the desk was down); the most urgent reminder due goes out.
    assert await night(25) == [30, 14, 7]
    assert await night(26) == [30, 14, 7]
    assert await night(30) == [30, 14, 7, 1]
    assert await night(31) == [30, 14, 7, 1]  # the day itself
    assert await night(33) == [30, 14, 7, 1]  # past it
    reminder = scene.desk.notifier.of("migration_reminder")[0]
    assert reminder.details["totals"]["to_move"] == 2 and reminder.details["soap_until"] == soap_until.isoformat()


async def test_digest_line_while_debtors_are_left(scene: Scene) -> None:
    await three_consented(scene)
    await _night(scene, 200)
    [digest] = scene.desk.notifier.of("digest")
    progress = digest.details["migration"]
    assert (progress["to_move"], progress["links_to_move"], progress["covered"], progress["days_left"]) == (2, 1, 3, 200)
    text = blocks.support_digest(digest.details, "en")["blocks"][0]["text"]["text"]
    assert "SOAP → REST: 2 debtor(s) of 1 link(s) to move, 3 covered · 200 day(s) left" in text

    commands = scene.commands()
    for number in ("4", "5"):
        await commands.handle(person=STAFF, text=f"migration not-needed L{scene.soap_link} {number}")
    scene.desk.time.now += timedelta(days=1)
    await _night(scene, 199)
    last = scene.desk.notifier.of("digest")[-1]
    assert "migration" not in last.details  # nothing left to move: no line, and no reminder either
    assert scene.desk.notifier.of("migration_reminder") == []
