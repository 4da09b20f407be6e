"""`tokendesk webhooks`: link events for TOKENDESK_WEBHOOK_URL, pending and failed, and sending them again."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import _settings, in_session, when
from bot.config import Settings
from handlers.events import RETRYABLE, count_events, list_events, retry_events
from storage import webhook_events
from storage.models import WebhookEvent, WebhookStatus

EXIT_NOT_FOUND = 1


def _event_row(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id, "event_id": event.event_id, "type": event.type, "link": f"L{event.link_id}" if event.link_id else None,
        "status": event.status, "attempts": event.attempts, "created_at": when(event.created_at),
        "next_attempt_at": when(event.next_attempt_at) if event.status == WebhookStatus.PENDING else None,
        "last_error": event.last_error,
    }


def run_webhooks(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.retry is not None or args.retry_all:
        return _retry(settings, args)
    statuses = [WebhookStatus.FAILED] if args.failed else [WebhookStatus.PENDING, WebhookStatus.FAILED]

    async def listing(session: AsyncSession) -> tuple[dict[str, int], list[WebhookEvent]]:
        return await count_events(session), list(await list_events(session, statuses=statuses))

    counts, events = in_session(settings, listing)
    rows = [_event_row(event) for event in events]
    if args.json:
        print(json.dumps({"counts": counts, "events": rows}, indent=2))
        return 0
    if not settings.webhook_url:
        print("webhooks are off (TOKENDESK_WEBHOOK_URL is unset): events are recorded as disabled, not sent")
    print(", ".join(f"{status} {counts[status]}" for status in ("pending", "failed", "delivered", "disabled")))
    if not rows:
        print("no failed events" if args.failed else "nothing pending or failed")
        return 0
    print(f"{'ID':<6} {'TYPE':<20} {'LINK':<8} {'STATUS':<9} {'TRIES':<5} {'CREATED':<21} NEXT TRY / LAST ERROR")
    for row in rows:
        tail = " / ".join(part for part in (row["next_attempt_at"], row["last_error"]) if part)
        print(f"{row['id']:<6} {row['type']:<20} {row['link'] or '-':<8} {row['status']:<9} {row['attempts']:<5} "
              f"{row['created_at']:<21} {tail}")
    if any(row["status"] == WebhookStatus.FAILED for row in rows):
        print("retry with `tokendesk webhooks --retry ID` or `--retry-all`")
    return 0


def _retry(settings: Settings, args: argparse.Namespace) -> int:
    async def retry(session: AsyncSession) -> tuple[int, str | None]:
        if args.retry_all:
            return await retry_events(session), None
        event = await _find_event(session, args.retry)
        if event is None:
            return 0, f"no webhook event {args.retry} (see `tokendesk webhooks`)"
        if event.status not in RETRYABLE:
            return 0, f"event {event.id} is {event.status}; only failed or disabled events can be retried"
        return await retry_events(session, event_ids=[event.id]), None

    count, problem = in_session(settings, retry)
    if problem is not None:
        print(f"tokendesk: {problem}", file=sys.stderr)
        return EXIT_NOT_FOUND
    where = "the running `tokendesk serve` sends" if settings.webhook_url else "with TOKENDESK_WEBHOOK_URL set, serve sends"
    print(f"queued {count} event{'s' if count != 1 else ''} again; {where} {'it' if count == 1 else 'them'} within seconds")
    return 0


async def _find_event(session: AsyncSession, ref: str) -> WebhookEvent | None:
    if ref.startswith("evt_"):
        return await webhook_events.by_event_id(session, ref)
    return await session.get(WebhookEvent, int(ref)) if ref.isdigit() else None
