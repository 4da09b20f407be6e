"""Each Slack event is handled once, across retries and replicas: the database claims it first.

Slack redelivers an event with the same event_id when it thinks we were slow, and has sent the
same message twice under different event_ids; so messages are also claimed by channel and ts
(an edit by channel, ts and the edit's ts). A repeat is acknowledged and nothing else happens.

The claim is made in the listener, after bolt's acknowledgement: the acknowledgement never waits
for the database (under load SQLite's single writer made acks late, and a late ack is what makes
Slack send the event again).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.deliveries import claim

log = logging.getLogger(__name__)

PLATFORM = "slack"

T = TypeVar("T")


def delivery_ids(body: Mapping[str, Any]) -> list[str]:
    """The ids under which this request is claimed; empty for what Slack never retries."""
    if body.get("type") != "event_callback":
        return []
    ids = []
    if body.get("event_id"):
        ids.append(str(body["event_id"]))
    event = body.get("event")
    event = event if isinstance(event, Mapping) else {}
    channel = event.get("channel")
    if event.get("type") in ("message", "app_mention") and channel:
        if event.get("subtype") == "message_changed":
            message = event.get("message")
            message = message if isinstance(message, Mapping) else {}
            marker = message.get("edited")
            edited = (marker.get("ts") if isinstance(marker, Mapping) else None) or event.get("ts")
            if message.get("ts") and edited:
                ids.append(f"{channel}:{message['ts']}:{edited}")
        elif event.get("ts"):
            # A mention in a channel the bot is in arrives as app_mention and (if subscribed) as
            # message: the type keeps the two apart.
            prefix = "mention:" if event.get("type") == "app_mention" else ""
            ids.append(f"{prefix}{channel}:{event['ts']}")
    return ids


async def first_delivery(sessions: async_sessionmaker[AsyncSession], body: Mapping[str, Any]) -> bool:
    """Claim this request's delivery ids; False when any of them was claimed before (a repeat)."""
    ids = delivery_ids(body)
    if not ids:
        return True
    async with sessions() as session, session.begin():
        for delivery_id in ids:
            if not await claim(session, platform=PLATFORM, delivery_id=delivery_id):
                log.info("slack delivery already handled, acknowledged only (%s)", _kind(body))
                return False
    return True


def handled_once(
    sessions: async_sessionmaker[AsyncSession], listener: Callable[..., Awaitable[T]]
) -> Callable[..., Awaitable[T | None]]:
    """Wrap an event listener (bolt passes `body` by name) so it runs for the first delivery only."""

    # functools.wraps keeps the listener's signature: bolt injects arguments by parameter name.
    @functools.wraps(listener)
    async def once(*args: Any, **kwargs: Any) -> T | None:
        try:
            first = await first_delivery(sessions, kwargs["body"])
        except Exception:  # noqa: BLE001 - Slack has our acknowledgement and will not resend: answer anyway
            log.exception("slack delivery could not be recorded; handling it anyway (%s)", _kind(kwargs["body"]))
            first = True
        return await listener(*args, **kwargs) if first else None

    return once


def _kind(body: Mapping[str, Any]) -> str:
    event = body.get("event")
    event = event if isinstance(event, Mapping) else {}
    return "/".join(str(part) for part in (event.get("type"), event.get("subtype")) if part)
