"""Delivers neutral alerts on Slack: one thread per link in the support channel, DMs to customers.

Raises on any Slack error, so the outbox keeps the alert and tries again later; the thread's
parent is stored before anything is posted into it, so a retry never opens a second thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.slack import blocks, command_blocks, migration_blocks
from handlers.migration_message import ALERT_KINDS as MIGRATION_KINDS
from bot.slack.people import People
from handlers.connect import Tickets
from handlers.migration.invite import InviteLinks, forward_links, more_debtors, soap_until
from handlers.model import CUSTOMER_KINDS, Alert, AlertKind, LinkCard, Person
from handlers.ports import Undeliverable
from handlers.text import replies
from handlers.text.alert_text import SOAP_KINDS
from handlers.text.customer_reply import customer_reply
from storage import support_threads

log = logging.getLogger(__name__)

PLATFORM = "slack"
#: Support-channel alerts that stand on their own rather than in a link's thread.
TOP_LEVEL = frozenset({AlertKind.CUSTOMER_STUCK, AlertKind.DIGEST, AlertKind.MIGRATION_MATCH,
                       AlertKind.MIGRATION_REMINDER, *SOAP_KINDS})
#: Thread messages that are also shown in the channel (Slack's "also send to channel").
BROADCAST = frozenset({AlertKind.BROKEN, AlertKind.LINK_MIGRATED})
#: Slack errors after which a customer's DM is tried again later rather than handed to support.
_RETRY = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
#: Slack errors that say a DM will never reach this person, whatever their organisation.
_GONE = frozenset({"channel_not_found", "user_not_found", "cannot_dm_bot", "account_inactive", "not_in_channel",
                   "user_disabled", "is_archived"})


def refused_for_good(exc: SlackApiError, *, external: bool) -> str | None:
    """Slack's error when it refused a customer's DM for good, else None (retried: outages, rate limits).
    A Slack Connect customer (external) may not be DMed for reasons of their organisation: any refusal
    that is not an outage counts."""
    error = str(exc.response.get("error") or "?")
    status = getattr(exc.response, "status_code", 200)
    if error in _RETRY or status == 429 or status >= 500:
        return None
    return error if error in _GONE or external else None


class NoRecipient(Exception):
    """A customer alert names no Slack user to send it to."""


class SlackNotifier:
    """handlers.ports.Notifier for Slack."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        sessions: async_sessionmaker[AsyncSession],
        support_channel: str,
        lang: str,
        notify_customers: bool = True,
        people: People | None = None,
        tickets: Tickets | None = None,
        invite_links: InviteLinks | None = None,
    ) -> None:
        self.client = client
        self.invite_links = invite_links
        """With REST on: the per-debtor URLs of a migration invite (made when it is sent)."""
        self.tickets = tickets
        """With REST on: the tickets of the "Connect with Nmbrs" button in customer messages."""
        self.people = people
        """Looks up a customer's Slack locale, so a nightly alert speaks their language."""
        self.sessions = sessions
        self.support_channel = support_channel
        self.lang = lang
        self.notify_customers = notify_customers

    async def deliver(self, alert: Alert) -> None:
        if alert.kind in CUSTOMER_KINDS:
            await self._to_customer(alert)
        elif alert.kind in TOP_LEVEL or alert.link is None:
            await self._top_level(alert)
        else:
            await self._in_thread(alert, alert.link)

    async def _top_level(self, alert: Alert) -> None:
        if alert.kind is AlertKind.CUSTOMER_STUCK:
            message = blocks.support_stuck(alert.details, self.lang)
        elif alert.kind is AlertKind.DIGEST:
            message = blocks.support_digest(alert.details, self.lang)
        elif alert.kind in SOAP_KINDS:
            message = blocks.support_soap(alert, self.lang)
        elif alert.kind in MIGRATION_KINDS:
            forward = await forward_links(self.invite_links, alert)
            message = command_blocks.migration_alert(alert, self.lang, forward=forward)
        else:  # a link alert without its link (never queued so): still told, not lost
            message = blocks.support_note(alert, self.lang)
        await self.client.chat_postMessage(channel=self.support_channel, unfurl_links=False, **message)

    async def _in_thread(self, alert: Alert, card: LinkCard) -> None:
        # On an activation "by" is who sent the credentials; on other alerts it is who acted.
        sender = alert.details.get("by") if alert.kind is AlertKind.ACTIVATED else None
        thread_ts, created = await self._thread(card, by=sender)
        if created and alert.kind is AlertKind.ACTIVATED:
            return  # the parent message is the activation
        if alert.kind in MIGRATION_KINDS:
            forward = await forward_links(self.invite_links, alert)
            message = command_blocks.migration_alert(alert, self.lang, forward=forward)
        else:
            message = blocks.support_update(alert, self.lang)
        extra: dict[str, Any] = {"reply_broadcast": True} if alert.kind in BROADCAST else {}
        await self.client.chat_postMessage(
            channel=self.support_channel, thread_ts=thread_ts, unfurl_links=False, **extra, **message
        )

    async def _thread(self, card: LinkCard, *, by: object = None) -> tuple[str, bool]:
        """The ts of the link's parent message, posting it first when the link has none yet."""
        async with self.sessions() as session:
            thread = await support_threads.find(session, link_id=card.id, platform=PLATFORM)
        if thread is not None:
            return thread.thread_id, False
        response = await self.client.chat_postMessage(
            channel=self.support_channel, unfurl_links=False, **blocks.support_parent(card, self.lang, by=by)
        )
        ts, channel = str(response["ts"]), str(response.get("channel") or self.support_channel)
        async with self.sessions() as session, session.begin():
            support_threads.add(session, link_id=card.id, platform=PLATFORM, channel_id=channel, thread_id=ts)
        log.info("support thread opened for link %s", card.short_id)
        return ts, True

    async def _invite(self, alert: Alert) -> None:
        """A migration invite: the DM is opened first, then its URLs are made and go straight into it."""
        user_id = alert.details.get("user_id")
        if self.invite_links is None or not user_id:
            raise NoRecipient("a migration invite without REST consent or a user")
        lang = (await self.people.lang_of(self.client, str(user_id)) if self.people is not None
                else replies.lang_of(alert.lang, self.lang))
        try:
            opened = await self.client.conversations_open(users=str(user_id))
            links = await self.invite_links.for_customer(alert, lang=lang)
            message = migration_blocks.customer_invite(links, soap_until(alert), lang, more=more_debtors(alert))
            await self.client.chat_postMessage(channel=opened["channel"]["id"], unfurl_links=False, **message)
        except SlackApiError as exc:
            external = self._external_team(alert.details.get("team_id"))
            error = refused_for_good(exc, external=external)
            if error is None:
                raise
            raise Undeliverable(platform=PLATFORM, code=error, external=external) from exc
        log.info("customer of link %s invited to move %s debtor(s)", alert.details.get("soap_link_id"), len(links))

    async def _to_customer(self, alert: Alert) -> None:
        if alert.kind is AlertKind.CUSTOMER_MIGRATION:
            return await self._invite(alert)
        if alert.kind is AlertKind.CUSTOMER_BROKEN and not self.notify_customers:
            log.info("customer not told (TOKENDESK_NOTIFY_CUSTOMERS=false)")
            return
        card = alert.link
        user_id = alert.details.get("user_id") or (card.user_id if card else None)
        if (card is None and alert.kind is not AlertKind.CUSTOMER_CONSENT) or not user_id:
            raise NoRecipient(f"{alert.kind} alert without a link or user")
        if self.people is not None:
            lang = await self.people.lang_of(self.client, str(user_id))
        else:
            lang = replies.lang_of(alert.lang, self.lang)
        reply = customer_reply(alert, lang)
        consent = None
        if self.tickets is not None and reply.offer_connect:
            team_id = alert.details.get("team_id") or (card.team_id if card else None)
            offered = await self.tickets.consent(Person(PLATFORM, str(team_id or ""), str(user_id), lang))
            consent = offered.for_alert(alert)  # a REST link's message leads with the consent
        try:
            opened = await self.client.conversations_open(users=str(user_id))
            channel = opened["channel"]["id"]
            await self.client.chat_postMessage(channel=channel, unfurl_links=False,
                                               **blocks.reply_message(reply, lang, consent=consent))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "?")
            if card is None or not self._external_team(card.team_id) or error in _RETRY:
                raise
            # A Slack Connect customer the bot may not DM: support hears it in the link's thread, as
            # for a link made on the invitation page, and passes it on (without the consent button,
            # whose ticket is the customer's).
            thread_ts, _ = await self._thread(card)
            await self.client.chat_postMessage(channel=self.support_channel, thread_ts=thread_ts, unfurl_links=False,
                                               **blocks.support_customer_relay(card, reply, lang, error, self.lang))
            log.info("customer of link %s not reachable by DM (%s); told support instead", card.short_id, error)
            return
        log.info("customer told about link %s (%s)", card.short_id if card else "-", alert.kind)

    def _external_team(self, team_id: object) -> bool:
        """A customer of this team is from another organisation than the installing workspace."""
        home = self.people.team_id if self.people is not None else None
        return bool(home and team_id and team_id != home)
