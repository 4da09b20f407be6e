"""`migration invite` in the use case, on SQLite and PostgreSQL: the accountant's SOAP token with five
debtors, three covered over REST → an invite for exactly the two left; its URLs are made when the
message is sent (a retried delivery renews the same invitations, the old secrets stop working) and
nothing in the database holds them in clear; once per remind period per link, also when two support
people press at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from handlers.connect import Tickets
from handlers.migration import Migration
from handlers.migration.invite import InviteLinks
from handlers.migration.outcomes import InvitesDone, InviteSent, InviteTooSoon, InviteUnavailable, InviteWeb
from handlers.model import Alert
from handlers.staff import FixedStaff
from storage import connect as connect_store
from storage import invitations as invitation_store
from bot.standins.nmbrs.accounts import StandinDebtor
from storage.models import AlertRecord, AuditEntry, ConnectTicket, Invitation, Link
from tests.handlers.migration.conftest import STAFF, Scene, scene, three_consented, token_for, user_for  # noqa: F401

URL = "https://desk.example.nl"


def invites(scene: Scene, *, rest: bool = True) -> tuple[Migration, InviteLinks]:
    desk = scene.desk
    links = InviteLinks(tickets=Tickets(sessions=desk.sessions, public_url=URL, clock=desk.time.clock),
                        ttl=timedelta(days=7))
    migration = Migration(sessions=desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}), outbox=None,
                          clock=desk.time.clock, links=links if rest else None, remind_days=7)
    return migration, links


async def queued(scene: Scene) -> list[Alert]:
    async with scene.desk.sessions() as session:
        rows = (await session.scalars(select(AlertRecord).where(AlertRecord.kind == "customer_migration")
                                      .order_by(AlertRecord.id))).all()
    return [Alert.from_dict(row.payload) for row in rows]


async def test_the_invite_names_the_two_debtors_left_and_its_urls_are_made_when_sent(scene: Scene) -> None:
    await three_consented(scene)
    migration, links = invites(scene)
    sent = await migration.invite(person=STAFF, link_id=scene.soap_link)
    assert sent == InviteSent(scene.soap_link, "slack", 2)
    [alert] = await queued(scene)
    assert [d["id"] for d in alert.details["debtors"]] == [2004, 2005]
    assert (alert.details["platform"], alert.details["user_id"]) == ("slack", "U1")

    first = await links.for_customer(alert, lang="nl")
    again = await links.for_customer(alert, lang="nl")  # the delivery failed and is tried again
    assert [d.invitation for d in first] == [d.invitation for d in again]  # the same invitations, renewed
    async with scene.desk.sessions() as session:
        now = scene.desk.time.now
        for old, new in zip(first, again):
            assert await invitation_store.find_open(session, secret=old.invitation_url.rsplit("/", 1)[1], now=now) is None
            found = await invitation_store.find_open(session, secret=new.invitation_url.rsplit("/", 1)[1], now=now)
            assert found is not None and (found.migration_link_id, found.migration_debtor_id) == (
                scene.soap_link, new.debtor_id)
        for item in again:
            ticket = parse_qs(urlparse(item.button_url).query)["t"][0]
            row = await session.scalar(select(ConnectTicket).where(
                ConnectTicket.ticket_hash == connect_store.hash_value(ticket)))
            assert row is not None and (row.user_id, row.language) == ("U1", "nl")
            assert row.expires_at == now + timedelta(days=7)  # as long as the invitation beside it
            assert (row.migration_link_id, row.migration_debtor_id) == (scene.soap_link, item.debtor_id)
        stored = " ".join([*(str(r.payload) for r in (await session.scalars(select(AlertRecord))).all()),
                           *(str(a.detail) for a in (await session.scalars(select(AuditEntry))).all()),
                           *(f"{i.secret_hash} {i.name}" for i in (await session.scalars(select(Invitation))).all())])
    for item in (*first, *again):
        assert item.invitation_url.rsplit("/", 1)[1] not in stored
        assert parse_qs(urlparse(item.button_url).query)["t"][0] not in stored


async def test_once_per_remind_period_per_link_also_when_pressed_twice_at_once(scene: Scene) -> None:
    migration, _ = invites(scene)
    outcomes = await asyncio.gather(*(migration.invite(person=STAFF, link_id=scene.soap_link) for _ in range(2)))
    assert sorted(type(o).__name__ for o in outcomes) == ["InviteSent", "InviteTooSoon"]
    sent_at = scene.desk.time.now
    scene.desk.time.advance(timedelta(days=6, hours=23).total_seconds())
    soon = await migration.invite(person=STAFF, link_id=scene.soap_link)
    assert isinstance(soon, InviteTooSoon) and soon.again_at == sent_at + timedelta(days=7)
    scene.desk.time.advance(timedelta(hours=1).total_seconds())
    assert isinstance(await migration.invite(person=STAFF, link_id=scene.soap_link), InviteSent)
    rounds = [alert.details["round"] for alert in await queued(scene)]
    assert len(rounds) == 2 and len(set(rounds)) == 2 and len(rounds[0]) == 16


async def test_all_lists_the_urls_of_ten_web_links_and_leaves_the_rest_uninvited(scene: Scene) -> None:
    desk = scene.desk
    web = []
    for n in range(11):
        desk.nmbrs.add_account(user_for(20 + n), token_for(20 + n), f"web{n}", debtors=[StandinDebtor(3000 + n, n, f"Klant {n}")])
        link_id = await desk.link(20 + n, environment=f"web{n}", user_id=f"I{n + 1}")
        async with desk.sessions() as session, session.begin():
            link = await session.get(Link, link_id)
            assert link is not None
            link.platform, link.team_id = "web", "invitation"
        web.append(link_id)
    migration, _ = invites(scene)
    done = await migration.invite_all(person=STAFF)
    assert isinstance(done, InvitesDone)
    assert [s.link_id for s in done.sent] == [scene.soap_link] and len(done.web) == 10 and len(done.web_left) == 1
    assert all(len(w.debtors) == 1 and w.debtors[0].url.startswith(URL + "/i/") for w in done.web)
    left = done.web_left[0]
    assert isinstance(await migration.invite(person=STAFF, link_id=left), InviteWeb)  # not claimed by `all`


async def test_without_rest_nothing_is_queued(scene: Scene) -> None:
    migration, _ = invites(scene, rest=False)
    assert isinstance(await migration.invite(person=STAFF, link_id=scene.soap_link), InviteUnavailable)
    assert await queued(scene) == []
