"""Whether a channel is shared with another organisation (Slack Connect), from conversations.info."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def is_shared(client: AsyncWebClient, channel_id: str) -> bool:
    """True for a channel shared with another workspace or organisation (`is_ext_shared`, or
    `is_shared`). A DM, an unknown channel or a failed lookup counts as not shared: support then
    gets the ordinary answer, without the offer to post there."""
    if not channel_id or channel_id[0] not in "CG":
        return False
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        log.info("conversations.info refused (%s); the channel counts as not shared", exc.response.get("error"))
        return False
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("conversations.info failed (%s); the channel counts as not shared", type(exc).__name__)
        return False
    channel = response.get("channel") or {}
    return bool(channel.get("is_ext_shared") or channel.get("is_shared"))
