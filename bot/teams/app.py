"""Builds the Teams side on Microsoft's Teams SDK (microsoft-teams-apps) in two steps for bot.app: the
connection (the SDK App with our route adapter, so POST /api/messages runs in tokendesk's ASGI app, its
JWT validation, the connector client, the notifier), then the context, listeners and lifespan.

Nothing is imported from the SDK at tokendesk's import time: `microsoft_teams.apps` loads a `.env`
file into the environment when imported, so it is imported here, only when Teams is configured.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import Desk
from bot.config import Settings
from bot.teams.endpoint import PATH, MessagesEndpoint, RouteAdapter
from bot.teams.staff import TeamsStaffDirectory
from handlers.alerts import Outbox
from handlers.commands import Commands, Rechecker
from handlers.connect import Tickets
from handlers.conversations import Conversations
from handlers.intake import Intake
from handlers.invitations import Invitations
from handlers.migration import Migration
from handlers.migration.invite import invite_links
from handlers.pending_intakes import PendingIntakes
from handlers.revocations import Revocations

if TYPE_CHECKING:
    from microsoft_teams.api.auth.cloud_environment import CloudEnvironment
    from microsoft_teams.apps import App

    from bot.teams.context import TeamsContext
    from bot.teams.notifier import TeamsNotifier
    from bot.teams.references import References
    from bot.teams.sender import Sender

log = logging.getLogger(__name__)

#: At shutdown: how long work after an answer may still run.
SETTLE_S = 10.0


class TeamsStartError(Exception):
    """Teams is half configured; the message names what is missing."""


@dataclass(frozen=True)
class TeamsEndpoints:
    """Where the Teams side talks to: Microsoft's cloud unless overridden (a sovereign cloud, or tests).

    `cloud` decides where inbound JWTs' keys come from and which issuer they must name; `token`
    replaces the client secret for the bot's own connector tokens (the SDK's TokenCredentials: a
    callable `(scope, tenant_id) -> str`)."""

    cloud: "CloudEnvironment | None" = None
    token: Callable[..., Any] | None = None


@dataclass
class TeamsConnection:
    """The SDK app and what talks to Teams. Built before the outbox, whose notifiers include this one."""

    app: "App"
    adapter: RouteAdapter
    sender: "Sender"
    references: "References"
    notifier: "TeamsNotifier"

    @asynccontextmanager
    async def started(self) -> AsyncIterator[None]:
        """Initialise the SDK app (it registers the messaging route and gets ready to send)."""
        await self.app.initialize()
        yield


@dataclass
class TeamsRuntime:
    """The Teams side of one process."""

    connection: TeamsConnection
    ctx: "TeamsContext"
    endpoint: MessagesEndpoint
    path: str = PATH

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        """Initialise the SDK app (registers the messaging route); at shutdown let spawned work finish."""
        async with self.connection.started():
            try:
                yield
            finally:
                await self.ctx.settle(SETTLE_S)


def connect_teams(settings: Settings, sessions: async_sessionmaker[AsyncSession],
                  endpoints: TeamsEndpoints | None = None, tickets: Tickets | None = None) -> TeamsConnection:
    """The SDK app, the connector sender, the conversation references and the notifier (with REST
    on, `tickets` for the "Connect with Nmbrs" button in customer messages)."""
    from microsoft_teams.apps import App

    from bot.teams.notifier import TeamsNotifier
    from bot.teams.references import References
    from bot.teams.sender import Sender

    if not settings.teams_enabled or settings.teams_client_id is None or settings.teams_tenant_id is None:
        raise TeamsStartError("TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID are all needed")
    endpoints = endpoints or TeamsEndpoints()
    _quiet_sdk_logs()
    adapter = RouteAdapter()
    options: dict[str, Any] = {
        "client_id": settings.teams_client_id,
        "tenant_id": settings.teams_tenant_id,
        "http_server_adapter": adapter,
        "messaging_endpoint": PATH,
        # Never from the environment: an unauthenticated activity is refused, whatever .env says.
        "dangerously_allow_unauthenticated_requests": False,
        "state": False,
        "fetch_user_token": False,
    }
    if endpoints.token is not None:
        options["token"] = endpoints.token
    else:
        assert settings.teams_client_secret is not None
        options["client_secret"] = settings.teams_client_secret.get_secret_value()
    if endpoints.cloud is not None:
        options["cloud"] = endpoints.cloud
    app = App(**options)
    references = References(sessions)
    sender = Sender(app.api, bot_id=f"28:{settings.teams_client_id}")
    notifier = TeamsNotifier(
        sender=sender, references=references, sessions=sessions,
        support_channel=settings.teams_support_channel, tenant_id=settings.teams_tenant_id,
        lang=settings.language, notify_customers=settings.notify_customers, tickets=tickets,
        invite_links=invite_links(tickets, settings.invite_lifetime),
    )
    return TeamsConnection(app=app, adapter=adapter, sender=sender, references=references, notifier=notifier)


def build_teams(desk: Desk, connection: TeamsConnection, *, intake: Intake, outbox: Outbox,
                conversations: Conversations, recheck: Rechecker | None = None,
                invitations: Invitations | None = None,
                pending: PendingIntakes | None = None, tickets: Tickets | None = None,
                revocations: Revocations | None = None) -> TeamsRuntime:
    """The Teams runtime: context and listeners on a connection whose notifier is already in `outbox`.
    Serve `runtime.endpoint` at `runtime.path` and enter `runtime.lifespan` (bot.app does both)."""
    from microsoft_teams.api import ActivityBase
    from microsoft_teams.apps import ActivityContext

    from bot.teams.context import TeamsContext
    from bot.teams.listeners import Listeners

    settings = desk.settings
    assert settings.teams_tenant_id is not None  # connect_teams refused a connection without it
    staff = TeamsStaffDirectory(tenant_id=settings.teams_tenant_id, users=settings.teams_support_users)
    ctx = TeamsContext(
        desk=desk,
        intake=intake,
        outbox=outbox,
        commands=Commands(sessions=desk.sessions, staff=staff, outbox=outbox, recheck=recheck,
                          invitations=invitations, revocations=revocations, offering=intake.offering,
                          migration=Migration(sessions=desk.sessions, staff=staff, outbox=outbox,
                                              soap_until=settings.nmbrs_soap_until,
                                              remind_days=settings.migration_remind_days,
                                              links=invite_links(tickets, settings.invite_lifetime))),
        conversations=conversations,
        sender=connection.sender,
        references=connection.references,
        pending=pending,
        tickets=tickets,
    )
    listeners = Listeners(ctx)

    async def on_activity(turn: ActivityContext[ActivityBase]) -> None:
        await listeners.on_activity(turn.activity.model_dump(by_alias=True, exclude_none=True))

    connection.app.on_activity(on_activity)
    return TeamsRuntime(connection=connection, ctx=ctx, endpoint=MessagesEndpoint(connection.adapter))


def _quiet_sdk_logs() -> None:
    """The SDK logs whole activities at DEBUG (app_process: "Received activity: …"), and a card
    submit's activity holds the token typed into the form: its loggers never go below INFO."""
    for name in ("microsoft_teams", "msal"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
