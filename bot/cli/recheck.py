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
from typing import TYPE_CHECKING, Any, TextIO

from bot.app import RecheckRuntime, recheck_runtime
from bot.cli import _settings
from bot.cli.progress import Progress
from bot.config import Settings
from handlers.recheck import RecheckBusy, RunProgress, RunSummary
from storage import alerts as alert_store
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.teams.app import TeamsEndpoints

EXIT_OK = 0
EXIT_BUSY = 1


def run_recheck(args: argparse.Namespace) -> int:
    settings = _settings()
    return asyncio.run(recheck_now(settings, as_json=bool(args.json), out=sys.stdout))


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
    async with recheck_runtime(settings, sleep=sleep, teams_endpoints=teams_endpoints) as runtime:
        return await _recheck(runtime, as_json=as_json, out=out)


async def _recheck(runtime: RecheckRuntime, *, as_json: bool, out: TextIO) -> int:
    began, started = utcnow(), time.monotonic()

    async def advance(at: RunProgress) -> None:  # the run's own count, at most once a second
        progress.update(at.done, at.total)

    try:
        with Progress("recheck", "links") as progress:
            summary = await runtime.recheck.run(trigger="cli", progress=advance)
    except RecheckBusy as exc:
        until = f" (lease until {exc.expires_at.isoformat(timespec='seconds')})" if exc.expires_at else ""
        print(f"tokendesk: a check is running already in {exc.holder or 'another process'}{until}; "
              "its summary goes to the support channel. Try again when it has finished.", file=sys.stderr)
        return EXIT_BUSY
    elapsed = time.monotonic() - started
    await runtime.outbox.drain()  # most went out already, in the background as the run went
    async with runtime.desk.sessions() as session:
        delivered = await alert_store.count_sent_since(session, since=began)
        waiting = await alert_store.count_unsent(session)
    alerts = {"delivered": delivered, "waiting": waiting, "slack": runtime.slack, "teams": runtime.teams}
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
