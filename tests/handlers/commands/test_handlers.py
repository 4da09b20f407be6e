"""The neutral /nmbrs use cases against a real database (SQLite and PostgreSQL), no chat platform."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from handlers.alerts import Outbox
from handlers.commands import (
    AlreadyRevoked,
    CheckAllQueued,
    Checked,
    CheckQueued,
    Commands,
    Help,
    History,
    Labelled,
    LinkList,
    NoLink,
    NotCheckable,
    OpenConnect,
    Refused,
    RevokeAsk,
    RevokeCancelled,
    Revoked,
    StatusResult,
    SupportSummary,
    Unavailable,
    Unknown,
    Usage,
)
from handlers.model import Alert, AlertKind, LinkCard, Person
from handlers.staff import FixedStaff
from storage.links import store_credentials
from storage.models import AlertRecord, AuditEntry, Check, Link, LinkState, RecheckRun, utcnow

STAFF = Person(platform="slack", team_id="T1", user_id="USTAFF", lang="en")
CUSTOMER = Person(platform="slack", team_id="T1", user_id="UCUST", lang="nl")
OTHER = Person(platform="slack", team_id="T1", user_id="UOTHER", lang="nl")
GUEST = Person(platform="slack", team_id="T9", user_id="USTAFF", lang="en", home_team=False)
TOKENS = ["1" * 31 + "a", "2" * 31 + "b", "3" * 31 + "c"]


class Notifier:
    platform = "slack"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def deliver(self, alert: Alert) -> None:
        self.alerts.append(alert)


@dataclass
class Report:
    link: LinkCard
    outcome: str
    transition: str | None
    reason: str | None


class FakeRecheck:
    """Stands in for handlers.recheck here only; the Slack end-to-end tests use the real one."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, Person | None]] = []

    async def check_one(self, link_id: int, *, trigger: str = "manual", actor: Person | None = None) -> Report:
        self.calls.append((link_id, trigger, actor))
        card = LinkCard(id=link_id, username="u", environment="e", state="active", token_last4="abcd", label=None,
                        platform="slack", team_id="T1", user_id="U", debtor_count=0, company_count=0)
        return Report(card, "valid", None, None)

    async def run(self, *, trigger: str = "manual", progress=None):  # type: ignore[no-untyped-def]
        return "summary"

    async def last_run(self) -> RecheckRun | None:
        return None


@pytest.fixture
async def seeded(sessions, cipher) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    async with sessions() as session, session.begin():
        for i, (user, env, state) in enumerate([("UCUST", "acme", LinkState.ACTIVE), ("UOTHER", "globex", LinkState.BROKEN),
                                                ("UCUST", "initech", LinkState.ACTIVE)]):
            stored = await store_credentials(
                session, cipher, username=f"hr{i}@{env}.nl", token=TOKENS[i], environment=env, state=state,
                platform="slack", team_id="T1", user_id=user,
                companies=[{"id": 1, "number": 1, "name": f"{env} B.V.", "debtor_id": 1}],
            )
            ids.append(stored.link.id)
        session.add(Check(link_id=ids[0], checked_at=utcnow(), trigger="intake", outcome="valid", latency_ms=120))
    return ids


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


@pytest.fixture
def commands(sessions, notifier) -> Commands:  # type: ignore[no-untyped-def]
    return Commands(sessions=sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}),
                    outbox=Outbox(sessions, [notifier]), recheck=FakeRecheck())


async def audits(sessions) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_help_shows_what_the_caller_may_use(commands) -> None:  # type: ignore[no-untyped-def]
    customer = await commands.handle(person=CUSTOMER, text="")
    assert isinstance(customer, Help) and [c.name for c in customer.commands] == ["help", "connect", "status"]
    staff = await commands.handle(person=STAFF, text="help")
    assert isinstance(staff, Help) and staff.staff and len(staff.commands) == 11
    assert isinstance(await commands.handle(person=CUSTOMER, text="connect"), OpenConnect)


async def test_customers_see_only_their_own_links(commands, seeded, sessions) -> None:  # type: ignore[no-untyped-def]
    mine = await commands.handle(person=CUSTOMER, text="status")
    assert isinstance(mine, StatusResult) and [s.card.id for s in mine.links] == [seeded[0], seeded[2]]
    assert mine.links[0].last_outcome == "valid"
    theirs = await commands.handle(person=CUSTOMER, text=f"status L{seeded[1]}")
    missing = await commands.handle(person=CUSTOMER, text="status L999")
    # The same answer whether the link is someone else's or does not exist.
    assert theirs == StatusResult(query=f"L{seeded[1]}", links=(), more=0, staff=False)
    assert missing == StatusResult(query="L999", links=(), more=0, staff=False)
    refused = [a for a in await audits(sessions) if a.result == "refused"]
    assert [(a.action, a.link_id) for a in refused] == [("command.status", seeded[1]), ("command.status", None)]


