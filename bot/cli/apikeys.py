"""`tokendesk apikeys …` and `tokendesk webhooks`: the operator's side of the hand-off to the integration."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, load_settings
from handlers.events import RETRYABLE, count_events, list_events, retry_events
from storage.apikeys import ApiKeyError, create_key, list_keys, revoke_key
from storage.models import ApiKey, WebhookEvent, WebhookStatus

EXIT_NOT_FOUND = 1
T = TypeVar("T")


def _settings() -> Settings:
    settings = load_settings()
    from bot.logs import configure_logging

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return settings


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on an up-to-date database."""
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _when(moment: Any) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment else "never"


# -- apikeys -----------------------------------------------------------------------------------


def run_apikeys_create(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        created = _in_session(settings, lambda session: create_key(session, name=args.name))
    except ApiKeyError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return 2
    # The note to stderr, the key alone to stdout: `KEY=$(tokendesk apikeys create --name x)` works.
    print(
        f"API key {created.record.id} ({created.record.name}) created. It is shown only this once: put it in "
        "the integration's secret store now. Revoke it with `tokendesk apikeys revoke "
        f"{created.record.id}`.",
        file=sys.stderr,
    )
    print(created.key)
    return 0


def _key_row(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id, "name": key.name, "created_at": _when(key.created_at),
        "last_used_at": _when(key.last_used_at) if key.last_used_at else None,
        "revoked_at": _when(key.revoked_at) if key.revoked_at else None,
    }


def run_apikeys_list(args: argparse.Namespace) -> int:
    settings = _settings()
    keys = _in_session(settings, list_keys)
    rows = [_key_row(key) for key in keys]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no API keys (create one with `tokendesk apikeys create --name NAME`)")
        return 0
    print(f"{'ID':<5} {'NAME':<32} {'CREATED':<21} {'LAST USED':<21} STATUS")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(f"{row['id']:<5} {row['name'][:32]:<32} {row['created_at']:<21} {row['last_used_at'] or 'never':<21} {status}")
    return 0


def run_apikeys_revoke(args: argparse.Namespace) -> int:
    settings = _settings()

    async def revoke(session: AsyncSession) -> tuple[ApiKey, bool]:
        already = await session.get(ApiKey, args.key_id)
        was_revoked = already is not None and already.revoked_at is not None
        return await revoke_key(session, key_id=args.key_id), was_revoked

    try:
        key, was_revoked = _in_session(settings, revoke)
    except ApiKeyError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if was_revoked:
        print(f"API key {key.id} ({key.name}) was already revoked at {_when(key.revoked_at)}")
    else:
        print(f"API key {key.id} ({key.name}) revoked; requests with it now get 401")
    return 0


# -- webhooks ----------------------------------------------------------------------------------


def _event_row(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id, "event_id": event.event_id, "type": event.type, "link": f"L{event.link_id}" if event.link_id else None,
        "status": event.status, "attempts": event.attempts, "created_at": _when(event.created_at),
        "next_attempt_at": _when(event.next_attempt_at) if event.status == WebhookStatus.PENDING else None,
        "last_error": event.last_error,
    }


def run_webhooks(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.retry is not None or args.retry_all:
        return _retry(settings, args)
    statuses = [WebhookStatus.FAILED] if args.failed else [WebhookStatus.PENDING, WebhookStatus.FAILED]

    async def listing(session: AsyncSession) -> tuple[dict[str, int], list[WebhookEvent]]:
        return await count_events(session), list(await list_events(session, statuses=statuses))

    counts, events = _in_session(settings, listing)
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

    count, problem = _in_session(settings, retry)
    if problem is not None:
        print(f"tokendesk: {problem}", file=sys.stderr)
        return EXIT_NOT_FOUND
    where = "the running `tokendesk serve` sends" if settings.webhook_url else "with TOKENDESK_WEBHOOK_URL set, serve sends"
    print(f"queued {count} event{'s' if count != 1 else ''} again; {where} {'it' if count == 1 else 'them'} within seconds")
    return 0


async def _find_event(session: AsyncSession, ref: str) -> WebhookEvent | None:
    if ref.startswith("evt_"):
        return await session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == ref))
    return await session.get(WebhookEvent, int(ref)) if ref.isdigit() else None
