"""Socket Mode: Slack's events over a WebSocket instead of HTTP (development, no public URL).

Runs as a lifespan hook of the web app, so /healthz and /metrics are still served over HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Callable

from fastapi import FastAPI
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


def socket_lifespan(bolt: AsyncApp, app_token: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def run(_app: FastAPI) -> AsyncIterator[None]:
        handler = AsyncSocketModeHandler(bolt, app_token, logger=logging.getLogger("bot.slack.socket_mode"))
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode")
        try:
            yield
        finally:
            await handler.close_async()
            log.info("Socket Mode connection closed")

    return run
