"""Connect messages in shared channels, the use case on a real database (SQLite, and PostgreSQL
where the fixture has one): support only, live invitations only, one private invitation per person
and Connect message (a new secret on each press), none while the person's attempts are used up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from handlers.intake import REJECTED_PER_HOUR, Intake, Limited, Via, who_of
from handlers.invitations import Invitations, Invited
from handlers.model import Person
from handlers.shared_connect import MayPost, NotStaff, OfferGone, SharedConnect
from handlers.staff import FixedStaff
from storage.invitations import find_open, hash_secret
from storage.models import AuditEntry, Invitation, utcnow

STAFF = Person(platform="slack", team_id="T1", user_id="USTAFF", lang="en")
GUEST = Person(platform="slack", team_id="T0OTHER", user_id="UGUEST", lang="en", home_team=False,
               display_name="Jan <Acme>")
OTHER_GUEST = Person(platform="slack", team_id="T0OTHER", user_id="UOTHER", lang="nl", home_team=False)
CHANNEL = "C0SHARED"


@pytest.fixture
def shared(sessions, cipher, gateway, outbox) -> SharedConnect:  # type: ignore[no-untyped-def]
    intake = Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)
    invitations = Invitations(sessions=sessions, public_url="https://desk.example.com/", ttl=timedelta(days=7),
                              intake=intake, outbox=outbox)
    return SharedConnect(sessions=sessions, invitations=invitations, staff=FixedStaff({("slack", "T1", "USTAFF")}),
                         intake=intake)


async def a_connect_message(shared: SharedConnect) -> Via:
    invited = await shared.invitations.create(person=STAFF, name="Acme BV")
    assert isinstance(invited, Invited)
    return Via(invited.short_id, CHANNEL)


def secret_of(invited: Invited) -> str:
    return invited.url.rsplit("/", 1)[1]


async def test_only_staff_may_post_and_only_for_a_live_invitation(shared, sessions) -> None:  # type: ignore[no-untyped-def]
    via = await a_connect_message(shared)
    assert await shared.may_post(person=GUEST, via=via) == NotStaff()
    assert await shared.may_post(person=STAFF, via=via) == MayPost(via)
    assert await shared.may_post(person=STAFF, via=Via("I99", CHANNEL)) == OfferGone("I99")
    await shared.invitations.revoke(person=STAFF, short_id=via.invitation)
    assert await shared.may_post(person=STAFF, via=via) == OfferGone(via.invitation)
    assert await shared.pressed(via) == OfferGone(via.invitation)
    async with sessions() as session:
        results = [(a.actor, a.result) for a in (await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "invitation.connect_message").order_by(AuditEntry.id))).all()]
    assert results == [("UGUEST", "refused"), ("USTAFF", "ok"), ("USTAFF", "failed"), ("USTAFF", "failed")]


async def test_a_used_invitation_keeps_its_connect_message_an_expired_one_does_not(shared, sessions) -> None:  # type: ignore[no-untyped-def]
    via = await a_connect_message(shared)
    async with sessions() as session, session.begin():
        await session.execute(update(Invitation).values(used_at=utcnow()))
    assert await shared.pressed(via) == via
    async with sessions() as session, session.begin():
        await session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await shared.pressed(via) == OfferGone(via.invitation)
    assert await shared.private_invitation(person=GUEST, via=via) == OfferGone(via.invitation)


async def test_one_private_invitation_per_person_with_a_new_secret_each_press(shared, sessions) -> None:  # type: ignore[no-untyped-def]
    via = await a_connect_message(shared)
    first = await shared.private_invitation(person=GUEST, via=via)
    second = await shared.private_invitation(person=GUEST, via=via)
    other = await shared.private_invitation(person=OTHER_GUEST, via=via)
    assert isinstance(first, Invited) and isinstance(second, Invited) and isinstance(other, Invited)
    assert first.short_id == second.short_id != other.short_id
    assert first.url != second.url and first.email is None
    assert first.name == "Jan <Acme> (T0OTHER)" and other.name == "UOTHER (T0OTHER)"
    async with sessions() as session:
        assert await find_open(session, secret=secret_of(first), now=utcnow()) is None  # the old URL is dead
        found = await find_open(session, secret=secret_of(second), now=utcnow())
        assert found is not None and found.secret_hash == hash_secret(secret_of(second))
        assert (found.for_platform, found.for_team, found.for_user, found.channel_id, found.via_id) == (
            "slack", "T0OTHER", "UGUEST", CHANNEL, via.invitation_id)
        assert (found.created_by, found.created_team) == ("UGUEST", "T0OTHER")
        assert len((await session.scalars(select(Invitation))).all()) == 3  # support's, and one per person
    # Once used, the next press makes a new one (a used invitation is never handed out again).
    async with sessions() as session, session.begin():
        await session.execute(update(Invitation).where(Invitation.id == found.id).values(used_at=utcnow()))
    third = await shared.private_invitation(person=GUEST, via=via)
    assert isinstance(third, Invited) and third.short_id != first.short_id


async def test_no_url_while_the_persons_rejected_attempts_are_used_up(shared, sessions) -> None:  # type: ignore[no-untyped-def]
    via = await a_connect_message(shared)
    for _ in range(REJECTED_PER_HOUR):
        assert isinstance(await shared.intake.reserve(who_of(GUEST)), int)
    assert isinstance(await shared.private_invitation(person=GUEST, via=via), Limited)
    assert isinstance(await shared.private_invitation(person=OTHER_GUEST, via=via), Invited)
    async with sessions() as session:
        assert (await session.scalars(select(Invitation).where(Invitation.for_user == "UGUEST"))).all() == []


def test_via_takes_only_an_invitation_id_and_a_channel_id() -> None:
    assert Via.parse("I7", "C0SHARED") == Via("I7", "C0SHARED")
    assert Via.parse("I7", "G0PRIVATE1") is not None
    for invitation, channel in (("I0", "C0SHARED"), ("7", "C0SHARED"), ("I7", "D0DM"), ("I7", "<!channel>"),
                                (None, "C0SHARED"), ("I7", None), ("I7 ", "C0SHARED"), ("I7\n", "C0SHARED"), ("I7", "C0SHARED\n"),
                                (7, "C0SHARED")):
        assert Via.parse(invitation, channel) is None
