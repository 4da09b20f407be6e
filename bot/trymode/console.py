"""The /try page's server side: what the page sends becomes the requests Slack would send to
/slack/events (built by bot.standins.slack.payloads and signed here with the try-mode secret), and
what the listeners sent to the local Slack comes back as HTML (bot.trymode.timeline)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.standins.slack import payloads
from bot.standins.slack.server import SlackStandIn
from bot.standins.slack.workspace import dm_channel, new_trigger_id
from bot.trymode import render
from bot.trymode.practice import CUSTOMERS, SUPPORT_CHANNEL, SUPPORT_USER
from bot.trymode.timeline import CommandEntry, channel_html

log = logging.getLogger(__name__)


class Refused(Exception):
    """The page asked for something that does not exist (answered 400 with this text)."""


@dataclass
class Modal:
    """The modal open on the page: Slack's view, and what the page has seen of it."""

    view_id: str
    user: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    answered: dict[str, Any] | None = None
    """The view the submission's acknowledgement put in place ("update"), until a views.update."""
    submitted_at: float = 0.0


#: Slack retries an Events API delivery 3 times; try mode waits seconds, not minutes, between them.
EVENT_RETRIES = 3
EVENT_RETRY_AFTER_S = 1.0


class Console:
    """The page's side of the local chat: one page, one Slack workspace, one support person."""

    def __init__(self, *, slack: SlackStandIn, desk_url: str, signing_secret: str) -> None:
        self.slack = slack
        self.desk_url = desk_url
        self.secret = signing_secret
        self.entries: list[CommandEntry] = []
        self.modal: Modal | None = None
        self._ids = itertools.count(1)
        self._triggers: dict[str, str] = {}  # trigger_id -> who it was issued to
        self._seen_views: set[str] = set()
        self.names = {c.user_id: c.name for c in CUSTOMERS} | {SUPPORT_USER: "Support (you)"}

    # -- sending, as Slack would -------------------------------------------------------------------

    async def _post(self, request: payloads.SlackRequest, *, retries: int = 0) -> httpx.Response:
        """POST as Slack does. An Events API delivery that is not answered 2xx is sent again, as
        Slack does (with X-Slack-Retry-Num; Slack waits about 1 and 5 minutes, try mode seconds)."""
        async with httpx.AsyncClient(base_url=self.desk_url, timeout=10) as http:
            response = await http.post("/slack/events", content=request.body, headers=request.headers(self.secret))
            for attempt in range(1, retries + 1):
                if response.is_success:
                    break
                log.warning("try mode: /slack/events answered %s; Slack would retry: retry %d",
                            response.status_code, attempt)
                await asyncio.sleep(EVENT_RETRY_AFTER_S * attempt)
                response = await http.post("/slack/events", content=request.body, headers=request.headers(
                    self.secret, retry_num=attempt, retry_reason="http_error"))
        if response.status_code != 200:
            log.warning("try mode: /slack/events answered %s", response.status_code)
        return response

    def _trigger(self, user: str) -> str:
        trigger = new_trigger_id()
        self._triggers[trigger] = user
        return trigger

    def customer(self, user_id: str) -> str:
        if user_id not in {c.user_id for c in CUSTOMERS}:
            raise Refused("no such customer")
        return user_id

    async def dm(self, user_id: str, text: str) -> None:
        """The customer writes `text` in their DM with the bot."""
        user = self.customer(user_id)
        if not text.strip():
            raise Refused("type a message first")
        event = payloads.message_im(user, text)
        self.slack.add_message(event["channel"], user, event["text"], ts=event["ts"])
        await self._post(payloads.event_callback(event), retries=EVENT_RETRIES)

    async def command(self, text: str) -> None:
        """Support staff type `/nmbrs <text>` in the support channel."""
        text = text.strip().removeprefix("/nmbrs").strip()
        entry = CommandEntry(id=next(self._ids), at=time.time(), text=f"/nmbrs {text}".strip(),
                             user=SUPPORT_USER, channel=SUPPORT_CHANNEL)
        self.entries.append(entry)
        request = payloads.slash_command(
            text, SUPPORT_USER, self.slack.team_id, SUPPORT_CHANNEL, self.slack.response_url(entry.response_name),
            trigger_id=self._trigger(SUPPORT_USER),
        )
        response = await self._post(request)
        if response.content and response.headers.get("content-type", "").startswith("application/json"):
            answer = response.json()
            if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
                entry.ack = answer

    async def action(self, *, origin: dict[str, Any], action_id: str, value: str, block_id: str) -> None:
        """A click on a button in a message (the DM, the channel, or a command's answer)."""
        kind = origin.get("kind")
        if kind == "command":
            entry = next((e for e in self.entries if e.id == origin.get("id")), None)
            if entry is None:
                raise Refused("no such command")
            request = payloads.block_actions(
                action_id, entry.user, self.slack.team_id, value=value, block_id=block_id, channel=entry.channel,
                response_url=self.slack.response_url(entry.next_action_name()), trigger_id=self._trigger(entry.user),
            )
        elif kind == "message":
            channel, ts = str(origin.get("channel")), str(origin.get("ts"))
            user = next((c.user_id for c in CUSTOMERS if dm_channel(c.user_id) == channel), None)
            if user is None and channel != SUPPORT_CHANNEL:
                raise Refused("no such channel")
            user = user or SUPPORT_USER
            request = payloads.block_actions(
                action_id, user, self.slack.team_id, value=value, block_id=block_id, channel=channel,
                message_ts=ts, trigger_id=self._trigger(user),
            )
        else:
            raise Refused("unknown origin")
        await self._post(request)

    async def submit(self, values: dict[str, str]) -> None:
        """The open modal's submit button: a view_submission with what was typed."""
        modal = self.modal
        view = self.slack.view(modal.view_id) if modal else None
        if modal is None or view is None:
            raise Refused("no form is open")
        inputs = {b.get("block_id"): (b.get("element") or {}).get("action_id")
                  for b in view.get("blocks", []) if b.get("type") == "input"}
        modal.values = {k: str(v) for k, v in values.items() if k in inputs}
        request = payloads.view_submission(
            view["callback_id"], {block: {action: modal.values.get(block) or None} for block, action in inputs.items()},
            modal.user, self.slack.team_id, view.get("private_metadata", ""), view_id=modal.view_id,
            view_hash=view.get("hash"), blocks=view.get("blocks"),
        )
        modal.submitted_at = time.time()
        response = await self._post(request)
        answer = response.json() if response.content else {}
        modal.errors, modal.answered = {}, None
        if answer.get("response_action") == "errors":
            modal.errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
        elif answer.get("response_action") == "update":
            modal.answered = answer.get("view")
        elif answer.get("response_action") == "clear" or not answer:
            self.modal = None

    def close_modal(self) -> None:
        self.modal = None

    # -- what the page shows -------------------------------------------------------------------------

    def _name(self, user: str) -> str:
        return self.names.get(user, user)

    def _follow_views(self) -> None:
        # A views.open answering one of our triggers (Connect, `/nmbrs connect`) opens the modal.
        for call in self.slack.calls("views.open"):
            trigger = call.params.get("trigger_id")
            if call.ok and trigger in self._triggers and trigger not in self._seen_views:
                self._seen_views.add(trigger)
                self.modal = Modal(view_id=call.response["view"]["id"], user=self._triggers[trigger])

    def _modal_html(self) -> str | None:
        modal = self.modal
        if modal is None:
            return None
        view = self.slack.view(modal.view_id)
        if view is None:
            return None
        updated = any(c.ok and c.params.get("view_id") == modal.view_id and c.at >= modal.submitted_at
                      for c in self.slack.calls("views.update"))
        shown = modal.answered if modal.answered is not None and not updated else view
        return render.modal(shown, values=modal.values, errors=modal.errors)

    def state(self, customer: str) -> dict[str, Any]:
        user = self.customer(customer)
        self._follow_views()
        bot = self.slack.bot_user_id
        return {
            "dm": channel_html(self.slack, channel=dm_channel(user), viewer=user, entries=self.entries,
                               name_of=self._name, bot_user_id=bot),
            "channel": channel_html(self.slack, channel=SUPPORT_CHANNEL, viewer=SUPPORT_USER, entries=self.entries,
                                    name_of=self._name, bot_user_id=bot),
            "modal": self._modal_html(),
        }


async def wait_for_settle(seconds: float = 0.05) -> None:
    """Give the listeners a moment after the acknowledgement before the page asks again."""
    await asyncio.sleep(seconds)


def parse_origin(text: str) -> dict[str, Any]:
    try:
        origin = json.loads(text)
    except ValueError:
        raise Refused("bad origin") from None
    if not isinstance(origin, dict):
        raise Refused("bad origin")
    return origin
