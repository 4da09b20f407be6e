"""What every Slack listener gets: the desk, the use cases, and who the bot is in this workspace."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bot.desk import Desk
from bot.config import Settings
from handlers.alerts import Outbox
from handlers.conversations import Conversations
from handlers.intake import Intake

if TYPE_CHECKING:
    from bot.slack.intakes import AckRecorder
    from bot.slack.notifier import SlackNotifier
    from bot.slack.people import People
    from handlers.commands import Rechecker
    from handlers.connect import Connect
    from handlers.offer import Consent
    from handlers.invitations import Invitations
    from handlers.model import Person
    from handlers.text.replies import Reply
    from handlers.pending_intakes import PendingIntakes
    from handlers.revocations import Revocations
    from handlers.staff import StaffDirectory

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class SlackContext:
    desk: Desk
    """bot.desk.Desk: settings, sessions, cipher, gateway, limiter."""
    intake: Intake
    outbox: Outbox
    notifier: "SlackNotifier"
    people: "People"
    """lang_of(client, user_id) -> "nl"/"en"; person(client, ...) -> handlers.model.Person."""
    bot_user_id: str
    """From auth.test at start."""
    team_id: str
    """The installing workspace, from auth.test."""
    staff: "StaffDirectory"
    """Who is support staff; one directory (one user-group cache) for commands, buttons and App Home."""
    conversations: Conversations
    """Half-sent credentials in DMs."""
    recheck: "Rechecker | None" = None
    """The process's handlers.recheck.Recheck when it runs the scheduler; without it /nmbrs check is off."""
    invitations: "Invitations | None" = None
    """Invitation links (/nmbrs invite); None without TOKENDESK_PUBLIC_URL."""
    revocations: "Revocations | None" = None
    """Revoking a REST link's refresh token at Nmbrs (/nmbrs revoke); None without REST."""
    bot_id: str | None = None
    """The bot's bot_id from auth.test (messages it posts carry it)."""
    pending: "PendingIntakes | None" = None
    """Intakes recorded before the acknowledgement and finished by a worker (issue 12 finding 3)."""
    recorder: "AckRecorder | None" = None
    """Writes delivery claims and pending intakes before the acknowledgement, batched."""
    connect: "Connect | None" = None
    """REST consent (the "Connect with Nmbrs" URL button's tickets); None when REST is off."""
    inflight: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)
    """Listener work still running after its acknowledgement; awaited at shutdown."""

    async def consent(self, person: "Person", reply: "Reply | None" = None) -> "Consent | None":
        """A fresh "Connect with Nmbrs" button for this person when REST is on (and `reply`, if given,
        offers to connect); None otherwise."""
        if self.connect is None or (reply is not None and not reply.offer_connect):
            return None
        return await self.connect.tickets.consent(person)

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    @property
    def support_channel(self) -> str | None:
        return self.desk.settings.support_channel

    def track(self, listener: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        """Wrap a listener so its run is awaited at shutdown (uvicorn only waits for requests, and
        bolt runs listeners on after the acknowledgement)."""

        # functools.wraps keeps the signature visible: bolt injects arguments by parameter name.
        @functools.wraps(listener)
        async def tracked(*args: Any, **kwargs: Any) -> T:
            task = asyncio.current_task()
            if task is not None:
                self.inflight.add(task)
            try:
                return await listener(*args, **kwargs)
            finally:
                if task is not None:
                    self.inflight.discard(task)

        return tracked

    async def settle(self, timeout: float = 10.0) -> int:
        """Wait (at most `timeout` seconds) for tracked listener work; returns how many were left."""
        pending = {task for task in self.inflight if not task.done()}
        if not pending:
            return 0
        done, still = await asyncio.wait(pending, timeout=timeout)
        if still:
            log.warning("shutdown: %d listener runs still busy after %.0f s", len(still), timeout)
        return len(still)

