"""Delivers neutral alerts on Teams: one thread per link in TOKENDESK_TEAMS_SUPPORT_CHANNEL, and
proactive messages to customers in their 1:1 chat with the bot.

Proactive messages need a conversation reference (bot.teams.references), captured when the app was
installed. Raises on any failure, so the outbox keeps the alert and tries again; a thread's first
post is stored before anything is posted into it, so a retry never opens a second thread.
"""

from __future__ import annotations

import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.teams import cards, command_cards, migration_cards, support_cards
from handlers.migration_message import ALERT_KINDS as MIGRATION_KINDS
from bot.teams.inbound import PLATFORM
from bot.teams.references import References
from bot.teams.sender import Sender
from handlers.connect import Tickets
from handlers.migration.invite import InviteLinks, forward_links, more_debtors, soap_until
from handlers.model import CUSTOMER_KINDS, Alert, AlertKind, LinkCard, Person
from handlers.ports import Undeliverable
from handlers.undelivered import NOT_INSTALLED
from handlers.text import conversation, replies
from handlers.text.alert_text import SOAP_KINDS
from handlers.text.customer_reply import customer_reply
from handlers.text.locale import lang_for_locale
from storage import support_threads

log = logging.getLogger(__name__)

#: Support-channel alerts that stand on their own rather than in a link's thread.
TOP_LEVEL = frozenset({AlertKind.CUSTOMER_STUCK, AlertKind.DIGEST, AlertKind.MIGRATION_MATCH,
                       AlertKind.MIGRATION_REMINDER, *SOAP_KINDS})


#: Connector answers for a customer's 1:1 chat that no retry will change: the bot was removed from it
#: or may not write there (403), or the conversation is gone (404).
_GONE = frozenset({403, 404})


def refused_for_good(exc: Exception) -> str | None:
    """The connector's answer when it refused a customer's chat for good ("HTTP 403 <its code>"), else None."""
    if not isinstance(exc, httpx.HTTPStatusError) or exc.response.status_code not in _GONE:
        return None
    try:
        code = exc.response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        code = None
    return f"HTTP {exc.response.status_code}" + (f" {code}" if isinstance(code, str) and code else "")


class NotInstalled(Exception):
    """No conversation reference to send with: the app is not installed where it should speak."""


class NoRecipient(Exception):
    """A customer alert names no Teams user to send it to."""


