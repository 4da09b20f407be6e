"""Teams activities → neutral calls → cards: credentials in the 1:1 chat (pasted, in two parts, or
through the form card), `/nmbrs` commands (typed or from the command menu, in the chat or with an
@mention in a channel), the revoke buttons, and the app's installation.

The activity was authenticated by the SDK before `on_activity` runs. It is claimed once per activity
id in the database (Bot Framework retries), its conversation reference is remembered, and Teams gets
its answer at once: the work runs after that (ctx.spawn), and its outcome is sent to the conversation
or replaces the card it came from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import AdaptiveCard

from bot.reference import error_reference
from bot.teams import cards, command_cards
from bot.teams.context import TeamsContext
from bot.teams.intakes import chat_target, complete
from bot.teams.inbound import PLATFORM, Inbound, command_text, inbound, person
from bot.teams.references import channel_key, personal_key, team_key, user_key
from handlers import dm, form, migration_buttons
from handlers.commands import CheckAllQueued, CheckQueued, OpenConnect, Outcome, Refused, TokenInCommand
from handlers.intake import SoapClosed
from handlers.model import Person
from handlers.pending_intakes import DM
from handlers.parse import Found, find_credentials
from handlers.text import conversation, replies
from handlers.text.locale import language
from handlers.text.replies import Reply
from storage.deliveries import claim
from storage.pending_intakes import Target

log = logging.getLogger(__name__)

#: `check all` progress: at a third, two thirds and done, at least this far apart.
PROGRESS_MIN_INTERVAL_S = 2.0


@dataclass
class Run:
    """What one activity's handling has shown so far, so a failure is answered in the right place."""

    found: Found | None = None
    """Credentials read from a chat message (their token's message gets the delete hint)."""
    card_id: str | None = None
    """The form's "checking…" card, once shown: a failure replaces it."""
    form_lang: str | None = None
    username: str | None = None


