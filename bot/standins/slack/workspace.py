"""The one installed Slack workspace that the stand-in's answers and the payload builders share:
ids, tokens, the signing secret, message timestamps and DM channels."""

from __future__ import annotations

import itertools
import secrets
import threading
import time

# One installed workspace; tests and benchmarks share these so payloads and API answers agree.
TEAM_ID = "T0TOKDESK"
TEAM_DOMAIN = "tokendesk-test"
APP_ID = "A0TOKDESK"
BOT_USER_ID = "U0TOKBOT"
BOT_ID = "B0TOKBOT"
BOT_TOKEN = "xoxb-0000000000-tokendesk-test"
SIGNING_SECRET = "tokendesk-test-signing-secret"
# Slack still puts the deprecated verification token in payloads; bolt ignores it.
VERIFICATION_TOKEN = "deprecated-verification-token"

MAX_RESPONSE_URL_POSTS = 5  # Slack: at most 5 posts per response_url (within 30 minutes)
TRIGGER_TTL_S = 3.0  # Slack: a trigger_id must be used within 3 seconds, once


# --- ids and timestamps --------------------------------------------------------------------------

_ts_lock = threading.Lock()
_last_ts_us = 0
_sequence = itertools.count(1)


def next_ts() -> str:
    """A message ts as Slack writes them ("1763800000.000100"): wall-clock seconds with six
    decimals, unique and increasing across the whole test process — payload builders and the
    stand-in share it, so a customer's message never collides with a bot message."""
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(_last_ts_us + 1, int(time.time() * 1_000_000))
        return f"{_last_ts_us // 1_000_000}.{_last_ts_us % 1_000_000:06d}"


def new_trigger_id(issued_at: float | None = None) -> str:
    """A trigger_id in Slack's shape ("<digits>.<digits>.<hex>"); the first part carries the
    issue time in milliseconds so the stand-in can expire it like Slack does after 3 s."""
    issued = time.time() if issued_at is None else issued_at
    return f"{int(issued * 1000)}.{next(_sequence)}.{secrets.token_hex(10)}"


def dm_channel(user_id: str) -> str:
    """The stand-in's stable DM channel between the bot and `user_id` ("U0CUST" -> "D0CUST")."""
    return "D" + user_id[1:]


def new_id(prefix: str) -> str:
    return f"{prefix}{next(_sequence):04d}{secrets.token_hex(3).upper()}"


# --- recorded calls ------------------------------------------------------------------------------
