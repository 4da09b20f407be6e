"""How Slack signs and shapes the requests it POSTs to /slack/events: the signature headers and the
request body (JSON for events, a form for commands, a form with a JSON `payload` for interactivity)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.standins.slack.workspace import SIGNING_SECRET


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack signs a request with."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass(frozen=True)
class SlackRequest:
    """A request body as Slack would POST it to /slack/events."""

    body: bytes
    content_type: str
    payload: dict[str, Any]
    """What the body says, for assertions (for interactivity: the decoded `payload` field)."""

    def headers(
        self,
        secret: str = SIGNING_SECRET,
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> dict[str, str]:
        """Signed headers; retry_num plays one of Slack's redeliveries of the same body."""
        headers = {
            "Content-Type": self.content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(self.body, secret, timestamp),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers


def json_request(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(json.dumps(payload).encode(), "application/json", payload)


def form_request(fields: dict[str, str], payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode(fields).encode(), "application/x-www-form-urlencoded", payload)


def interactive_request(payload: dict[str, Any]) -> SlackRequest:
    return form_request({"payload": json.dumps(payload)}, payload)