async def test_staff_find_any_link(commands, seeded) -> None:  # type: ignore[no-untyped-def]
    by_env = await commands.handle(person=STAFF, text="status globex")
    assert [s.card.id for s in by_env.links] == [seeded[1]]
    by_id = await commands.handle(person=STAFF, text=str(seeded[2]))
    assert isinstance(by_id, Unknown)  # a bare id is not a subcommand
    assert [s.card.environment for s in (await commands.handle(person=STAFF, text="status")).links] == [
        "acme", "globex", "initech"]


@pytest.mark.parametrize("text", ["list", "check all", "check L1", "history L1", "label L1 x", "revoke L1",
                                  "revoke L999", "check", "list nonsense"])
async def test_staff_commands_are_refused_alike_and_audited(commands, seeded, sessions, text) -> None:  # type: ignore[no-untyped-def]
    for person in (CUSTOMER, GUEST):
        outcome = await commands.handle(person=person, text=text)
        assert outcome == Refused(commands=outcome.commands)
        assert [c.name for c in outcome.commands] == ["help", "connect", "status"]
    entries = await audits(sessions)
    assert len(entries) == 2 and {e.result for e in entries} == {"refused"}
    assert entries[0].action == f"command.{text.split()[0]}"


async def test_list_by_state_and_last_run(commands, seeded, sessions) -> None:  # type: ignore[no-untyped-def]
    commands.recheck = None  # the RecheckRun table is read directly then
    async with sessions() as session, session.begin():
        session.add(RecheckRun(started_at=utcnow(), finished_at=utcnow(), status="finished", trigger="schedule",
                               counts={"active": 2}))
    broken = await commands.handle(person=STAFF, text="list broken")
    assert isinstance(broken, LinkList) and [c.id for c in broken.links] == [seeded[1]] and broken.more == 0
    assert broken.last_run is not None and broken.last_run.status == "finished"
    everything = await commands.handle(person=STAFF, text="list")
    assert len(everything.links) == 3 and everything.counts["active"] == 2
    wrong = await commands.handle(person=STAFF, text="list sleeping")
    assert isinstance(wrong, Usage) and wrong.problem == "bad_state" and "unverified" in wrong.states


async def test_check_one_and_all_are_queued_then_run(commands, seeded) -> None:  # type: ignore[no-untyped-def]
    queued = await commands.handle(person=STAFF, text=f"check L{seeded[0]}")
    assert isinstance(queued, CheckQueued) and queued.card.id == seeded[0]
    done = await commands.run_check(queued)
    assert isinstance(done, Checked) and commands.recheck.calls == [(seeded[0], "manual", STAFF)]
    everything = await commands.handle(person=STAFF, text="check all")
    assert isinstance(everything, CheckAllQueued) and everything.total == 3
    assert isinstance(await commands.handle(person=STAFF, text="check L999"), NoLink)
    commands.recheck = None
    assert await commands.handle(person=STAFF, text=f"check L{seeded[0]}") == Unavailable("recheck")


async def test_label_queues_an_alert_with_the_change(commands, seeded, sessions, notifier) -> None:  # type: ignore[no-untyped-def]
    outcome = await commands.handle(person=STAFF, text=f"label L{seeded[0]}  <!channel> payroll ")
    assert isinstance(outcome, Labelled) and outcome.card.label == "<!channel> payroll" and outcome.previous is None
    await commands.outbox.drain()
    [alert] = notifier.alerts
    assert alert.kind is AlertKind.LABELLED and alert.details["label"] == "<!channel> payroll"
    assert alert.details["by"] == "USTAFF"
    async with sessions() as session:
        record = await session.scalar(select(AlertRecord))
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "command.label"))
        assert record.key == f"link:{seeded[0]}:label:{entry.id}"
    bad = await commands.handle(person=STAFF, text=f"label L{seeded[0]} \x07")
    assert isinstance(bad, Usage) and bad.problem == "label_control"
    assert isinstance(await commands.handle(person=STAFF, text="label L999 x"), NoLink)