class Listeners:
    """The activity handler registered on the SDK app, bound to one context."""

    def __init__(self, ctx: TeamsContext, *, progress_interval_s: float = PROGRESS_MIN_INTERVAL_S) -> None:
        self.ctx = ctx
        self.progress_interval_s = progress_interval_s

    async def on_activity(self, activity: Mapping[str, Any]) -> None:
        """One authenticated activity, as Teams sent it."""
        item = inbound(activity)
        intake = self._chat_intake(item)
        intake_id: int | None = None
        if item.id and item.type in ("message", "conversationUpdate", "installationUpdate"):
            async with self.ctx.desk.sessions() as session, session.begin():
                if not await claim(session, platform=PLATFORM, delivery_id=delivery_id(item)):
                    log.info("teams activity already handled, acknowledged only (%s)", item.type)
                    return
                if intake is not None and self.ctx.pending is not None:
                    # With the claim, before Teams hears back: finished even if this process dies.
                    target, found = intake
                    intake_id = await self.ctx.pending.record(
                        session, target=target, username=found.username or "", token=found.token or "", source=DM)
        if item.service_url and item.conversation_id:
            await self._remember(item)
        run = Run()
        if intake_id is not None and self.ctx.pending is not None:
            self.ctx.spawn(self._finish(intake_id))
        elif item.type == "message":
            self.ctx.spawn(self._guarded(item, run, self._on_message(item, run)))
        elif item.bot_added and item.personal:
            self.ctx.spawn(self._guarded(item, run, self._welcome(item)))
        # Everything else (reactions, typing, members joining a team) is acknowledged and left alone.

    async def _finish(self, intake_id: int) -> None:
        assert self.ctx.pending is not None
        await self.ctx.pending.finish(intake_id, claimed=True)

    def _chat_intake(self, item: Inbound) -> tuple[Target, Found] | None:
        """A 1:1 chat message (not a command, not a card) holding both halves of the credentials."""
        if item.type != "message" or not item.personal or item.value is not None or not item.text:
            return None
        if command_text(item.text) is not None or not item.service_url or not item.conversation_id:
            return None
        who = self._person(item)
        found = find_credentials(item.text)
        if who is None or not complete(found):
            return None
        return chat_target(item, who), found

    async def _remember(self, item: Inbound) -> None:
        refs = self.ctx.references
        common = {"service_url": item.service_url, "tenant_id": item.tenant_id, "bot_id": item.bot_id}
        if item.personal and item.user_id and item.tenant_id:
            await refs.remember(key=personal_key(item.tenant_id, item.user_id), kind="personal",
                                conversation_id=item.conversation_id, user_id=item.user_id,
                                teams_user_id=item.teams_user_id, user_name=item.user_name, locale=item.locale,
                                **common)
        elif item.user_id and item.tenant_id and item.user_name:
            # Someone met in a channel: remembered by name only (audit lines and threads name them).
            await refs.remember(key=user_key(item.tenant_id, item.user_id), kind="user",
                                conversation_id=item.conversation_id, user_id=item.user_id,
                                user_name=item.user_name, **common)
        if item.channel_id:
            await refs.remember(key=channel_key(item.channel_id), kind="channel", conversation_id=item.channel_id,
                                team_id=item.team_id, **common)
        if item.team_id:
            await refs.remember(key=team_key(item.team_id), kind="team", conversation_id=item.team_id,
                                team_id=item.team_id, **common)

    async def _guarded(self, item: Inbound, run: Run, work: Any) -> None:
        """The one error path of the Teams handlers: an unexpected error is logged once with a short
        reference (the request's correlation id), and the person gets that reference where they wait."""
        try:
            await work
        except Exception as error:
            reference = error_reference()
            log.error("teams %s failed (reference %s)", item.type or "activity", reference,
                      exc_info=(type(error), error, error.__traceback__))
            try:
                await self._tell_failure(item, run, reference)
            except Exception:  # noqa: BLE001 - the connector itself may be what failed
                log.warning("could not tell the person about the failure either (reference %s)", reference)

    async def _tell_failure(self, item: Inbound, run: Run, reference: str) -> None:
        who = self._person(item)
        lang = who.lang if who else language(self.ctx.settings.language)
        if run.card_id is not None:
            # The form shows "checking…": the failure takes its place, as an outcome would.
            form_lang = run.form_lang or lang
            reply = dm.failed(reference, form_lang)
            await self._replace(item, run.card_id, cards.outcome_card(reply, form_lang, username=run.username or None),
                                reply.headline)
        elif run.found is not None:
            reply = dm.failed(reference, lang)
            content = cards.reply_card(reply, lang, notes=dm.delete_notes(run.found, lang),
                                       form_intro=conversation.form_intro(lang))
            await self._send(item, content, reply.headline)
        else:
            await self._send(item, command_cards.failed_card(lang, reference), "tokendesk")

    def _person(self, item: Inbound) -> Person | None:
        return person(item, home_tenant=self.ctx.settings.teams_tenant_id, default_lang=self.ctx.settings.language)

    # --- sending -----------------------------------------------------------------------------------

    def _where(self, item: Inbound) -> str:
        return item.conversation_id if item.personal else item.thread_id

    async def _send(self, item: Inbound, content: AdaptiveCard, summary: str) -> str:
        posted = await self.ctx.sender.send(item.service_url, self._where(item), cards.message(content, summary))
        return posted.activity_id

    async def _replace(self, item: Inbound, activity_id: str | None, content: AdaptiveCard, summary: str) -> str:
        """Show `content` in place of the bot's card `activity_id`; as a new message when that fails."""
        if activity_id:
            try:
                await self.ctx.sender.update(item.service_url, self._where(item), activity_id,
                                             cards.message(content, summary))
                return activity_id
            except Exception as exc:  # noqa: BLE001 - an old or deleted card: the answer still arrives
                log.info("card not updated (%s); sent as a new message", type(exc).__name__)
        return await self._send(item, content, summary)

    # --- messages ----------------------------------------------------------------------------------

    async def _on_message(self, item: Inbound, run: Run) -> None:
        who = self._person(item)
        if who is None:
            return  # no Entra user behind it (another bot, a webhook): nothing to answer
        action = item.value.get(cards.ACTION_KEY) if item.value else None
        if action == cards.CONNECT:
            await self._on_form(item, who, run)
        elif action in (command_cards.REVOKE_CONFIRM, command_cards.REVOKE_CANCEL):
            await self._on_revoke_button(item, who, confirm=action == command_cards.REVOKE_CONFIRM)
        elif action in migration_buttons.ACTIONS:
            await self._on_migration_button(item, who, str(action))
        elif item.value is not None and not item.text:
            log.info("card submit without a known action; ignored")
        else:
            line = command_text(item.text)
            if line is not None:
                await self._on_command(item, who, line)
            elif item.personal:
                await self._on_chat(item, who, run)
            else:
                await self._on_channel(item, who)

    async def _welcome(self, item: Inbound) -> None:
        who = self._person(item)
        lang = who.lang if who else self.ctx.settings.language
        reply = dm.welcome(self.ctx.intake, lang)
        content = cards.reply_card(reply, lang, form_intro=conversation.form_intro(lang),
                                   consent=await self.ctx.consent(who, reply))
        await self._send(item, content, reply.headline)

    # credentials in the 1:1 chat

    async def _on_chat(self, item: Inbound, who: Person, run: Run) -> None:
        run.found = found = find_credentials(item.text)
        reply = await dm.answer(person=who, found=found, intake=self.ctx.intake, conversations=self.ctx.conversations)
        content = cards.reply_card(reply, who.lang, notes=dm.delete_notes(found, who.lang),
                                   form_intro=conversation.form_intro(who.lang),
                                   consent=await self.ctx.consent(who, reply))
        await self._send(item, content, reply.headline)

    # the form card

    async def _on_form(self, item: Inbound, who: Person, run: Run) -> None:
        assert item.value is not None
        lang = item.value.get("lang") if item.value.get("lang") in ("nl", "en") else who.lang
        username, token = cards.submitted(item.value)
        if not item.personal:
            # A channel card is everyone's: its outcome (and the form's values) belong in a private chat.
            await self._send(item, self._channel_card(conversation.channel_hint(lang), lang), "tokendesk")
            return
        # REST only: whatever was typed gets the one answer that this way is closed (no shape errors).
        errors = {} if self.ctx.intake.soap_closed() else shape_errors(username, token, lang)
        if errors:
            content = cards.form_errors_card(lang, conversation.form_intro(lang), username=username.strip(), errors=errors)
            await self._replace(item, item.reply_to_id, content, conversation.form_intro(lang).headline)
            return
        # The typed token leaves the card at once; the outcome replaces "checking…" when Nmbrs answered.
        checking = replies.checking(lang)
        card_id = await self._replace(item, item.reply_to_id, cards.checking_card(checking), checking.headline)
        run.card_id, run.form_lang, run.username = card_id, lang, username.strip()
        outcome = await self.ctx.intake.submit(person=dataclasses.replace(who, lang=lang), username=username,
                                               token=token)
        reply = replies.outcome_reply(outcome, lang)
        consent = await self.ctx.consent(who, reply) if isinstance(outcome, SoapClosed) else None
        await self._replace(item, card_id, cards.outcome_card(reply, lang, username=username.strip() or None,
                                                              consent=consent), reply.headline)

    # channels

    def _channel_card(self, reply: Reply, lang: str) -> AdaptiveCard:
        # No form in a channel: the card is shared, and what comes back belongs in the 1:1 chat.
        note = ("Open een chat met mij (tokendesk) om je gegevens veilig in te vullen." if language(lang) == "nl"
                else "Open a chat with me (tokendesk) to fill in your details safely.")
        return cards.reply_card(dataclasses.replace(reply, offer_connect=False, notes=(*reply.notes, note)), lang)

    async def _on_channel(self, item: Inbound, who: Person) -> None:
        """A mention in a channel that is no command: credentials are never used there."""
        found = find_credentials(item.text)
        reply = conversation.channel_exposed(who.lang) if found.token else conversation.channel_hint(who.lang)
        if found.token:
            log.warning("credentials posted in a Teams channel; not used, the sender is told to reset the token")
        await self._send(item, self._channel_card(reply, who.lang), reply.headline)

    # commands

    async def _names(self, outcome: Outcome) -> dict[str, str]:
        ids: set[str] = set()
        for name in ("links",):
            for status in getattr(outcome, name, ()) or ():
                card = getattr(status, "card", status)
                if getattr(card, "user_id", None):
                    ids.add(card.user_id)
        for row in getattr(outcome, "audits", ()) or ():
            ids.add(row.actor)
        return await self.ctx.references.names(ids)

    async def _on_command(self, item: Inbound, who: Person, line: str) -> None:
        commands = self.ctx.commands
        outcome = await commands.handle(person=who, text=line)
        summary = command_cards.summary_of(outcome, who.lang)
        if isinstance(outcome, OpenConnect):
            if item.personal:
                await self._send(item, cards.form(who.lang, conversation.form_intro(who.lang),
                                                  consent=await self.ctx.consent(who)),
                                 conversation.form_intro(who.lang).headline)
            else:
                await self._send(item, self._channel_card(conversation.channel_hint(who.lang), who.lang), summary)
        elif isinstance(outcome, TokenInCommand):
            await self._tell_privately(item, command_cards.render(outcome, who.lang), summary)
        elif isinstance(outcome, CheckQueued):
            card_id = await self._send(item, command_cards.render(outcome, who.lang), summary)
            result = await commands.run_check(outcome)
            await self._replace(item, card_id, command_cards.render(result, who.lang), summary)
        elif isinstance(outcome, CheckAllQueued):
            card_id = await self._send(item, command_cards.render(outcome, who.lang), summary)
            progress = Progress(self, item, card_id, lang=who.lang, min_interval_s=self.progress_interval_s)
            result = await commands.run_check_all(outcome, progress=progress)
            await self._replace(item, card_id, command_cards.render(result, who.lang), summary)
        else:
            content = command_cards.render(outcome, who.lang, names=await self._names(outcome))
            await self._send(item, content, summary)

    async def _tell_privately(self, item: Inbound, content: AdaptiveCard, summary: str) -> None:
        """To the sender's 1:1 chat with the bot; in the command's thread only when none is known
        (the answer never repeats the command's words, so the thread learns nothing new)."""
        place = None
        if not item.personal and item.tenant_id and item.user_id:
            place = await self.ctx.references.person(tenant_id=item.tenant_id, user_id=item.user_id)
        if place is None:
            await self._send(item, content, summary)
            return
        await self.ctx.sender.send(place.service_url, place.conversation_id, cards.message(content, summary))

    async def _on_migration_button(self, item: Inbound, who: Person, action: str) -> None:
        assert item.value is not None
        outcome = await migration_buttons.press(self.ctx.commands, person=who, action=action,
                                                value=str(item.value.get("value") or ""))
        if outcome is None:
            return
        content = command_cards.render(outcome, who.lang)
        if isinstance(outcome, Refused):  # the question stays for support
            await self._send(item, content, command_cards.summary_of(outcome, who.lang))
        else:
            await self._replace(item, item.reply_to_id, content, command_cards.summary_of(outcome, who.lang))

    async def _on_revoke_button(self, item: Inbound, who: Person, *, confirm: bool) -> None:
        assert item.value is not None
        try:
            link_id = int(str(item.value.get("link")))
        except ValueError:
            log.warning("revoke button without a link id")
            return
        commands = self.ctx.commands
        if confirm:
            outcome = await commands.confirm_revoke(person=who, link_id=link_id)
        else:
            outcome = await commands.cancel_revoke(person=who, link_id=link_id)
        # The answer replaces the question, so its buttons cannot be pressed twice.
        await self._replace(item, item.reply_to_id, command_cards.render(outcome, who.lang),
                            command_cards.summary_of(outcome, who.lang))


