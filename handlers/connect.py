"""REST consent (OAuth 2.0 authorization code flow) from a chat button or an invitation page:
a ticket bound to a person, a fresh state + cookie + PKCE verifier per visit, and the callback that
claims the state once, exchanges the code, reads what the consent reaches and stores the link.
Platform- and framework-neutral: bot.pages.connect serves the routes, the chat adapters the buttons."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox, queue
from handlers.invitations import use_up
from handlers.model import Alert, AlertKind, LinkCard, Person, Rejected, RestView, TokenAnswer, Unreachable
from handlers.offer import Consent, Offer, Offering
from handlers.ports import NmbrsRest
from storage import connect as store
from storage import invitations as invitation_store
from storage.audit import audit
from storage.cipher import TokenCipher
from storage.links import StoredLink
from storage.models import Check, ConnectTicket, utcnow
from storage.rest_links import queue_revocation, store_rest_link

log = logging.getLogger(__name__)

TICKET_TTL = timedelta(hours=24)
STATE_TTL = timedelta(minutes=10)
START_PATH = "/connect/nmbrs/start"
CALLBACK_PATH = "/connect/nmbrs/callback"
#: Platforms whose people have a chat the answer can go to (an invitation's person has none).
CHAT_PLATFORMS = frozenset({"slack", "teams"})
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


@dataclass(frozen=True)
class TicketFacts:
    """Who a ticket was made for, and what a consent through it is for."""

    ticket_id: int
    platform: str
    team_id: str | None
    user_id: str
    lang: str
    invitation_id: int | None = None
    migration_link_id: int | None = None
    migration_debtor_id: int | None = None

    @property
    def in_chat(self) -> bool:
        return self.platform in CHAT_PLATFORMS


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """Send the browser to `authorize_url`, with `cookie` set (the callback requires it back)."""

    authorize_url: str
    cookie: str
    lang: str


@dataclass(frozen=True)
class TicketGone:
    """Unknown, malformed or expired ticket, or its invitation can no longer be used."""


@dataclass(frozen=True)
class StateInvalid:
    """Unknown, used, expired state, or a browser without the cookie of the visit that made it:
    one answer for all of them, and nothing stored."""


@dataclass(frozen=True)
class Consented:
    card: LinkCard
    lang: str
    created: bool
    replaced: bool
    """A link for the same debtor existed and now holds this consent."""


@dataclass(frozen=True)
class Denied:
    """The customer pressed cancel on Nmbrs' page (error=access_denied)."""

    lang: str


@dataclass(frozen=True)
class ConsentRefused:
    """Nmbrs' answer cannot make a working link; what it gave was revoked."""

    reason: Literal["no_refresh_token", "scopes_missing"]
    missing: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class ConsentFailed:
    """The code exchange or the reading of the user, debtor and companies failed; nothing stored."""

    result: Rejected | Unreachable
    lang: str


@dataclass(frozen=True)
class NmbrsError:
    """Nmbrs sent the browser back with an error other than access_denied."""

    error: str
    lang: str


StartOutcome: TypeAlias = Started | TicketGone
ConsentOutcome: TypeAlias = StateInvalid | Consented | Denied | ConsentRefused | ConsentFailed | NmbrsError
#: Called inside the transaction that stores a consent: (session, the ticket's facts, the stored link).
AfterConsent: TypeAlias = Callable[[AsyncSession, TicketFacts, StoredLink], Awaitable[None]]


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636: 64 unreserved characters and their base64url SHA-256."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def constant_equal(cookie: str | None, cookie_hash: str) -> bool:
    given = store.hash_value(cookie) if cookie and store.VALUE.match(cookie) else "-" * 64
    return hmac.compare_digest(given.encode(), cookie_hash.encode())