async def test_revoke_asks_then_destroys_the_token_once(commands, seeded, sessions, notifier) -> None:  # type: ignore[no-untyped-def]
    link_id = seeded[0]
    asked = await commands.handle(person=STAFF, text=f"revoke L{link_id}")
    assert isinstance(asked, RevokeAsk) and asked.card.id == link_id
    async with sessions() as session:
        assert (await session.get(Link, link_id)).holds_token  # asking changes nothing
    assert await commands.confirm_revoke(person=CUSTOMER, link_id=link_id) == Refused(
        commands=(await commands.handle(person=CUSTOMER, text="list")).commands)
    done = await commands.confirm_revoke(person=STAFF, link_id=link_id)
    assert isinstance(done, Revoked) and done.card.state == "revoked"
    async with sessions() as session:
        link = await session.get(Link, link_id)
        assert link.token_ciphertext is None and link.token_key_id is None and link.state == "revoked"
    assert isinstance(await commands.confirm_revoke(person=STAFF, link_id=link_id), AlreadyRevoked)
    assert isinstance(await commands.handle(person=STAFF, text=f"revoke L{link_id}"), AlreadyRevoked)
    assert isinstance(await commands.handle(person=STAFF, text=f"check L{link_id}"), NotCheckable)
    await commands.outbox.drain()
    assert [a.kind for a in notifier.alerts] == [AlertKind.REVOKED]
    assert notifier.alerts[0].details["previous_state"] == "active"
    assert await commands.cancel_revoke(person=STAFF, link_id=seeded[1]) == RevokeCancelled(seeded[1])
    assert isinstance(await commands.confirm_revoke(person=STAFF, link_id=999), NoLink)
    actions = [(a.action, a.result) for a in await audits(sessions)]
    assert actions == [
        ("command.revoke", "ok"), ("command.revoke.confirm", "refused"), ("command.list", "refused"),
        ("command.revoke.confirm", "ok"), ("command.revoke.confirm", "failed"), ("command.revoke", "failed"),
        ("command.check", "failed"), ("command.revoke.cancel", "ok"), ("command.revoke.confirm", "failed"),
    ]


async def test_history_lists_checks_and_audit_newest_first(commands, seeded, sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        session.add(Check(link_id=seeded[0], checked_at=utcnow(), trigger="recheck", outcome="rejected",
                          reason="credentials", fault_code=1001, latency_ms=80))
    await commands.handle(person=STAFF, text=f"label L{seeded[0]} first")
    history = await commands.handle(person=STAFF, text=f"history L{seeded[0]}")
    assert isinstance(history, History)
    assert [(c.outcome, c.fault_code) for c in history.checks] == [("rejected", 1001), ("valid", None)]
    assert [a.action for a in history.audits] == ["command.label"]
    assert isinstance(await commands.handle(person=STAFF, text="history L999"), NoLink)


async def test_support_summary_only_for_staff(commands, seeded) -> None:  # type: ignore[no-untyped-def]
    assert await commands.support_summary(person=CUSTOMER) is None
    await commands.handle(person=STAFF, text=f"label L{seeded[1]} x")
    summary = await commands.support_summary(person=STAFF)
    assert isinstance(summary, SupportSummary) and summary.counts["active"] == 2
    assert [a.kind for a in summary.alerts] == ["labelled"] and summary.audits[0].action == "command.label"


async def test_invitations_are_for_support_and_off_without_a_public_url(sessions, notifier) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from handlers.invitations import InvitationList, InvitationRevoked, Invitations, Invited, NoInvitation

    staff = FixedStaff({("slack", "T1", "USTAFF")})
    off = Commands(sessions=sessions, staff=staff)
    assert await off.handle(person=STAFF, text="invite Acme") == Unavailable("invitations")
    on = Commands(sessions=sessions, staff=staff, invitations=Invitations(
        sessions=sessions, public_url="https://desk.example.com", ttl=timedelta(hours=12)))
    assert isinstance(await on.handle(person=CUSTOMER, text="invite Acme"), Refused)
    assert isinstance(await on.handle(person=CUSTOMER, text="invites"), Refused)
    invited = await on.handle(person=STAFF, text="invite hr@acme.nl")
    assert isinstance(invited, Invited) and invited.email == "hr@acme.nl" and invited.url.startswith("https://desk.example.com/i/")
    listed = await on.handle(person=STAFF, text="invites")
    assert isinstance(listed, InvitationList) and [r.short_id for r in listed.rows] == [invited.short_id]
    assert await on.handle(person=STAFF, text=f"invite revoke {invited.short_id}") == InvitationRevoked(invited.short_id)
    assert await on.handle(person=STAFF, text=f"invite revoke {invited.short_id}") == NoInvitation(invited.short_id)
    assert await on.handle(person=STAFF, text="invites") == InvitationList(rows=())
    actions = [(e.action, e.result) for e in await audits(sessions)]
    assert ("command.invite", "refused") in actions and ("invitation.create", "ok") in actions
    assert ("invitation.revoke", "ok") in actions and ("invitation.revoke", "failed") in actions
