"""`tokendesk webhooks`: an operator sees pending and failed deliveries and sends failed ones again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from bot.standins.webhook_receiver import Receiver
from bot.webhooks import Backoff, WebhookSender
from handlers.model import AlertKind
from storage.models import LinkState, WebhookEvent, WebhookStatus
from tests.bot.webhooks.conftest import SECRET, TOKENS, FakeClock, make_link, transition


def tokendesk(*args: str, database_url: str, webhook_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    env["DATABASE_URL"] = database_url
    if webhook_url:
        env.update(TOKENDESK_WEBHOOK_URL=webhook_url, TOKENDESK_WEBHOOK_SECRET=SECRET)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=60)


async def test_list_failed_and_retry(sqlite_url, sqlite_sessions, cipher, receiver: Receiver, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    sessions = sqlite_sessions
    a = await make_link(sessions, cipher, "hr@acme.nl")
    b = await make_link(sessions, cipher, "payroll@beta.nl", "beta")
    await transition(sessions, a, AlertKind.ACTIVATED)
    await transition(sessions, b, AlertKind.ACTIVATED)
    await transition(sessions, b, AlertKind.BROKEN, state=LinkState.BROKEN)
    receiver.status = 503
    sender = WebhookSender(sessions, url=receiver.url, secret=SECRET, clock=clock, max_attempts=1,
                           backoff=Backoff(base_s=1, cap_s=1, rand=lambda: 1.0))
    for _ in range(3):
        await sender.deliver_due()
        clock.advance(2)
    async with sessions() as session:
        rows = list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))).all())
    assert [r.status for r in rows] == [WebhookStatus.FAILED] * 3

    listing = tokendesk("webhooks", database_url=sqlite_url, webhook_url=receiver.url)
    assert listing.returncode == 0, listing.stderr
    assert "pending 0, failed 3, delivered 0, disabled 0" in listing.stdout
    assert "link.broken" in listing.stdout and "HTTP 503" in listing.stdout and "--retry" in listing.stdout
    assert json.loads(tokendesk("webhooks", "--failed", "--json", database_url=sqlite_url).stdout)["counts"]["failed"] == 3

    one = tokendesk("webhooks", "--retry", rows[0].event_id, database_url=sqlite_url, webhook_url=receiver.url)
    assert one.returncode == 0 and "queued 1 event again" in one.stdout
    rest = tokendesk("webhooks", "--retry-all", database_url=sqlite_url, webhook_url=receiver.url)
    assert rest.returncode == 0 and "queued 2 events again" in rest.stdout
    queued = tokendesk("webhooks", "--retry", str(rows[0].id), database_url=sqlite_url)
    assert queued.returncode == 1 and f"event {rows[0].id} is pending; only failed or disabled" in queued.stderr
    unknown = tokendesk("webhooks", "--retry", "99", database_url=sqlite_url)
    assert unknown.returncode == 1 and "no webhook event 99" in unknown.stderr

    receiver.status = 204
    assert await sender.deliver_due() == 3
    await sender.stop()
    assert receiver.types() == ["link.activated", "link.activated", "link.broken"]
    assert "nothing pending or failed" in tokendesk("webhooks", database_url=sqlite_url).stdout
    for token in TOKENS.values():
        assert token not in listing.stdout


def test_serve_refuses_a_webhook_url_without_a_secret(sqlite_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=sqlite_url, TOKENDESK_WEBHOOK_URL="https://integration.example/hooks", TOKENDESK_WEBHOOK_SECRET="short")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr  # reported together with the other missing settings
    assert "TOKENDESK_WEBHOOK_SECRET: 5 bytes is too short" in result.stderr and "short\n" not in result.stderr
