"""The whole hand-off for `serve`: the /api/v1 app and the webhook sender, with a lifespan to run the sender."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.app import build_api
from bot.config import Settings
from bot.metrics import Metrics
from bot.webhooks import WebhookSender
from handlers.recheck.rest import RestTokens
from storage.cipher import TokenCipher

log = logging.getLogger(__name__)


@dataclass
class Handoff:
    api: FastAPI
    """Give it to `build_web_app(api=...)`; it is served under /api/v1."""
    sender: WebhookSender

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Runs the webhook sender while the web app runs; undelivered events wait in the outbox."""
        self.sender.start()
        try:
            yield
        finally:
            await self.sender.stop()


def build_handoff(
    *,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    cipher: TokenCipher,
    metrics: Metrics,
    rest_tokens: RestTokens | None = None,
    **sender_options: Any,
) -> Handoff:
    """Raises bot.webhooks.WebhookConfigError when the webhook settings are unusable
    (check `bot.webhooks.webhook_problems(settings)` first to report them with the others)."""
    api = build_api(
        sessions=sessions, cipher=cipher,
        on_credentials_read=lambda result: metrics.credentials_reads.labels(result=result).inc(),
        rest_tokens=rest_tokens, soap_until=settings.nmbrs_soap_until,
    )
    sender = WebhookSender.from_settings(
        settings, sessions,
        on_delivery=lambda result: metrics.webhook_deliveries.labels(result=result).inc(),
        **sender_options,
    )
    return Handoff(api=api, sender=sender)
