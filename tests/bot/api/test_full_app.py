"""The hand-off inside tokendesk's own web app: /api/v1 beside /healthz and /metrics, and the webhook
sender running in the app's lifespan, all over real HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.api.handoff import build_handoff
from bot.config import Settings
from bot.metrics import Metrics
from bot.standins.webhook_receiver import Receiver
from bot.web import build_web_app
from handlers.alerts import queue
from handlers.model import Alert, AlertKind, LinkCard
from storage.cipher import TokenCipher
from storage.db import create_engine, session_factory
from storage.links import get_link
from storage.models import utcnow
from tests.bot.api.conftest import TOKENS
from tests.bot.api.server import serving
from tests.bot.webhooks.conftest import KEY, SECRET


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_api_metrics_and_webhooks_in_the_web_app(  # type: ignore[no-untyped-def]
    database_url: str, sessions, cipher: TokenCipher, key: str, links: dict[str, int]
) -> None:
    receiver = Receiver(key=KEY, clock=utcnow).start()
    settings = Settings(_env_file=None, database_url=database_url, webhook_url=receiver.url, webhook_secret=SECRET)  # type: ignore[call-arg]
    engine = create_engine(database_url)
    server_sessions = session_factory(engine)
    metrics = Metrics()
    handoff = build_handoff(settings=settings, sessions=server_sessions, cipher=cipher, metrics=metrics,
                            poll_interval_s=0.05)
    app = build_web_app(server_sessions, metrics=metrics, api=handoff.api, lifespans=[handoff.lifespan])
    try:
        with serving(app, on_shutdown=engine.dispose) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                auth = {"authorization": f"Bearer {key}"}
                credentials = await client.get(f"/api/v1/links/L{links['active']}/credentials", headers=auth)
                assert credentials.status_code == 200 and credentials.json()["token"] == TOKENS["active@acme.nl"]
                assert (await client.get(f"/api/v1/links/L{links['broken']}/credentials", headers=auth)).status_code == 409
                assert (await client.get("/api/v1/links")).status_code == 401
                assert (await client.get("/api/v1/openapi.json")).json()["servers"] == [{"url": "/api/v1"}]
                assert (await client.get("/healthz")).status_code == 200

                async with sessions() as session, session.begin():
                    link = await get_link(session, links["active"])
                    assert link is not None
                    await queue(session, Alert(AlertKind.ACTIVATED, LinkCard.of(link), {}), key="link:active:activated")
                await asyncio.to_thread(receiver.wait_for, 1)
                assert receiver.types() == ["link.activated"] and receiver.refused == []

                delivered = 'tokendesk_webhook_deliveries_total{result="delivered"} 1.0'
                for _ in range(100):  # the counter moves once the row is marked delivered, just after
                    scrape = (await client.get("/metrics")).text
                    if delivered in scrape:
                        break
                    await asyncio.sleep(0.02)
                assert 'tokendesk_credentials_reads_total{result="served"} 1.0' in scrape
                assert 'tokendesk_credentials_reads_total{result="refused"} 1.0' in scrape
                assert delivered in scrape
                for token in TOKENS.values():
                    assert token not in scrape
    finally:
        receiver.stop()