class TeamsNotifier:
    """handlers.ports.Notifier for Teams."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        sender: Sender,
        references: References,
        sessions: async_sessionmaker[AsyncSession],
        support_channel: str | None,
        tenant_id: str | None,
        lang: str,
        notify_customers: bool = True,
        tickets: Tickets | None = None,
        invite_links: InviteLinks | None = None,
    ) -> None:
        self.invite_links = invite_links
        """With REST on: the per-debtor URLs of a migration invite (made when it is sent)."""
        self.tickets = tickets
        """With REST on: the tickets of the "Connect with Nmbrs" button in customer messages."""
        self.sender = sender
        self.references = references
        self.sessions = sessions
        self.support_channel = support_channel
        self.tenant_id = tenant_id
        self.lang = lang
        self.notify_customers = notify_customers

    async def deliver(self, alert: Alert) -> None:
        if alert.kind in CUSTOMER_KINDS:
            await self._to_customer(alert)
        elif not self.support_channel:
            # Without a Teams support channel, support hears about links on the other platform(s).
            log.debug("no TOKENDESK_TEAMS_SUPPORT_CHANNEL: %s alert not posted on Teams", alert.kind)
        elif alert.kind in TOP_LEVEL or alert.link is None:
            await self._top_level(alert)
        else:
            await self._in_thread(alert, alert.link)

    async def _names(self, *user_ids: object) -> dict[str, str]:
        return await self.references.names({str(u) for u in user_ids if u})

    async def _service_url(self) -> str:
        assert self.support_channel is not None
        service_url = await self.references.channel_service_url(self.support_channel, tenant_id=self.tenant_id)
        if service_url is None:
            raise NotInstalled("the Teams app is not installed in the team of TOKENDESK_TEAMS_SUPPORT_CHANNEL yet")
        return service_url

    async def _top_level(self, alert: Alert) -> None:
        assert self.support_channel is not None
        if alert.kind is AlertKind.CUSTOMER_STUCK:
            content = support_cards.stuck(alert.details, self.lang, names=await self._names(alert.details.get("user_id")))
        elif alert.kind is AlertKind.DIGEST:
            content = support_cards.digest(alert.details, self.lang)
        elif alert.kind in SOAP_KINDS:
            content = support_cards.soap(alert, self.lang)
        elif alert.kind in MIGRATION_KINDS:
            forward = await forward_links(self.invite_links, alert)
            content = command_cards.migration_card(alert, self.lang, forward=forward)
        else:  # a link alert without its link (never queued so): still told, not lost
            content = support_cards.note(alert, self.lang)
        await self.sender.open_thread(await self._service_url(), self.support_channel,
                                      cards.message(content, support_cards.summary(alert, self.lang)),
                                      tenant_id=self.tenant_id)

    async def _in_thread(self, alert: Alert, item: LinkCard) -> None:
        # On an activation "by" is who sent the credentials; on other alerts it is who acted.
        sender = alert.details.get("by") if alert.kind is AlertKind.ACTIVATED else None
        service_url = await self._service_url()
        thread, created = await self._thread(service_url, item, by=sender)
        if created and alert.kind is AlertKind.ACTIVATED:
            return  # the thread's first post is the activation
        names = await self._names(alert.details.get("by"))
        if alert.kind in MIGRATION_KINDS:
            forward = await forward_links(self.invite_links, alert)
            content = command_cards.migration_card(alert, self.lang, forward=forward)
        else:
            content = support_cards.update(alert, self.lang, names=names)
        await self.sender.send(service_url, thread, cards.message(content, support_cards.summary(alert, self.lang)))

    async def _thread(self, service_url: str, item: LinkCard, *, by: object = None) -> tuple[str, bool]:
        """The conversation id of the link's thread, posting its first message when it has none yet."""
        assert self.support_channel is not None
        async with self.sessions() as session:
            thread = await support_threads.find(session, link_id=item.id, platform=PLATFORM)
        if thread is not None:
            return thread.thread_id, False
        content = support_cards.parent(item, self.lang, by=by, names=await self._names(by or item.user_id))
        posted = await self.sender.open_thread(
            service_url, self.support_channel, cards.message(content, f"{item.short_id}"), tenant_id=self.tenant_id,
        )
        async with self.sessions() as session, session.begin():
            support_threads.add(session, link_id=item.id, platform=PLATFORM, channel_id=self.support_channel,
                                thread_id=posted.conversation_id)
        log.info("teams support thread opened for link %s", item.short_id)
        return posted.conversation_id, True

    async def _invite(self, alert: Alert) -> None:
        """A migration invite in the customer's 1:1 chat; its URLs are made when it is sent."""
        user_id, tenant_id = alert.details.get("user_id"), alert.details.get("team_id")
        if self.invite_links is None or not user_id or not tenant_id:
            raise NoRecipient("a migration invite without REST consent or a user")
        place = await self.references.person(tenant_id=str(tenant_id), user_id=str(user_id))
        if place is None:
            # Waiting will not install the app for them: support gets the invite to send it on.
            raise Undeliverable(platform=PLATFORM, code=NOT_INSTALLED)
        lang = lang_for_locale(place.locale, replies.lang_of(alert.lang, self.lang))
        links = await self.invite_links.for_customer(alert, lang=lang)
        content, summary = migration_cards.customer_invite(links, soap_until(alert), lang, more=more_debtors(alert))
        try:
            await self.sender.send(place.service_url, place.conversation_id, cards.message(content, summary))
        except httpx.HTTPStatusError as exc:
            code = refused_for_good(exc)
            if code is None:
                raise
            raise Undeliverable(platform=PLATFORM, code=code) from exc
        log.info("customer of link %s invited to move %s debtor(s) on Teams", alert.details.get("soap_link_id"),
                 len(links))

    async def _to_customer(self, alert: Alert) -> None:
        if alert.kind is AlertKind.CUSTOMER_MIGRATION:
            return await self._invite(alert)
        if alert.kind is AlertKind.CUSTOMER_BROKEN and not self.notify_customers:
            log.info("customer not told (TOKENDESK_NOTIFY_CUSTOMERS=false)")
            return
        item = alert.link
        user_id = alert.details.get("user_id") or (item.user_id if item else None)
        tenant_id = alert.details.get("team_id") or (item.team_id if item else None)
        if (item is None and alert.kind is not AlertKind.CUSTOMER_CONSENT) or not user_id or not tenant_id:
            raise NoRecipient(f"{alert.kind} alert without a link or user")
        place = await self.references.person(tenant_id=str(tenant_id), user_id=str(user_id))
        if place is None:
            raise NotInstalled("no 1:1 chat with this customer is known (the app was never installed for them)")
        # The customer's own Teams locale wins over the desk's default language.
        lang = lang_for_locale(place.locale, replies.lang_of(alert.lang, self.lang))
        reply = customer_reply(alert, lang)
        consent = None
        if self.tickets is not None and reply.offer_connect:
            offered = await self.tickets.consent(Person(PLATFORM, str(tenant_id), str(user_id), lang))
            consent = offered.for_alert(alert)  # a REST link's message leads with the consent
        content = cards.reply_card(reply, lang, form_intro=conversation.form_intro(lang), consent=consent)
        await self.sender.send(place.service_url, place.conversation_id, cards.message(content, reply.headline))
        log.info("customer told about link %s on Teams (%s)", item.short_id if item else "-", alert.kind)