class Progress:
    """`check all` progress shown by updating one card: at a third, two thirds and all done."""

    MARKS = (1 / 3, 2 / 3, 1.0)

    def __init__(self, listeners: Listeners, item: Inbound, card_id: str, *, lang: str, min_interval_s: float) -> None:
        self.listeners = listeners
        self.item = item
        self.card_id = card_id
        self.nl = language(lang) == "nl"
        self.min_interval_s = min_interval_s
        self._mark = 0
        self._last = time.monotonic()

    async def __call__(self, progress: Any) -> None:
        done, total = int(progress.done), int(progress.total)
        if total <= 0 or self._mark >= len(self.MARKS):
            return
        fraction = done / total
        if fraction < self.MARKS[self._mark] or time.monotonic() - self._last < self.min_interval_s:
            return
        while self._mark < len(self.MARKS) and fraction >= self.MARKS[self._mark]:
            self._mark += 1
        self._last = time.monotonic()
        await self.listeners.ctx.sender.update(
            self.item.service_url, self.listeners._where(self.item), self.card_id,
            MessageActivityInput().add_card(command_cards.progress_card(done, total, self.nl)),
        )


def delivery_id(item: Inbound) -> str:
    """What a retried activity is recognised by: its id, which Teams keeps unique per conversation
    (the conversation is hashed so a long conversation id never cuts the activity id off)."""
    conversation = hashlib.sha256(item.conversation_id.split(";")[0].encode()).hexdigest()[:16]
    return f"{item.id}:{conversation}"


#: The form's fields (handlers.form) as the card's input ids.
_INPUT_OF = {form.USERNAME: cards.USERNAME_INPUT, form.TOKEN: cards.TOKEN_INPUT}


def shape_errors(username: str, token: str, lang: str) -> dict[str, str]:
    """What is wrong with each input of the form card before Nmbrs is asked; empty when both look right."""
    return {_INPUT_OF[name]: error for name, error in form.shape_errors(username, token, lang).items()}
