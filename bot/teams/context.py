"""What every Teams listener gets: the desk, the neutral use cases, the connector and the references,
and the set of work still running after Teams was answered (awaited at shutdown)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.desk import Desk
from bot.config import Settings
from bot.teams.references import References
from bot.teams.sender import Sender
from handlers.alerts import Outbox
from handlers.commands import Commands
from handlers.conversations import Conversations
from handlers.intake import Intake

if TYPE_CHECKING:
    from handlers.connect import Tickets
    from handlers.offer import Consent
    from handlers.model import Person
    from handlers.pending_intakes import PendingIntakes
    from handlers.text.replies import Reply

log = logging.getLogger(__name__)


@dataclass
class TeamsContext:
    desk: Desk
    intake: Intake
    outbox: Outbox
    commands: Commands
    conversations: Conversations
    sender: Sender
    references: References
    pending: "PendingIntakes | None" = None
    """Chat intakes recorded with the activity's claim and finished by a worker (issue 12 finding 3)."""
    tickets: "Tickets | None" = None
    """With REST on: the tickets of the "Connect with Nmbrs" button."""
    inflight: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)

    async def consent(self, person: "Person | None", reply: "Reply | None" = None) -> "Consent | None":
        """A fresh "Connect with Nmbrs" button for this person when REST is on (and `reply`, if given,
        offers to connect); None otherwise."""
        if self.tickets is None or person is None or (reply is not None and not reply.offer_connect):
            return None
        return await self.tickets.consent(person)

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` after Teams has its answer (it gives up after 15 s; a Nmbrs check can take longer)."""
        task = asyncio.get_running_loop().create_task(work)
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        return task

    async def settle(self, timeout: float = 10.0) -> int:
        """Wait (at most `timeout` seconds) for spawned work; returns how many were still running."""
        pending = {task for task in self.inflight if not task.done()}
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        if still:
            log.warning("shutdown: %d Teams runs still busy after %.0f s", len(still), timeout)
        return len(still)
