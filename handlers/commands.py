"""The `/nmbrs` commands, platform-neutral: parse the text, authorise, run against storage, return an outcome.

Who may run what is declared on each command (`@command(..., audience=...)`); the adapter renders
the outcome dataclasses below and never decides anything itself.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import redact
from handlers.alerts import Alert, AlertKind, LinkCard, Outbox, queue
from handlers.ports import Person
from handlers.recheck import LinkNotFound, RecheckBusy
from handlers.staff import StaffDirectory
from storage import links as link_store
from storage.audit import audit
from storage.models import CHECKED_STATES, AlertRecord, AuditEntry, Check, Link, LinkState, RecheckRun

log = logging.getLogger(__name__)

MAX_LABEL = 200
MAX_QUERY = 100
#: How many links `status` describes in full, and `list` names, before saying "and N more".
STATUS_CAP = 5
LIST_CAP = 30
HISTORY_CHECKS = 15
HISTORY_AUDITS = 10
#: Recent events on the support home page.
HOME_EVENTS = 5

STATES: tuple[str, ...] = tuple(state.value for state in LinkState)
#: The links a whole run checks (as handlers.recheck picks them).
_HOLDS_TOKEN = (Link.state.in_([s.value for s in CHECKED_STATES]), Link.token_ciphertext.is_not(None))

# Bidirectional overrides make a label read differently from what it says; control characters
# break the one-line layouts. Both are refused rather than silently stripped.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


# --- the command table ---------------------------------------------------------------------------


class Audience(StrEnum):
    EVERYONE = "everyone"
    """Customers too (`status` then shows only their own links)."""
    STAFF = "staff"
    """Members of the support user group or the listed support users."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    """The usage line without the slash command: `label <link> <text>`."""
    audience: Audience
    method: str


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, usage: str, *, audience: Audience) -> Callable[[Any], Any]:
    """Declare a subcommand and who may run it, on the method that runs it."""

    def declare(method: Any) -> Any:
        COMMANDS[name] = CommandSpec(name=name, usage=usage, audience=audience, method=method.__name__)
        return method

    return declare


def allowed_commands(*, staff: bool) -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in COMMANDS.values() if staff or spec.audience is Audience.EVERYONE)


# --- parsing -------------------------------------------------------------------------------------


class UnknownCommand(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


class UsageError(Exception):
    """The arguments do not fit the command; `problem` names what is wrong for the renderer."""

    def __init__(self, spec: CommandSpec, problem: str, *, given: str | None = None, limit: int | None = None) -> None:
        super().__init__(f"{spec.name}: {problem}")
        self.spec = spec
        self.problem = problem
        self.given = given
        self.limit = limit


@dataclass(frozen=True)
class Args:
    """The parsed arguments; which fields are set depends on the command."""

    query: str | None = None
    state: str | None = None
    link_id: int | None = None
    everything: bool = False
    """`check all`."""
    text: str | None = None


@dataclass(frozen=True)
class Invocation:
    spec: CommandSpec
    args: Args


# Linear: a lazy (.*?) before \s*$ rescanned trailing spaces at every step (quadratic).
_FIRST_WORD = re.compile(r"^\s*+(\S+)\s*+(.*)", re.DOTALL)


def split(text: str) -> tuple[CommandSpec, str]:
    """The subcommand and the rest of the text; no text means `help`. Raises UnknownCommand."""
    match = _FIRST_WORD.match(text or "")
    if match is None:
        return COMMANDS["help"], ""
    word, rest = match.group(1), match.group(2).rstrip()
    spec = COMMANDS.get(word.lower())
    if spec is None:
        raise UnknownCommand(redact(word)[:40])
    return spec, rest


def parse_args(spec: CommandSpec, rest: str) -> Args:
    """Check and convert the arguments of one subcommand; raises UsageError."""
    words = rest.split()
    if spec.name in ("help", "connect"):
        # Extra words are ignored: someone typing credentials after `connect` still gets the form.
        return Args()
    if spec.name == "status":
        if len(rest) > MAX_QUERY:
            raise UsageError(spec, "query_too_long", limit=MAX_QUERY)
        return Args(query=rest or None)
    if spec.name == "list":
        if len(words) > 1:
            raise UsageError(spec, "too_many")
        if not words:
            return Args()
        state = words[0].lower()
        if state not in STATES:
            raise UsageError(spec, "bad_state", given=redact(words[0])[:40])
        return Args(state=state)
    if spec.name == "check" and words and words[0].lower() == "all":
        if len(words) > 1:
            raise UsageError(spec, "too_many")
        return Args(everything=True)
    if not words:
        raise UsageError(spec, "missing_link")
    link_id = link_store.parse_short_id(words[0])
    if link_id is None:
        raise UsageError(spec, "bad_link", given=redact(words[0])[:40])
    if spec.name == "label":
        label = rest[len(words[0]):].strip()
        return Args(link_id=link_id, text=clean_label(spec, label))
    if len(words) > 1:
        raise UsageError(spec, "too_many")
    return Args(link_id=link_id)


def clean_label(spec: CommandSpec, label: str) -> str:
    label = label.strip()
    if not label:
        raise UsageError(spec, "missing_label")
    if len(label) > MAX_LABEL:
        raise UsageError(spec, "label_too_long", limit=MAX_LABEL)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI for ch in label):
        raise UsageError(spec, "label_control")
    if redact(label) != label:
        # A label is shown in the support channel: never let a pasted token end up there.
        raise UsageError(spec, "label_secret")
    return label


def parse(text: str) -> Invocation:
    """Both steps at once (the adapter authorises in between); raises UnknownCommand or UsageError."""
    spec, rest = split(text)
    return Invocation(spec=spec, args=parse_args(spec, rest))


# --- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    commands: tuple[CommandSpec, ...]
    staff: bool


@dataclass(frozen=True)
class OpenConnect:
    """The adapter opens its credentials form."""


@dataclass(frozen=True)
class Unknown:
    word: str
    commands: tuple[CommandSpec, ...]
    """What the caller may use instead."""


@dataclass(frozen=True)
class Usage:
    spec: CommandSpec
    problem: str
    given: str | None = None
    limit: int | None = None
    states: tuple[str, ...] = STATES


@dataclass(frozen=True)
class Refused:
    """Not for this person. Says nothing about whether any link exists."""

    commands: tuple[CommandSpec, ...]


@dataclass(frozen=True)
class NoLink:
    link_id: int

    @property
    def short_id(self) -> str:
        return f"L{self.link_id}"


@dataclass(frozen=True)
class Unavailable:
    """The command needs a part this process was started without (the re-check)."""

    what: str


@dataclass(frozen=True)
class LinkStatus:
    card: LinkCard
    created_at: datetime
    state_changed_at: datetime
    last_checked_at: datetime | None
    last_outcome: str | None
    last_reason: str | None
    last_fault_code: int | None


@dataclass(frozen=True)
class StatusResult:
    query: str | None
    links: tuple[LinkStatus, ...]
    more: int
    staff: bool


@dataclass(frozen=True)
class RunInfo:
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkList:
    state: str | None
    links: tuple[LinkCard, ...]
    more: int
    counts: dict[str, int]
    last_run: RunInfo | None


@dataclass(frozen=True)
class NotCheckable:
    """The link holds no token any more (revoked)."""

    card: LinkCard


@dataclass(frozen=True)
class CheckQueued:
    """Authorised; run it with Commands.run_check after acknowledging."""

    card: LinkCard
    person: Person


@dataclass(frozen=True)
class CheckAllQueued:
    total: int
    person: Person


@dataclass(frozen=True)
class Busy:
    """A check run is going on already (the nightly one, or someone's `check all`)."""


class CheckReportLike(Protocol):
    link: LinkCard
    outcome: str
    transition: str | None
    reason: str | None
    fault_code: int | None


class RunSummaryLike(Protocol):
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    checked: int
    counts: dict[str, int]
    changes: list[dict[str, Any]]
    failed: int


class RunProgressLike(Protocol):
    done: int
    total: int


ProgressCallback: TypeAlias = Callable[[Any], Awaitable[None]]


class Rechecker(Protocol):
    """What the commands need of handlers.recheck.Recheck."""

    async def check_one(self, link_id: int, *, trigger: str = ..., actor: Person | None = ...) -> Any: ...

    async def run(self, *, trigger: str = ..., progress: ProgressCallback | None = ...) -> Any: ...

    async def last_run(self) -> RecheckRun | None: ...


@dataclass(frozen=True)
class Checked:
    report: CheckReportLike


@dataclass(frozen=True)
class CheckedAll:
    summary: RunSummaryLike


@dataclass(frozen=True)
class CheckRow:
    checked_at: datetime
    trigger: str
    outcome: str
    reason: str | None
    fault_code: int | None
    latency_ms: int


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    platform: str
    actor: str
    action: str
    result: str


@dataclass(frozen=True)
class History:
    card: LinkCard
    checks: tuple[CheckRow, ...]
    more_checks: int
    audits: tuple[AuditRow, ...]
    more_audits: int


@dataclass(frozen=True)
class Labelled:
    card: LinkCard
    previous: str | None


@dataclass(frozen=True)
class RevokeAsk:
    """Confirm first: the adapter shows the link with a confirm and a cancel button."""

    card: LinkCard


@dataclass(frozen=True)
class Revoked:
    card: LinkCard


@dataclass(frozen=True)
class AlreadyRevoked:
    card: LinkCard


@dataclass(frozen=True)
class RevokeCancelled:
    link_id: int


@dataclass(frozen=True)
class AlertRow:
    kind: str
    link_id: int | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class SupportSummary:
    """The support page: links by state, what happened lately, the last nightly run."""

    counts: dict[str, int]
    alerts: tuple[AlertRow, ...]
    audits: tuple[AuditRow, ...]
    last_run: RunInfo | None


Outcome: TypeAlias = (
    Help | OpenConnect | Unknown | Usage | Refused | NoLink | Unavailable | StatusResult | LinkList
    | NotCheckable | CheckQueued | CheckAllQueued | Checked | CheckedAll | Busy | History | Labelled | RevokeAsk
    | Revoked | AlreadyRevoked | RevokeCancelled
)


# --- the commands --------------------------------------------------------------------------------


def _actor(person: Person) -> dict[str, Any]:
    return {"platform": person.platform, "team_id": person.team_id, "actor": person.user_id}


def _who(person: Person) -> dict[str, Any]:
    """Who did it, in an alert's details (the same keys intake uses)."""
    return {"by": person.user_id, "by_platform": person.platform, "by_team": person.team_id}


def _run_info(run: RecheckRun | None) -> RunInfo | None:
    if run is None:
        return None
    return RunInfo(started_at=run.started_at, finished_at=run.finished_at, status=run.status,
                   trigger=run.trigger, counts=dict(run.counts or {}))


def _audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(at=entry.at, platform=entry.platform, actor=entry.actor, action=entry.action, result=entry.result)


class Commands:
    """Runs `/nmbrs` for any chat platform. One instance per process."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        staff: StaffDirectory,
        outbox: Outbox | None = None,
        recheck: Rechecker | None = None,
    ) -> None:
        self.sessions = sessions
        self.staff = staff
        self.outbox = outbox
        self.recheck = recheck

    async def handle(self, *, person: Person, text: str) -> Outcome:
        """One `/nmbrs <text>`: quick (database only); checks come back queued, see run_check."""
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
        return Help(commands=allowed_commands(staff=staff), staff=staff)

    @command("connect", "connect", audience=Audience.EVERYONE)
    async def _connect(self, person: Person, args: Args, staff: bool) -> Outcome:
        return OpenConnect()

    @command("status", "status [query]", audience=Audience.EVERYONE)
    async def _status(self, person: Person, args: Args, staff: bool) -> Outcome:
        query = args.query
        statement = link_store.search_query(query)
        if not staff:
            statement = statement.where(
                Link.platform == person.platform, Link.team_id == person.team_id, Link.user_id == person.user_id
            )
        async with self.sessions() as session, session.begin():
            found = (await session.scalars(statement.limit(STATUS_CAP + 1))).all()
            total = len(found)
            if total > STATUS_CAP:
                total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
            statuses = tuple([await self._link_status(session, link) for link in found[:STATUS_CAP]])
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
        last = await session.scalar(
            select(Check).where(Check.link_id == link.id).order_by(Check.checked_at.desc(), Check.id.desc()).limit(1)
        )
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
        run = await session.scalar(
            select(RecheckRun).where(RecheckRun.status == "finished")
            .order_by(RecheckRun.finished_at.desc(), RecheckRun.id.desc()).limit(1)
        )
        return _run_info(run)

    @command("check", "check <link|all>", audience=Audience.STAFF)
    async def _check(self, person: Person, args: Args, staff: bool) -> Outcome:
        async with self.sessions() as session, session.begin():
            if self.recheck is None:
                audit(session, **_actor(person), action="command.check", result="failed",
                      detail={"problem": "recheck_unavailable"})
                return Unavailable("recheck")
            if args.everything:
                total = await session.scalar(
                    select(func.count()).select_from(Link).where(*_HOLDS_TOKEN)
                ) or 0
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
            checks = (await session.scalars(
                select(Check).where(Check.link_id == link.id)
                .order_by(Check.checked_at.desc(), Check.id.desc()).limit(HISTORY_CHECKS)
            )).all()
            check_total = await session.scalar(
                select(func.count()).select_from(Check).where(Check.link_id == link.id)) or 0
            entries = (await session.scalars(
                select(AuditEntry).where(AuditEntry.link_id == link.id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(HISTORY_AUDITS)
            )).all()
            audit_total = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.link_id == link.id)) or 0
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

    async def confirm_revoke(self, *, person: Person, link_id: int) -> Outcome:
        """The confirm button: authorised again, since a button click is a request of its own."""
        if not await self.staff.is_staff(person):
            await self._refuse(person, "command.revoke.confirm", link_id=link_id)
            return Refused(commands=allowed_commands(staff=False))
        async with self.sessions() as session, session.begin():
            link = await session.get(Link, link_id, with_for_update=True)
            if link is None:
                audit(session, **_actor(person), action="command.revoke.confirm", result="failed",
                      detail={"link": f"L{link_id}"})
                return NoLink(link_id)
            previous = link.state
            if not link_store.revoke(link):
                audit(session, **_actor(person), action="command.revoke.confirm", link_id=link.id, result="failed",
                      detail={"problem": "already_revoked"})
                return AlreadyRevoked(LinkCard.of(link))
            entry = audit(session, **_actor(person), action="command.revoke.confirm", link_id=link.id,
                          detail={"previous_state": previous})
            await session.flush()
            card = LinkCard.of(link)
            # Keyed by the audit entry: a link revoked, reconnected and revoked again is told twice.
            await queue(session, Alert(AlertKind.REVOKED, card, {**_who(person), "previous_state": previous}),
                        key=f"link:{link.id}:revoked:{entry.id}")
        log.info("commands: link %s revoked", card.short_id)
        self._kick()
        return Revoked(card)

    async def cancel_revoke(self, *, person: Person, link_id: int) -> Outcome:
        if not await self.staff.is_staff(person):
            await self._refuse(person, "command.revoke.cancel", link_id=link_id)
            return Refused(commands=allowed_commands(staff=False))
        async with self.sessions() as session, session.begin():
            exists = await session.get(Link, link_id) is not None
            audit(session, **_actor(person), action="command.revoke.cancel", link_id=link_id if exists else None,
                  detail={} if exists else {"link": f"L{link_id}"})
        return RevokeCancelled(link_id)

    # the support home page

    async def support_summary(self, *, person: Person) -> SupportSummary | None:
        """None for anyone who is not support staff."""
        if not await self.staff.is_staff(person):
            return None
        async with self.sessions() as session:
            counts = await link_store.count_by_state(session)
            alerts = (await session.scalars(
                select(AlertRecord).order_by(AlertRecord.id.desc()).limit(HOME_EVENTS))).all()
            entries = (await session.scalars(
                select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(HOME_EVENTS))).all()
            last_run = await self._last_run(session)
        return SupportSummary(
            counts=counts,
            alerts=tuple(AlertRow(kind=a.kind, link_id=a.link_id, created_at=a.created_at, sent_at=a.sent_at)
                         for a in alerts),
            audits=tuple(_audit_row(e) for e in entries),
            last_run=last_run,
        )

    def _kick(self) -> None:
        if self.outbox is not None:
            self.outbox.kick()
