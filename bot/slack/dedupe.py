"""Each Slack event is handled once, across retries and replicas: the database claims it first.

Slack redelivers an event with the same event_id when it thinks we were slow, and has sent the
same message twice under different event_ids; so messages are also claimed by channel and ts
(an edit by channel, ts and the edit's ts). A repeat is acknowledged and nothing else happens.

The claim is made before bolt's acknowledgement, in the same transaction as a pending intake
(bot.slack.intakes; issue 12 finding 3): Slack resends only what was not acknowledged, so an
acknowledged event must already be on record. The write gets 2 s; past that Slack gets a 503 and
sends the event again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PLATFORM = "slack"


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


def kind(body: Mapping[str, Any]) -> str:
    """The event's type/subtype, for log lines (never its text)."""
    event = body.get("event")
    event = event if isinstance(event, Mapping) else {}
    return "/".join(str(part) for part in (event.get("type"), event.get("subtype")) if part)
