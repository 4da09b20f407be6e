"""`tokendesk recheck [--json]`: run the nightly check once, now, to the end, and print a summary.

It takes the same database lease as `serve`, sends the same alerts through Slack and Teams (each
when configured), and waits out TOKENDESK_CONFIRM_DELAY_S for confirmations before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import func, select

from bot.app import build_desk
from bot.config import Settings
from bot.scheduler import build_recheck
from handlers.alerts import Outbox
from handlers.ports import Notifier
from handlers.recheck import RecheckBusy, RunSummary
from storage.models import AlertRecord, utcnow

if TYPE_CHECKING:
    from bot.teams.app import TeamsEndpoints

EXIT_OK = 0
EXIT_BUSY = 1


def run_recheck(args: argparse.Namespace) -> int:
    from bot.cli import _settings  # loads settings and sets up logging (on stderr) like every command

    settings = _settings()
    return asyncio.run(recheck_now(settings, as_json=bool(args.json), out=sys.stdout))


def slack_notifiers(settings: Settings, desk: Any) -> list[Notifier]:
    """The Slack notifier when Slack is configured (bot token and support channel), else none."""
    if settings.slack_bot_token is None or not settings.support_channel:
        return []
    from bot.slack.app import build_client
    from bot.slack.notifier import SlackNotifier
    from bot.slack.people import People

    # Only lang_of is used here, which needs no team; customers' locales decide their language.
    people = People(team_id="", default_lang=settings.language)
    return [SlackNotifier(
        client=build_client(settings), sessions=desk.sessions, support_channel=settings.support_channel,
        lang=settings.language, notify_customers=settings.notify_customers, people=people,
    )]


async def teams_notifier(
    desk: Any, outbox: Outbox, stack: AsyncExitStack, endpoints: "TeamsEndpoints | None"
) -> Notifier | None:
    """The Teams notifier when Teams is configured (its SDK app initialised for the command's life)."""
    if not desk.settings.teams_enabled:
        return None
    from bot.teams.app import build_teams  # the Teams SDK is imported only when Teams is on

    runtime = build_teams(desk, outbox, endpoints=endpoints)
    await stack.enter_async_context(runtime.lifespan(None))  # type: ignore[arg-type]
    return runtime.notifier


async def recheck_now(
    settings: Settings,
    *,
    as_json: bool,
    out: TextIO,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    teams_endpoints: "TeamsEndpoints | None" = None,
) -> int:
    """The whole command; `sleep` is injectable so tests need not wait out the confirm delay, and
    `teams_endpoints` points Teams at stand-ins."""
    desk = await build_desk(settings)
    try:
        async with AsyncExitStack() as stack:
            return await _recheck(desk, stack, as_json=as_json, out=out, sleep=sleep, teams_endpoints=teams_endpoints)
    finally:
        await desk.aclose()


async def _recheck(
    desk: Any, stack: AsyncExitStack, *, as_json: bool, out: TextIO, sleep: Callable[[float], Awaitable[None]],
    teams_endpoints: "TeamsEndpoints | None",
) -> int:
    settings = desk.settings
    slack = slack_notifiers(settings, desk)
    outbox = Outbox(desk.sessions, list(slack))
    teams = await teams_notifier(desk, outbox, stack, teams_endpoints)
    if teams is not None:
        outbox.notifiers.append(teams)
    recheck = build_recheck(desk, outbox, sleep=sleep)
    began, started = utcnow(), time.monotonic()
    try:
        summary = await recheck.run(trigger="cli")
    except RecheckBusy as exc:
        until = f" (lease until {exc.expires_at.isoformat(timespec='seconds')})" if exc.expires_at else ""
        print(f"tokendesk: a check is running already in {exc.holder or 'another process'}{until}; "
              "its summary goes to the support channel. Try again when it has finished.", file=sys.stderr)
        return EXIT_BUSY
    elapsed = time.monotonic() - started
    await outbox.drain()  # most went out already, in the background as the run went
    async with desk.sessions() as session:
        delivered = await session.scalar(
            select(func.count()).select_from(AlertRecord).where(AlertRecord.sent_at >= began)
        ) or 0
        waiting = await session.scalar(
            select(func.count()).select_from(AlertRecord).where(AlertRecord.sent_at.is_(None))
        ) or 0
    alerts = {"delivered": delivered, "waiting": waiting, "slack": bool(slack), "teams": teams is not None}
    if as_json:
        out.write(json.dumps({**summary.to_dict(), "seconds": round(elapsed, 3), "alerts": alerts},
                             ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render(summary, elapsed=elapsed, alerts=alerts))
    return EXIT_OK


def render(summary: RunSummary, *, elapsed: float, alerts: dict[str, Any]) -> str:
    """The summary for a person at a terminal."""
    lines = [
        f"re-check run {summary.run_id} finished in {elapsed:.1f} s"
        + (" (resumed an unfinished run)" if summary.resumed else "")
        + f": {summary.checked} links checked, {summary.failed} could not be checked"
        + (f", {summary.confirmations} failures confirmed" if summary.confirmations else ""),
        "  states: " + ", ".join(f"{state} {n}" for state, n in summary.counts.items() if n) if any(
            summary.counts.values()) else "  states: no links",
    ]
    if summary.changes:
        lines.append(f"  changes ({len(summary.changes)}):")
        lines += [f"    {c['link']:<7} {c['transition']:<14} {c['environment'] or '-':<18} {c['username']}"
                  + (f"  ({c['reason']})" if c.get("reason") else "") for c in summary.changes]
    else:
        lines.append("  changes: none")
    if summary.broken:
        lines.append(f"  broken ({len(summary.broken)}):")
        lines += [f"    {b['link']:<7} {b['environment'] or '-':<18} {b['username']}  {b['reason'] or ''}"
                  for b in summary.broken]
    if summary.failures:
        lines.append(f"  could not be checked ({len(summary.failures)}):")
        lines += [f"    {f['link']:<7} {f['reason']}  {f['username']}" for f in summary.failures]
    platforms = " and ".join(name for name, on in (("Slack", alerts["slack"]), ("Teams", alerts.get("teams"))) if on)
    if platforms:
        lines.append(f"  alerts: {alerts['delivered']} sent to {platforms}"
                     + (f", {alerts['waiting']} still waiting (see the log)" if alerts["waiting"] else ""))
    else:
        lines.append(f"  alerts: {alerts['waiting']} queued but not delivered: neither Slack (SLACK_BOT_TOKEN, "
                     "TOKENDESK_SUPPORT_CHANNEL) nor Teams is configured; `tokendesk serve` sends them when it runs")
    return "\n".join(lines) + "\n"
