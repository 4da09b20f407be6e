"""The outbox and an invite refused for good, on SQLite and PostgreSQL: the refused alert is settled, support's
message is queued under one key per round and sent in the same pass, on one support channel only (the
customer's platform's, else another's); its invitations are the round's own, renewed (the secrets made for
the refused message stop working, none is added); a lost settle does not tell support twice; a failure
that is not Undeliverable keeps the invite queued."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from handlers.alerts import deliver_pending
from handlers.connect import Tickets
from handlers.migration import Migration
from handlers.migration.invite import InviteLinks, forward_links
from handlers.migration.outcomes import InviteSent, InviteTooSoon
from handlers.model import Alert, AlertKind
from handlers.ports import Undeliverable
from handlers.staff import FixedStaff
from storage import invitations as invitation_store
from storage.models import AlertRecord, AuditEntry, Invitation
from tests.handlers.migration.conftest import STAFF, Scene, scene  # noqa: F401 - fixtures

URL = "https://desk.example.nl"


@dataclass
class Platform:
    """A notifier double: refuses customer invites as `refusal` says (or with another error), and
    records what support is sent with the URLs it forwards."""

    platform: str
    links: InviteLinks
    support_channel: str | None = "C0SUPPORT"
    refusal: Exception | None = None
    customer_urls: list[str] = field(default_factory=list)
    told: list[tuple[Alert, tuple[str, ...]]] = field(default_factory=list)

    async def deliver(self, alert: Alert) -> None:
        if alert.kind is AlertKind.CUSTOMER_MIGRATION:
            made = await self.links.for_customer(alert, lang="en")  # made, then refused on the way
            self.customer_urls.extend(item.invitation_url for item in made)
            if self.refusal is not None:
                raise self.refusal
            return
        forward = await forward_links(self.links, alert)
        self.told.append((alert, tuple(d.url for d in forward)))


def setup(scene: Scene) -> tuple[Migration, InviteLinks]:
    desk = scene.desk
    links = InviteLinks(tickets=Tickets(sessions=desk.sessions, public_url=URL, clock=desk.time.clock),
                        ttl=timedelta(days=7))
    return Migration(sessions=desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}), outbox=None,
                     clock=desk.time.clock, links=links, remind_days=7), links


async def _rows(scene: Scene, model: type) -> list:
    async with scene.desk.sessions() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


async def test_a_refused_invite_goes_to_support_once_with_the_rounds_invitations_renewed(scene: Scene) -> None:
    migration, links = setup(scene)
    slack = Platform("slack", links, refusal=Undeliverable(platform="slack", code="user_not_found"))
    teams = Platform("teams", links)
    assert await migration.invite(person=STAFF, link_id=scene.soap_link) == InviteSent(scene.soap_link, "slack", 5)

    sent = await deliver_pending(scene.desk.sessions, [teams, slack])
    assert sent == 1  # support's message, in the same pass; the refused invite is settled, not "sent"
    [(told, urls)] = slack.told
    assert teams.told == [] and told.kind is AlertKind.MIGRATION_UNDELIVERED and told.link is not None
    assert (told.link.id, told.details["error"], told.details["refused_on"]) == (scene.soap_link, "user_not_found", "slack")
    assert len(urls) == 5 and not set(urls) & set(slack.customer_urls)

    now = scene.desk.time.now
    async with scene.desk.sessions() as session:
        for url in slack.customer_urls:  # made for the refused message: renewed since
            assert await invitation_store.find_open(session, secret=url.rsplit("/", 1)[1], now=now) is None
        for url in urls:
            assert await invitation_store.find_open(session, secret=url.rsplit("/", 1)[1], now=now) is not None
    assert len(await _rows(scene, Invitation)) == 5  # no second set

    refused, support = await _rows(scene, AlertRecord)
    assert refused.sent_at is not None and "user_not_found" in (refused.last_error or "")
    assert support.kind == "migration_undelivered" and support.sent_at is not None
    assert all(url.rsplit("/", 1)[1] not in str(support.payload) for url in urls)
    [entry] = [a for a in await _rows(scene, AuditEntry) if a.result == "redirected"]
    assert (entry.action, entry.link_id, entry.actor) == ("migration.invite", scene.soap_link, "USTAFF")
    assert entry.detail["error"] == "user_not_found" and entry.detail["to"] == "slack"

    # The settle was lost (a crash): the invite is tried again, refused again; support is not told twice.
    async with scene.desk.sessions() as session, session.begin():
        row = await session.get(AlertRecord, refused.id)
        assert row is not None
        row.sent_at = None
    assert await deliver_pending(scene.desk.sessions, [teams, slack]) == 0
    assert len(slack.told) == 1 and len(await _rows(scene, AlertRecord)) == 2
    assert len([a for a in await _rows(scene, AuditEntry) if a.result == "redirected"]) == 1
    assert isinstance(await migration.invite(person=STAFF, link_id=scene.soap_link), InviteTooSoon)  # still claimed


async def test_without_support_on_the_customers_platform_another_is_told(scene: Scene) -> None:
    migration, links = setup(scene)
    slack = Platform("slack", links, refusal=Undeliverable(platform="slack", code="cannot_dm_bot"), support_channel=None)
    teams = Platform("teams", links)
    await migration.invite(person=STAFF, link_id=scene.soap_link)
    assert await deliver_pending(scene.desk.sessions, [slack, teams]) == 1
    assert slack.told == [] and len(teams.told) == 1


async def test_any_other_failure_keeps_the_invite_queued(scene: Scene) -> None:
    migration, links = setup(scene)
    slack = Platform("slack", links, refusal=RuntimeError("ratelimited"))
    await migration.invite(person=STAFF, link_id=scene.soap_link)
    assert await deliver_pending(scene.desk.sessions, [slack]) == 0
    [row] = await _rows(scene, AlertRecord)
    assert row.sent_at is None and row.attempts == 1 and slack.told == []
    slack.refusal = None
    assert await deliver_pending(scene.desk.sessions, [slack]) == 1
    assert len(await _rows(scene, Invitation)) == 5  # the retry renewed the same invitations