class Tickets:
    """Makes the tickets of "Connect with Nmbrs" URLs. Apart from Connect so that what posts the
    buttons (the chat notifiers, built before the outbox that Connect needs) can have it."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], public_url: str,
                 clock: Callable[[], datetime] = utcnow, offering: Offering | None = None) -> None:
        self.sessions = sessions
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.offering = offering or Offering(rest=True, clock=clock)
        """Both ways to connect, or REST only (the button alone) once SOAP intake has stopped."""

    async def consent(self, person: Person, *, invitation_id: int | None = None, migration_link_id: int | None = None,
                      migration_debtor_id: int | None = None) -> Consent:
        """The "Connect with Nmbrs" button for this person (and the invitation or migration target it
        is for): a fresh ticket, and whether it is the only way to connect that is offered now."""
        return Consent(url=await self.url(person, invitation_id=invitation_id, migration_link_id=migration_link_id,
                                          migration_debtor_id=migration_debtor_id),
                       only=self.offering.now() is Offer.REST)

    async def url(
        self, person: Person, *, invitation_id: int | None = None, migration_link_id: int | None = None,
        migration_debtor_id: int | None = None, ttl: timedelta = TICKET_TTL,
    ) -> str:
        """A fresh ticket for this person: `public_url/connect/nmbrs/start?t=…`, good for `ttl` (a day;
        a migration invite's buttons as long as its invitations)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await store.prune(session, now=now)
            new = await store.create_ticket(
                session, platform=person.platform, team_id=person.team_id, user_id=person.user_id,
                language=person.lang, now=now, ttl=ttl, invitation_id=invitation_id,
                migration_link_id=migration_link_id, migration_debtor_id=migration_debtor_id)
        return f"{self.public_url}{START_PATH}?{urlencode({'t': new.ticket})}"


class Connect:
    """The consent use case. One per process; `after_consent` is fixed when it is built."""

    def __init__(
        self, *, tickets: Tickets, cipher: TokenCipher, gateway: NmbrsRest, outbox: Outbox | None,
        authorize_endpoint: str, client_id: str, redirect_uri: str, scopes: Sequence[str], pkce: bool = True,
        after_consent: Sequence[AfterConsent] = (),
    ) -> None:
        self.tickets = tickets
        self.sessions = tickets.sessions
        self.clock = tickets.clock
        self.cipher = cipher
        self.gateway = gateway
        self.outbox = outbox
        self.authorize_endpoint = authorize_endpoint
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self.pkce = pkce
        self.after_consent: tuple[AfterConsent, ...] = tuple(after_consent)

    async def ticket_url(self, person: Person, **target: int | None) -> str:
        return await self.tickets.url(person, **target)  # type: ignore[arg-type]

    # --- start --------------------------------------------------------------------------------------

    async def start(self, ticket: str) -> StartOutcome:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            record = await store.find_ticket(session, ticket=ticket, now=now)
            if record is None:
                return TicketGone()
            if record.invitation_id is not None and await invitation_store.get_open(
                    session, invitation_id=record.invitation_id, now=now) is None:
                return TicketGone()
            verifier, challenge = pkce_pair() if self.pkce else (None, None)
            new = await store.create_state(session, self.cipher, ticket_id=record.id, verifier=verifier, now=now,
                                           ttl=STATE_TTL)
            lang = record.language
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": " ".join(self.scopes), "state": new.state}
        if challenge is not None:
            query.update(code_challenge=challenge, code_challenge_method="S256")
        return Started(authorize_url=f"{self.authorize_endpoint}?{urlencode(query)}", cookie=new.cookie, lang=lang)

    # --- callback -----------------------------------------------------------------------------------

    async def callback(self, *, state: str | None, cookie: str | None, code: str | None,
                       error: str | None) -> ConsentOutcome:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            # Marked used first, in its own commit: a replay or a racing second callback finds it used.
            claimed = await store.claim_state(session, state=state or "", now=now)
            if claimed is None or claimed.ticket is None:
                facts, verifier = None, None
            elif not constant_equal(cookie, claimed.record.cookie_hash):
                log.info("connect: state %s came back without its cookie; refused", claimed.record.id)
                facts, verifier = None, None
            else:
                facts, verifier = _facts(claimed.ticket), store.open_verifier(claimed.record, self.cipher)
        if facts is None:
            return StateInvalid()
        if error:
            return await self._nmbrs_error(facts, error)
        if not code:
            return StateInvalid()
        if facts.invitation_id is not None and not await self._invitation_open(facts.invitation_id):
            return StateInvalid()
        tokens = await self.gateway.exchange(code, code_verifier=verifier)
        if not isinstance(tokens, TokenAnswer):
            log.warning("connect: the code exchange failed (%s, code %s)", type(tokens).__name__, tokens.code)
            return await self._tell(facts, ConsentFailed(tokens, facts.lang))
        refused = self._refusal(tokens, facts.lang)
        if refused is not None:
            await self._hand_back(tokens)
            return await self._tell(facts, refused)
        view = await self.gateway.inspect(tokens.access_token)
        if not isinstance(view, RestView):
            await self._hand_back(tokens)
            return await self._tell(facts, ConsentFailed(view, facts.lang))
        try:
            outcome = await self._store(facts, tokens, view)
        except BaseException:
            # Nothing was stored: what Nmbrs gave must not stay valid out there with nobody holding it.
            try:
                await asyncio.shield(self._hand_back(tokens))
            except Exception:  # noqa: BLE001 - the storing error is the one to raise
                log.warning("connect: a consent that was not stored could not be revoked either")
            raise
        if self.outbox is not None:
            self.outbox.kick()
        return outcome

    async def _invitation_open(self, invitation_id: int) -> bool:
        async with self.sessions() as session:
            return await invitation_store.get_open(session, invitation_id=invitation_id, now=self.clock()) is not None

    async def _nmbrs_error(self, facts: TicketFacts, error: str) -> ConsentOutcome:
        if error == "access_denied":
            log.info("connect: the customer cancelled on Nmbrs' page")
            return await self._tell(facts, Denied(facts.lang))
        shown = error if _ERROR_CODE.match(error) else "unknown"
        log.warning("connect: Nmbrs sent back error %s", shown)
        return NmbrsError(shown, facts.lang)

    def _refusal(self, tokens: TokenAnswer, lang: str) -> ConsentRefused | None:
        if tokens.refresh_token is None:
            return ConsentRefused("no_refresh_token", (), lang)
        granted = set(self.scopes if tokens.scopes is None else tokens.scopes)  # no `scope`: all granted
        missing = tuple(scope for scope in self.scopes if scope not in granted)
        return ConsentRefused("scopes_missing", missing, lang) if missing else None

    async def _hand_back(self, tokens: TokenAnswer) -> None:
        """Revoke what was received; a refresh token Nmbrs did not confirm stays queued, sealed."""
        if tokens.refresh_token is None:
            await self.gateway.revoke(tokens.access_token)  # an hour's token: not worth a queue entry
            return
        if await self.gateway.revoke(tokens.refresh_token):
            return
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await queue_revocation(session, self.cipher, link_id=None, refresh_token=tokens.refresh_token, now=now)
        log.warning("connect: a refused consent's refresh token is queued for revocation")

    async def _tell(self, facts: TicketFacts, outcome: ConsentOutcome) -> ConsentOutcome:
        """The person's chat hears what the page says (no chat reaches an invitation's person)."""
        if facts.in_chat:
            async with self.sessions() as session, session.begin():
                await queue(session, _chat_alert(facts, outcome, None), key=f"consent:{secrets.token_hex(8)}")
            if self.outbox is not None:
                self.outbox.kick()
        return outcome

    async def _store(self, facts: TicketFacts, tokens: TokenAnswer, view: RestView) -> Consented:
        assert tokens.refresh_token is not None
        now = self.clock()
        valid = view.as_valid()
        async with self.sessions() as session, session.begin():
            stored = await store_rest_link(
                session, self.cipher, debtor_id=str(view.debtor.id), debtor_number=str(view.debtor.number),
                debtor_name=view.debtor.name, user_email=view.user.email, rest_user_id=view.user.user_id,
                scopes=tokens.scopes if tokens.scopes is not None else self.scopes,
                refresh_token=tokens.refresh_token, access_token=tokens.access_token,
                access_expires_at=now + timedelta(seconds=tokens.expires_in_s),
                companies=[c.to_dict() for c in valid.companies], scope_digest=valid.scope_digest,
                platform=facts.platform, team_id=facts.team_id, user_id=facts.user_id, now=now)
            link = stored.link
            link.last_checked_at = now
            check = Check(link_id=link.id, checked_at=now, trigger="consent", outcome="valid",
                          latency_ms=round(view.latency_s * 1000), scope_digest=valid.scope_digest)
            session.add(check)
            await session.flush()
            card = LinkCard.of(link)
            who = {"by": facts.user_id, "by_platform": facts.platform, "by_team": facts.team_id}
            await queue(session, Alert(AlertKind.ACTIVATED, card, who), key=f"link:{link.id}:activated")
            if stored.token_replaced:
                await queue(session, Alert(AlertKind.TOKEN_REPLACED, card, {**who, "via": "consent"}),
                            key=f"link:{link.id}:replaced:{check.id}")
            if facts.invitation_id is not None:
                invitation = await invitation_store.get_open(session, invitation_id=facts.invitation_id, now=now)
                if invitation is not None:
                    await use_up(session, invitation, card)
            outcome = Consented(card=card, lang=facts.lang, created=stored.created, replaced=stored.token_replaced)
            if facts.in_chat:
                await queue(session, _chat_alert(facts, outcome, card), key=f"link:{link.id}:consent:{check.id}")
            audit(session, platform=facts.platform, team_id=facts.team_id, actor=facts.user_id,
                  action="link.connect", link_id=link.id,
                  detail={"kind": "rest", "created": stored.created, "replaced": stored.token_replaced})
            for hook in self.after_consent:
                await hook(session, facts, stored)
        log.info("connect: link %s active by consent (%s)", card.short_id, "new" if stored.created else "updated")
        return outcome


def _facts(ticket: ConnectTicket) -> TicketFacts:
    return TicketFacts(ticket_id=ticket.id, platform=ticket.platform, team_id=ticket.team_id, user_id=ticket.user_id,
                       lang=ticket.language, invitation_id=ticket.invitation_id,
                       migration_link_id=ticket.migration_link_id, migration_debtor_id=ticket.migration_debtor_id)


def _chat_alert(facts: TicketFacts, outcome: ConsentOutcome, card: LinkCard | None) -> Alert:
    """The customer alert that carries a consent's outcome to the person's chat (worded there by
    handlers.text.connect_text from these plain details)."""
    details: dict[str, object] = {"platform": facts.platform, "team_id": facts.team_id, "user_id": facts.user_id}
    if isinstance(outcome, Consented):
        details["outcome"] = "connected"
    elif isinstance(outcome, Denied):
        details["outcome"] = "denied"
    elif isinstance(outcome, ConsentRefused):
        details.update(outcome="refused", reason=outcome.reason, missing=list(outcome.missing))
    elif isinstance(outcome, ConsentFailed):
        result = outcome.result
        details.update(outcome="failed", code=result.code)
        if isinstance(result, Rejected):
            details.update(category=str(result.category))
        else:
            details.update(cause=str(result.cause))
    return Alert(AlertKind.CUSTOMER_CONSENT, card, details, lang=facts.lang)


__all__ = [
    "AfterConsent", "CALLBACK_PATH", "Connect", "ConsentFailed", "ConsentOutcome", "ConsentRefused", "Consented",
    "Denied", "NmbrsError", "START_PATH", "StartOutcome", "StateInvalid", "Started", "TicketFacts", "TicketGone", "Tickets",
]
