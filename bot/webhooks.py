"""The webhook sender: delivers the link-event outbox to TOKENDESK_WEBHOOK_URL, signed the Standard Webhooks way.

At least once (a row is marked delivered only after a 2xx, so a crash or restart sends it again),
in order per link (a link's next event waits while an earlier one is pending), with exponential
backoff and jitter on failure. Several replicas may run a sender: each row is claimed before sending.

The secret: `whsec_<base64>` as Standard Webhooks issues them (the decoded bytes are the HMAC key);
any other value is used as its UTF-8 bytes. Receivers verify `v1,` + base64(HMAC-SHA256(key,
"{webhook-id}.{webhook-timestamp}.{body}")).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.urls import host_of
from storage import webhook_events
from storage.models import WebhookEvent, WebhookStatus, utcnow

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
#: Shorter HMAC keys are refused at start; Standard Webhooks issues 24 to 64 bytes.
MIN_SECRET_BYTES = 16
USER_AGENT = "tokendesk-webhooks/1"


class WebhookConfigError(ValueError):
    """TOKENDESK_WEBHOOK_URL / TOKENDESK_WEBHOOK_SECRET are unusable; the message names which, never the secret."""


def secret_key(secret: str) -> bytes:
    """The HMAC key for a configured secret: `whsec_<base64>` is decoded, anything else is taken as text."""
    secret = secret.strip()
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX):]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise WebhookConfigError(
                "TOKENDESK_WEBHOOK_SECRET: starts with whsec_ but the rest is not valid base64"
            ) from None
    else:
        key = secret.encode("utf-8")
    if len(key) < MIN_SECRET_BYTES:
        raise WebhookConfigError(
            f"TOKENDESK_WEBHOOK_SECRET: {len(key)} bytes is too short; use at least 24 random bytes "
            "(e.g. whsec_ followed by 32 random bytes in base64)"
        )
    return key


def sign(key: bytes, *, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for one attempt."""
    mac = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode("utf-8"), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def webhook_problems(settings: Settings) -> list[str]:
    """What is wrong with the webhook settings, one line per variable (empty when fine or unset)."""
    if not settings.webhook_url:
        return []
    problems = []
    parts = urlsplit(settings.webhook_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("TOKENDESK_WEBHOOK_URL: expected an http:// or https:// URL")
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value().strip():
        problems.append("TOKENDESK_WEBHOOK_SECRET: required when TOKENDESK_WEBHOOK_URL is set (events are signed)")
    else:
        try:
            secret_key(settings.webhook_secret.get_secret_value())
        except WebhookConfigError as exc:
            problems.append(str(exc))
    return problems


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of min(cap, base·2ⁿ⁻¹)."""

    base_s: float = 2.0
    cap_s: float = 900.0
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempt - 1, 0))
        return ceiling / 2 + self.rand() * ceiling / 2


@dataclass(frozen=True)
class Attempt:
    ok: bool
    error: str | None = None
    endpoint_down: bool = False
    """Transport error, 5xx, 408 or 429: the receiver as a whole is unwell, so the pass stops."""
    retry_after_s: float | None = None


class WebhookSender:
    """Delivers due outbox rows in a background task; `start()` / `stop()` from serve's lifespan.

    Without a URL it still runs, marking new events `disabled` (they stay as an event log) and
    pruning old ones, so turning webhooks on later does not replay months of stale events."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        url: str | None,
        secret: str | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utcnow,
        backoff: Backoff | None = None,
        poll_interval_s: float = 5.0,
        max_attempts: int = 20,
        claim_s: float = 60.0,
        keep_days: int = 30,
        batch: int = 100,
        timeout: httpx.Timeout | None = None,
        on_delivery: Callable[[str], None] | None = None,
    ) -> None:
        if url and not secret:
            raise WebhookConfigError("TOKENDESK_WEBHOOK_SECRET: required when TOKENDESK_WEBHOOK_URL is set")
        self.sessions = sessions
        self.url = url or None
        self._key = secret_key(secret) if url and secret else b""
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.poll_interval_s = poll_interval_s
        self.max_attempts = max_attempts
        self.claim = timedelta(seconds=claim_s)
        self.keep = timedelta(days=keep_days)
        self.batch = batch
        self.on_delivery = on_delivery
        self._owns_client = client is None and self.url is not None
        self._client = client
        if self._client is None and self.url is not None:
            self._client = httpx.AsyncClient(
                timeout=timeout or httpx.Timeout(15.0, connect=5.0), follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )
        self._pause_until: datetime | None = None
        self._failures_in_a_row = 0
        self._last_prune: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession], **options: object
    ) -> "WebhookSender":
        problems = webhook_problems(settings)
        if problems:
            raise WebhookConfigError("; ".join(problems))
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        return cls(sessions, url=settings.webhook_url, secret=secret, **options)  # type: ignore[arg-type]

    @property
    def enabled(self) -> bool:
        return self.url is not None

    def __repr__(self) -> str:  # never the secret
        return f"<WebhookSender {'to ' + host_of(self.url) if self.url else 'disabled'}>"

    # -- the background task ------------------------------------------------------------------

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhook-sender")
        self._task.add_done_callback(_report_crash)
        if self.url:
            log.info("webhooks: delivering link events to %s", host_of(self.url))
        else:
            log.info("webhooks: TOKENDESK_WEBHOOK_URL unset; link events are recorded, not sent")

    def kick(self) -> None:
        """Look for due events now rather than at the next poll (e.g. right after a commit)."""
        self._wake.set()

    async def stop(self, *, grace_s: float = 5.0) -> None:
        """Finish the delivery in flight (up to `grace_s`), then stop. Undelivered rows stay pending."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace_s)
            except TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while not self._stopping:
            busy = False
            self._wake.clear()  # before the pass: a kick during the pass means "look again"
            try:
                busy = await self.deliver_due() >= self.batch
            except (SQLAlchemyError, OSError):
                # The database is away for a moment; the rows are safe, the next poll tries again.
                log.exception("webhooks: delivery pass failed")
            if busy:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            except TimeoutError:
                pass

    # -- one pass -----------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Try every due event once, in order per link, up to `batch` attempts; returns attempts made."""
        now = self.clock()
        if not self.enabled:
            await self._disable_pending()
        await self._prune(now)
        if not self.enabled:
            return 0
        if self._pause_until is not None and now < self._pause_until:
            return 0
        attempts = 0
        # Rounds: delivering a link's head makes its next event due, which the next round picks up.
        while attempts < self.batch and not self._stopping:
            made = 0
            for event_id in await self._due_ids(self.clock(), limit=self.batch - attempts):
                if self._stopping:
                    break
                event = await self._claim(event_id)
                if event is None:
                    continue  # another replica has it, or it changed meanwhile
                attempt = await self._send(event)
                made += 1
                await self._settle(event, attempt)
                if attempt.endpoint_down:
                    return attempts + made
            attempts += made
            if made == 0:
                break
        return attempts

    async def _due_ids(self, now: datetime, *, limit: int) -> Sequence[int]:
        async with self.sessions() as session:
            return await webhook_events.due(session, now=now, limit=limit)

    async def _claim(self, row_id: int) -> WebhookEvent | None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            return await webhook_events.claim(session, row_id=row_id, now=now, claim_for=self.claim)

    async def _send(self, event: WebhookEvent) -> Attempt:
        assert self._client is not None and self.url is not None
        timestamp = int(self.clock().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, event_id=event.event_id, timestamp=timestamp, body=event.body),
        }
        try:
            response = await self._client.post(self.url, content=event.body.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            return Attempt(ok=False, error=type(exc).__name__, endpoint_down=True)
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(ok=True)
        return Attempt(
            ok=False, error=f"HTTP {status}", endpoint_down=status >= 500 or status in (408, 429),
            retry_after_s=_retry_after(response.headers.get("retry-after")),
        )

    async def _settle(self, event: WebhookEvent, attempt: Attempt) -> None:
        now = self.clock()
        values: dict[str, object] = {"attempts": event.attempts + 1, "last_attempt_at": now, "claimed_until": None}
        if attempt.ok:
            values.update(status=str(WebhookStatus.DELIVERED), delivered_at=now, last_error=None)
            self._failures_in_a_row = 0
            self._pause_until = None
            result = "delivered"
            log.info("webhooks: event %s (%s, link %s) delivered", event.event_id, event.type, event.link_id)
        else:
            tries = event.attempts + 1
            values["last_error"] = (attempt.error or "failed")[:300]
            if tries >= self.max_attempts:
                values["status"] = str(WebhookStatus.FAILED)
                result = "gave_up"
                log.error(
                    "webhooks: event %s (%s, link %s) failed %d times (%s); given up, see `tokendesk webhooks`",
                    event.event_id, event.type, event.link_id, tries, attempt.error,
                )
            else:
                wait = self.backoff.delay(tries)
                if attempt.retry_after_s is not None:
                    wait = min(max(wait, attempt.retry_after_s), self.backoff.cap_s)
                values["next_attempt_at"] = now + timedelta(seconds=wait)
                result = "error"
                log.warning(
                    "webhooks: event %s (%s, link %s) attempt %d failed (%s); next in %.0f s",
                    event.event_id, event.type, event.link_id, tries, attempt.error, wait,
                )
            if attempt.endpoint_down:
                self._failures_in_a_row += 1
                self._pause_until = now + timedelta(seconds=self.backoff.delay(self._failures_in_a_row))
        async with self.sessions() as session, session.begin():
            await webhook_events.settle(session, row_id=event.id, values=values)
        if self.on_delivery is not None:
            self.on_delivery(result)

    async def _disable_pending(self) -> None:
        async with self.sessions() as session:
            if not await webhook_events.any_pending(session):
                return  # the usual case: a read, so an idle poll never takes SQLite's write lock
        async with self.sessions() as session, session.begin():
            await webhook_events.disable_pending(session)

    async def _prune(self, now: datetime) -> None:
        if self._last_prune is not None and now - self._last_prune < timedelta(hours=1):
            return
        self._last_prune = now
        async with self.sessions() as session, session.begin():
            pruned = await webhook_events.prune(session, created_before=now - self.keep)
        if pruned:
            log.info("webhooks: pruned %d events older than %d days", pruned, self.keep.days)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("webhooks: the sender stopped on an unexpected error", exc_info=task.exception())


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value.strip()), 0.0)
    except ValueError:
        return None  # an HTTP date: rare for webhooks receivers; our own backoff applies
