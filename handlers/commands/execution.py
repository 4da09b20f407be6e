"""Running `/nmbrs` commands: authorise, act on storage, return an outcome (handlers.commands.outcomes).

Who may run what is declared on each method with `@command(..., audience=...)`; the adapter renders
the outcome and never decides anything itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.alerts import Outbox, queue
from handlers.commands.outcomes import (
    AlertRow,
    AlreadyRevoked,
    AuditRow,
    Busy,
    CheckAllQueued,
    Checked,
    CheckedAll,
    CheckQueued,
    CheckRow,
    Help,
    History,
    Labelled,
    LinkList,
    LinkStatus,
    NoLink,
    NotCheckable,
    OpenConnect,
    Outcome,
    ProgressCallback,
    Rechecker,
    Refused,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    RunInfo,
    StatusResult,
    SupportSummary,
    TokenInCommand,
    Unavailable,
    Unknown,
    Usage,
)
from handlers.commands.revoking import RevokeButtons, actor_of, who_of
from handlers.commands.parser import Args, UnknownCommand, UsageError, parse_args, split
from handlers.commands.table import COMMANDS, Audience, allowed_commands, command
from handlers.invitations import Invitations
from handlers.migration import Migration
from handlers.model import Alert, AlertKind, LinkCard, Person
from handlers.offer import Offering
from handlers.recheck import LinkNotFound, RecheckBusy
from handlers.revocations import Revocations
from handlers.redact import holds_credential, redact
from handlers.staff import StaffDirectory
from storage import alerts as alert_store
from storage import audit as audit_log
from storage import checks as check_store
from storage import links as link_store
from storage import runs
from storage.audit import audit
from storage.models import AuditEntry, Link, LinkState, RecheckRun

log = logging.getLogger(__name__)

#: How many links `status` describes in full, and `list` names, before saying "and N more".
STATUS_CAP = 5
LIST_CAP = 30
HISTORY_CHECKS = 15
HISTORY_AUDITS = 10
#: Recent events on the support home page.
HOME_EVENTS = 5



def _first_word(text: str | None) -> str:
    words = (text or "").split(maxsplit=1)
    return words[0].lower() if words else ""


_actor, _who = actor_of, who_of


def _run_info(run: RecheckRun | None) -> RunInfo | None:
    if run is None:
        return None
    return RunInfo(started_at=run.started_at, finished_at=run.finished_at, status=run.status,
                   trigger=run.trigger, counts=dict(run.counts or {}))


def _audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(at=entry.at, platform=entry.platform, actor=entry.actor, action=entry.action, result=entry.result)


class Commands(RevokeButtons):
    """Runs `/nmbrs` for any chat platform. One instance per process."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        staff: StaffDirectory,
        outbox: Outbox | None = None,
        recheck: Rechecker | None = None,
        invitations: Invitations | None = None,
        migration: Migration | None = None,
        revocations: Revocations | None = None,
        offering: Offering | None = None,
    ) -> None:
        self.sessions = sessions
        self.offering = offering or Offering(rest=False)
        self.revocations = revocations
        self.staff = staff
        self.outbox = outbox
        self.recheck = recheck
        self.invitations = invitations
        self.migration = migration

    async def handle(self, *, person: Person, text: str) -> Outcome:
        """One `/nmbrs <text>`: quick (database only); checks come back queued, see run_check."""
        if _first_word(text) != "connect" and holds_credential(text or ""):
            # Before anything reads the words (an unknown command echoes its word, a query goes to the
            # audit log): what looks like a token goes nowhere. `connect` ignores its words and must
            # open the form at once, so it is left alone.
            return await self._token_in_command(person, _first_word(text))
        try:
            spec, rest = split(text)
        except UnknownCommand as exc:
            return Unknown(word=exc.word, commands=allowed_commands(staff=await self.staff.is_staff(person)))
        if spec.name == "connect":
            # The form must open within Slack's 3 s trigger window: no directory look-up first.
            return await self._connect(person, Args(), False)
        staff = await self.staff.is_staff(person)
        if spec.audience is Audience.STAFF and not staff:
            # Refused before the arguments are read: the answer cannot depend on a link existing.
            first = rest.split(maxsplit=1)[0] if rest else ""
            await self._refuse(person, f"command.{spec.name}", link_id=link_store.parse_short_id(first))
            return Refused(commands=allowed_commands(staff=False))
        try:
            args = parse_args(spec, rest)
        except UsageError as exc:
            if spec.audience is Audience.STAFF:
                async with self.sessions() as session, session.begin():
                    audit(session, **_actor(person), action=f"command.{spec.name}", result="failed",
                          detail={"problem": exc.problem})
            return Usage(spec=spec, problem=exc.problem, given=exc.given, limit=exc.limit)
        method: Callable[[Person, Args, bool], Awaitable[Outcome]] = getattr(self, spec.method)
        return await method(person, args, staff)

    async def _token_in_command(self, person: Person, word: str) -> TokenInCommand:
        # Only a known command's name is kept: the first word may be the token itself.
        action = f"command.{word}" if word in COMMANDS else "command"
        async with self.sessions() as session, session.begin():
            audit(session, **_actor(person), action=action, result="refused", detail={"problem": "token"})
        log.warning("commands: a command held what looks like an API token; refused, nothing of it stored")
        return TokenInCommand()

    async def _refuse(self, person: Person, action: str, *, link_id: int | None = None,
                      detail: dict[str, Any] | None = None) -> None:
        async with self.sessions() as session, session.begin():
            if link_id is not None:
                detail = {**(detail or {}), "link": f"L{link_id}"}
                if await session.get(Link, link_id) is None:
                    link_id = None
            audit(session, **_actor(person), action=action, result="refused", link_id=link_id, detail=detail)
        log.info("commands: %s refused for a non-staff user", action)

    # help, connect and status: everyone

    @command("help", "help", audience=Audience.EVERYONE)
    async def _help(self, person: Person, args: Args, staff: bool) -> Outcome:
        return Help(commands=allowed_commands(staff=staff), staff=staff, offer=self.offering.now(),
                    soap_until=self.offering.soap_until)

    @command("connect", "connect", audience=Audience.EVERYONE)
    async def _connect(self, person: Person, args: Args, staff: bool) -> Outcome:
        return OpenConnect()

    @command("status", "status [query]", audience=Audience.EVERYONE)
    async def _status(self, person: Person, args: Args, staff: bool) -> Outcome:
        query = args.query
        owner = None if staff else (person.platform, person.team_id, person.user_id)
        async with self.sessions() as session, session.begin():
            found, total = await link_store.search(session, query=query, owner=owner, limit=STATUS_CAP)
            statuses = tuple([await self._link_status(session, link) for link in found])
            asked_id = link_store.parse_short_id(query) if query else None
            detail: dict[str, Any] = {"query": redact(query)} if query else {}
            if not staff and asked_id is not None and not found:
                # Someone else's link, or none: the same answer either way, but on record.
                other = await session.get(Link, asked_id)
                audit(session, **_actor(person), action="command.status", result="refused",
                      link_id=other.id if other else None, detail={"link": f"L{asked_id}"})
            else:
                audit(session, **_actor(person), action="command.status",
                      link_id=statuses[0].card.id if len(statuses) == 1 else None,
                      detail={**detail, "found": total, "staff": staff})
        # What was typed is shown back; a pasted token never is.
        shown = redact(query) if query else None
        return StatusResult(query=shown, links=statuses, more=max(total - len(statuses), 0), staff=staff)

    async def _link_status(self, session: AsyncSession, link: Link) -> LinkStatus:
        last = await check_store.latest_for_link(session, link_id=link.id)
        return LinkStatus(
            card=LinkCard.of(link), created_at=link.created_at, state_changed_at=link.state_changed_at,
            last_checked_at=last.checked_at if last else link.last_checked_at,
            last_outcome=last.outcome if last else None,
            last_reason=last.reason if last else link.last_reason,
            last_fault_code=last.fault_code if last else link.last_fault_code,
        )

    # support staff only

    @command("list", "list [state]", audience=Audience.STAFF)
    async def _list(self, person: Person, args: Args, staff: bool) -> Outcome:
        async with self.sessions() as session, session.begin():
            found = await link_store.find_links(session, state=args.state, limit=LIST_CAP + 1)
            counts = await link_store.count_by_state(session)
            total = counts.get(args.state, 0) if args.state else sum(counts.values())
            last_run = await self._last_run(session)
            audit(session, **_actor(person), action="command.list", detail={"state": args.state, "found": total})
        cards = tuple(LinkCard.of(link) for link in found[:LIST_CAP])
        return LinkList(state=args.state, links=cards, more=max(total - len(cards), 0), counts=counts,
                        last_run=last_run)

    async def _last_run(self, session: AsyncSession) -> RunInfo | None:
        if self.recheck is not None:
            return _run_info(await self.recheck.last_run())
        return _run_info(await runs.last_finished(session))

    @command("check", "check <link|all>", audience=Audience.STAFF)
    async def _check(self, person: Person, args: Args, staff: bool) -> Outcome:
        async with self.sessions() as session, session.begin():
            if self.recheck is None:
                audit(session, **_actor(person), action="command.check", result="failed",
                      detail={"problem": "recheck_unavailable"})
                return Unavailable("recheck")
            if args.everything:
                total = await link_store.count_holding_token(session)
                audit(session, **_actor(person), action="command.check", detail={"all": True, "links": total})
                return CheckAllQueued(total=total, person=person)
            assert args.link_id is not None
            link = await session.get(Link, args.link_id)
            if link is None:
                audit(session, **_actor(person), action="command.check", result="failed",
                      detail={"link": f"L{args.link_id}"})
                return NoLink(args.link_id)
            card = LinkCard.of(link)
            if not link.holds_token:
                audit(session, **_actor(person), action="command.check", link_id=link.id, result="failed",
                      detail={"problem": "no_token", "state": link.state})
                return NotCheckable(card)
            audit(session, **_actor(person), action="command.check", link_id=link.id)
        return CheckQueued(card=card, person=person)

    async def run_check(self, queued: CheckQueued) -> Checked | NoLink:
        """The slow part of `check <link>`, after the adapter acknowledged."""
        assert self.recheck is not None, "CheckQueued is only handed out with a recheck"
        try:
            report = await self.recheck.check_one(queued.card.id, trigger="manual", actor=queued.person)
        except LinkNotFound:  # deleted between the command and the check
            return NoLink(queued.card.id)
        return Checked(report)

    async def run_check_all(
        self, queued: CheckAllQueued, *, progress: ProgressCallback | None = None
    ) -> CheckedAll | Busy:
        """The slow part of `check all`: a whole run now, reporting progress as it goes."""
        assert self.recheck is not None, "CheckAllQueued is only handed out with a recheck"
        try:
            summary = await self.recheck.run(trigger="manual", progress=progress)
        except RecheckBusy:
            return Busy()
        return CheckedAll(summary)

    @command("history", "history <link>", audience=Audience.STAFF)
    async def _history(self, person: Person, args: Args, staff: bool) -> Outcome:
        assert args.link_id is not None
        async with self.sessions() as session, session.begin():
            link = await session.get(Link, args.link_id)
            if link is None:
                audit(session, **_actor(person), action="command.history", result="failed",
                      detail={"link": f"L{args.link_id}"})
                return NoLink(args.link_id)
            checks, check_total = await check_store.recent_for_link(session, link_id=link.id, limit=HISTORY_CHECKS)
            entries, audit_total = await audit_log.recent_for_link(session, link_id=link.id, limit=HISTORY_AUDITS)
            card = LinkCard.of(link)
            # Written after reading, so this very look-up is not part of what it shows.
            audit(session, **_actor(person), action="command.history", link_id=link.id)
        rows = tuple(CheckRow(checked_at=c.checked_at, trigger=c.trigger, outcome=c.outcome, reason=c.reason,
                              fault_code=c.fault_code, latency_ms=c.latency_ms) for c in checks)
        return History(card=card, checks=rows, more_checks=max(check_total - len(rows), 0),
                       audits=tuple(_audit_row(e) for e in entries), more_audits=max(audit_total - len(entries), 0))

    @command("label", "label <link> <text>", audience=Audience.STAFF)
    async def _label(self, person: Person, args: Args, staff: bool) -> Outcome:
        assert args.link_id is not None and args.text is not None
        async with self.sessions() as session, session.begin():
            link = await session.get(Link, args.link_id, with_for_update=True)
            if link is None:
                audit(session, **_actor(person), action="command.label", result="failed",
                      detail={"link": f"L{args.link_id}"})
                return NoLink(args.link_id)
            previous = link.label
            link.label = args.text
            entry = audit(session, **_actor(person), action="command.label", link_id=link.id,
                          detail={"label": args.text, "previous": previous})
            await session.flush()
            card = LinkCard.of(link)
            await queue(session, Alert(AlertKind.LABELLED, card, {**_who(person), "label": args.text,
                                                                  "previous": previous}),
                        key=f"link:{link.id}:label:{entry.id}")
        self._kick()
        return Labelled(card=card, previous=previous)

    @command("revoke", "revoke <link>", audience=Audience.STAFF)
    async def _revoke(self, person: Person, args: Args, staff: bool) -> Outcome:
        assert args.link_id is not None
        async with self.sessions() as session, session.begin():
            link = await session.get(Link, args.link_id)
            if link is None:
                audit(session, **_actor(person), action="command.revoke", result="failed",
                      detail={"link": f"L{args.link_id}"})
                return NoLink(args.link_id)
            card = LinkCard.of(link)
            if link.state == LinkState.REVOKED and not link.holds_token:
                audit(session, **_actor(person), action="command.revoke", link_id=link.id, result="failed",
                      detail={"problem": "already_revoked"})
                return AlreadyRevoked(card)
            audit(session, **_actor(person), action="command.revoke", link_id=link.id, detail={"stage": "asked"})
        return RevokeAsk(card)

    @command("invite", "invite <name or e-mail>", audience=Audience.STAFF)
    async def _invite(self, person: Person, args: Args, staff: bool) -> Outcome:
        if self.invitations is None:
            return await self._no_invitations(person, "command.invite")
        if args.invitation_id is not None:
            return await self.invitations.revoke(person=person, short_id=f"I{args.invitation_id}")
        assert args.text is not None
        return await self.invitations.create(person=person, name=args.text)

    @command("invites", "invites", audience=Audience.STAFF)
    async def _invites(self, person: Person, args: Args, staff: bool) -> Outcome:
        if self.invitations is None:
            return await self._no_invitations(person, "command.invites")
        return await self.invitations.list_open(person=person)

    async def _no_invitations(self, person: Person, action: str, what: str = "invitations") -> Outcome:
        async with self.sessions() as session, session.begin():
            audit(session, **_actor(person), action=action, result="failed", detail={"problem": f"no_{what}"})
        return Unavailable(what)

    @command("migration", "migration [link]", audience=Audience.STAFF)
    async def _migration(self, person: Person, args: Args, staff: bool) -> Outcome:
        if self.migration is None:
            return await self._no_invitations(person, "command.migration", "migration")
        if args.subcommand == "invite":
            return await self.migration.invite(person=person, link_id=None if args.everything else args.link_id)
        if args.subcommand == "not_needed":
            assert args.link_id is not None and args.text is not None
            return await self.migration.not_needed(person=person, link_id=args.link_id, number=args.text)
        if args.link_id is not None:
            return await self.migration.checklist(person=person, link_id=args.link_id)
        return await self.migration.overview(person=person)

    # the support home page

    async def support_summary(self, *, person: Person) -> SupportSummary | None:
        """None for anyone who is not support staff."""
        if not await self.staff.is_staff(person):
            return None
        async with self.sessions() as session:
            counts = await link_store.count_by_state(session)
            alerts = await alert_store.latest(session, limit=HOME_EVENTS)
            entries = await audit_log.latest(session, limit=HOME_EVENTS)
            last_run = await self._last_run(session)
        return SupportSummary(
            counts=counts,
            alerts=tuple(AlertRow(kind=a.kind, link_id=a.link_id, created_at=a.created_at, sent_at=a.sent_at)
                         for a in alerts),
            audits=tuple(_audit_row(e) for e in entries),
            last_run=last_run,
        )
