"""Builds the Slack parts: the Web API client, the bot's identity (auth.test), the notifier, the staff
directory and the bolt AsyncApp with its middleware and listeners; bot.app puts them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.slack import commands
from bot.slack.context import SlackContext
from bot.slack.listeners import actions, errors, events, shared, views
from bot.slack.notifier import SlackNotifier
from bot.slack.people import People
from bot.slack.staff import SlackStaffDirectory
from handlers.connect import Tickets
from handlers.migration.invite import invite_links

log = logging.getLogger(__name__)

#: Seconds one Web API call may take before it counts as a connection failure (then retried).
API_TIMEOUT_S = 15


class SlackStartError(Exception):
    """Slack refused the bot token or could not be reached at start; the message says which."""


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, from auth.test."""

    user_id: str
    bot_id: str | None
    team_id: str
    enterprise_id: str | None = None


def build_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: retries 429 (after Retry-After), 5xx and connection errors."""
    if settings.slack_bot_token is None:
        raise SlackStartError("SLACK_BOT_TOKEN is not set")
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=API_TIMEOUT_S,
        logger=logging.getLogger("bot.slack.api"),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


async def who_am_i(client: AsyncWebClient) -> BotIdentity:
    """auth.test, turned into a clear SlackStartError when the token is refused or Slack is away."""
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
            raise SlackStartError(
                f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) "
                "from OAuth & Permissions again, and reinstall the app if it was removed"
            ) from None
        raise SlackStartError(f"auth.test failed: {error}") from None
    except (SlackClientError, OSError, TimeoutError) as exc:
        raise SlackStartError(
            f"could not reach Slack at {client.base_url} ({type(exc).__name__}); check the network "
            "and TOKENDESK_SLACK_API_URL"
        ) from None
    return BotIdentity(
        user_id=str(response["user_id"]), bot_id=response.get("bot_id"), team_id=str(response["team_id"]),
        enterprise_id=response.get("enterprise_id"),
    )


def build_notifier(settings: Settings, sessions: async_sessionmaker[AsyncSession], client: AsyncWebClient,
                   people: People, tickets: Tickets | None = None) -> SlackNotifier:
    """The Slack notifier of the outbox: support alerts to the support channel, customers' DMs
    (with REST on, `tickets` for their "Connect with Nmbrs" button)."""
    return SlackNotifier(
        client=client, sessions=sessions, support_channel=settings.support_channel or "",
        lang=settings.language, notify_customers=settings.notify_customers, people=people, tickets=tickets,
        invite_links=invite_links(tickets, settings.invite_lifetime),
    )


def build_staff(settings: Settings, client: AsyncWebClient, identity: BotIdentity) -> SlackStaffDirectory:
    """Who is support staff: one directory (one user-group cache) for commands, buttons and App Home."""
    return SlackStaffDirectory(
        client=client, team_id=identity.team_id, usergroup=settings.support_usergroup, users=settings.support_users,
    )


def build_bolt_app(ctx: SlackContext, client: AsyncWebClient, identity: BotIdentity) -> AsyncApp:
    """The bolt app: signature check (HTTP mode), one claim per delivery, and every listener."""
    settings = ctx.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None

    async def authorize() -> AuthorizeResult:
        # One workspace, known from auth.test at start: no auth.test per request.
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id, team_id=identity.team_id, bot_token=client.token,
            bot_id=identity.bot_id, bot_user_id=identity.user_id,
        )

    bolt_log = logging.getLogger("bot.slack.bolt")
    level = bolt_log.level
    # bolt warns at construction that the client's token "will be ignored" because of authorize;
    # it is not (authorize hands that same token out), so the warning would only mislead operators.
    bolt_log.setLevel(logging.ERROR)
    try:
        app = AsyncApp(
            client=client,
            signing_secret=secret,
            authorize=authorize,
            # Without a signing secret only Socket Mode can serve (bolt never verifies its envelopes).
            request_verification_enabled=secret is not None,
            process_before_response=False,
            logger=bolt_log,
        )
    finally:
        bolt_log.setLevel(level)
    events.register(app, ctx)
    actions.register(app, ctx)
    shared.register(app, ctx)
    views.register(app, ctx)
    commands.register(app, ctx)
    errors.register(app, ctx)
    return app
