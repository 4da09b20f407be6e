"""POST /slack/events: the guard in front of bolt (size cap, signature on the raw bytes, strict parse)
and the requests counter; the web app (bot.web) mounts it, so only bot.slack touches bolt."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.metrics import Metrics
from bot.web import MAX_BODY, SLACK_PATH, BodyTooLarge, read_body

log = logging.getLogger(__name__)

#: Slack's rule: a signed request older (or newer) than five minutes is a replay.
MAX_SKEW_S = 300

__all__ = ["SLACK_PATH", "BadBody", "SlackEndpoint", "parse_slack_body", "request_kind", "signature_valid", "slack_endpoint"]


class BadBody(Exception):
    """The body is not the JSON or form Slack sends (answered 400); the message says which."""


def parse_slack_body(body: bytes, content_type: str) -> dict[str, Any]:
    """What bolt will parse, parsed strictly first: BadBody instead of an exception inside bolt."""
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("body is not UTF-8") from None
    try:
        if content_type.split(";")[0].strip() == "application/json" or raw.startswith("{"):
            parsed = json.loads(raw)
        else:
            fields = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw)))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except ValueError:
        raise BadBody("body is neither JSON nor a form") from None
    except RecursionError:  # nested deeper than the decoder goes: no payload of Slack's is
        raise BadBody("body is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise BadBody("body is not an object")
    _check_shape(parsed, _TOP_FIELDS, "")
    # Bolt reads these without a check: event.type for every event, view.type for a view's payloads.
    for name in ("event", "view"):
        if name in parsed:
            _check_shape(parsed[name], _INNER_FIELDS[name], f"{name}.")
            if not isinstance(parsed[name].get("type"), str):
                raise BadBody(f"{name} has no type")
    return parsed


_NOTHING = type(None)
# The fields bolt and our listeners read without checking their type; a signed body with another
# shape (only Slack, or someone holding the signing secret, can send one) is refused with 400
# instead of failing inside bolt with a 500.
_TOP_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "event": (dict,), "view": (dict,), "actions": (list,), "authorizations": (list,),
    "container": (dict,), "user": (dict, str), "team": (dict, str, _NOTHING), "enterprise": (dict, str, _NOTHING),
    "channel": (dict, str), "message": (dict,), "event_id": (str,), "team_id": (str, _NOTHING),
    "trigger_id": (str,), "command": (str,), "text": (str,), "user_id": (str,),
    "response_url": (str,), "response_urls": (list,),
}
_INNER_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "event": {
        "type": (str,), "subtype": (str, _NOTHING), "user": (str,), "text": (str,), "channel": (str,),
        "ts": (str,), "thread_ts": (str,), "bot_id": (str, _NOTHING), "message": (dict,),
        "previous_message": (dict,), "team": (str,), "user_team": (str,), "tab": (str,), "view": (dict,),
    },
    "view": {
        "type": (str,), "id": (str,), "callback_id": (str,), "private_metadata": (str,), "state": (dict,),
        "hash": (str,), "team_id": (str, _NOTHING), "blocks": (list,),
    },
}


def _check_shape(payload: Mapping[str, Any], fields: Mapping[str, tuple[type, ...]], prefix: str) -> None:
    for name, types in fields.items():
        if name in payload and not isinstance(payload[name], types):
            raise BadBody(f"{prefix}{name} has an unexpected type")
    for name in ("actions", "authorizations", "response_urls"):
        if any(not isinstance(item, dict) for item in payload.get(name) or []):
            raise BadBody(f"{prefix}{name} holds something other than objects")


def signature_valid(secret: bytes, body: bytes, *, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes, at most five minutes old (as slack_sdk checks it,
    without its UTF-8 decoding, which a forged binary body would crash)."""
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW_S:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


#: Interactive payload types and their label; other interactive types are "other".
_INTERACTIVE_KINDS = {
    "block_actions": "action", "block_suggestion": "action", "view_submission": "view_submission",
    "view_closed": "view_closed", "shortcut": "shortcut", "message_action": "shortcut",
}


def request_kind(payload: Mapping[str, Any]) -> str:
    """A small fixed set of labels for the requests counter."""
    kind = payload.get("type")
    if kind == "event_callback":
        return "event"
    if kind == "url_verification":
        return "url_verification"
    if isinstance(kind, str) and kind in _INTERACTIVE_KINDS:
        return _INTERACTIVE_KINDS[kind]
    if payload.get("command"):
        return "command"
    if payload.get("ssl_check"):
        return "ssl_check"
    return "other"


class SlackEndpoint:
    """POST /slack/events: the guard in front of bolt, and the requests counter."""

    def __init__(self, bolt: AsyncApp, *, signing_secret: str, metrics: Metrics, max_body: int = MAX_BODY) -> None:
        self.bolt = bolt
        self.secret = signing_secret.encode()
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, request: Request) -> Response:
        kind = "unknown"
        try:
            response, kind = await self._handle(request)
        except BodyTooLarge:
            log.info("slack: request refused, body larger than %s bytes", self.max_body)
            response = JSONResponse({"error": "request body too large"}, status_code=413)
        except BadBody as exc:
            # Only a signed body gets here: one line with the reason, never the body.
            log.info("slack: request refused, %s", exc)
            response = JSONResponse({"error": str(exc)}, status_code=400)
        self.metrics.slack_requests.labels(kind=kind, status=str(response.status_code)).inc()
        return response

    async def _handle(self, request: Request) -> tuple[Response, str]:
        body = await read_body(request, self.max_body)
        # Checked on the raw bytes before anything is parsed; bolt checks again (defence in depth),
        # but a forged request never reaches bolt, which would log its body.
        if not signature_valid(
            self.secret, body,
            timestamp=request.headers.get("x-slack-request-timestamp", ""),
            signature=request.headers.get("x-slack-signature", ""),
        ):
            return JSONResponse({"error": "invalid request"}, status_code=401), "unknown"
        payload = parse_slack_body(body, request.headers.get("content-type", ""))
        kind = request_kind(payload)
        bolt_response = await self.bolt.async_dispatch(ParsedBoltRequest(request, body, payload))
        return to_starlette_response(bolt_response), kind


class ParsedBoltRequest(AsyncBoltRequest):
    """Bolt's request with our parse of the body instead of bolt's own.

    Bolt takes any form body that contains the text `payload` anywhere (a slash command's
    `text=status payload`) for an interactive payload, finds no such field and dispatches an empty
    body: "unhandled request". The raw body stays for bolt's signature check."""

    def __init__(self, request: Request, body: bytes, payload: dict[str, Any]) -> None:
        super().__init__(body=body.decode("utf-8"), query=request.query_params,  # type: ignore[arg-type]
                         headers=request.headers)  # type: ignore[arg-type]
        self.body = payload
        self.context = build_async_context(AsyncBoltContext({}), payload)

    def to_copyable(self) -> AsyncBoltRequest:
        # A lazy listener's copy is parsed again from the raw body: keep ours there too.
        copy = super().to_copyable()
        copy.body = self.body
        return copy


def slack_endpoint(bolt: AsyncApp, *, signing_secret: str | None, metrics: Metrics) -> SlackEndpoint:
    """The route for SLACK_PATH; refuses to serve it without the signing secret."""
    if not signing_secret:
        raise ValueError("serving /slack/events needs the signing secret")
    return SlackEndpoint(bolt, signing_secret=signing_secret, metrics=metrics)
