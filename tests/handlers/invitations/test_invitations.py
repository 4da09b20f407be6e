"""Invitations against a real database and the Nmbrs stand-in over HTTP: create, expiry, reuse,
revocation, and the limit of rejected submissions per invitation and per client address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from handlers.intake import REJECTED_PER_HOUR, Connected, Intake, Limited, Refused
from handlers.invitations import BadInvitation, Gone, InvitationRevoked, Invitations, Invited, NoInvitation
from handlers.model import AlertKind, Person
from storage.invitations import hash_secret
from storage.models import AlertRecord, AuditEntry, Invitation, Link, utcnow
from tests.handlers.intake.conftest import TOKEN, USER

STAFF = Person(platform="slack", team_id="T1", user_id="USTAFF", lang="en")
WRONG = "0" * 31 + "f"
HERE = "192.0.2.10"


@pytest.fixture
def invitations(sessions, cipher, gateway, outbox) -> Invitations:  # type: ignore[no-untyped-def]
    intake = Intake(sessions=sessions, cipher=cipher, gateway=gateway, outbox=outbox)
    return Invitations(sessions=sessions, public_url="https://desk.example.com/", ttl=timedelta(days=7),
                       intake=intake, outbox=outbox)


def secret_of(invited: Invited) -> str:
    return invited.url.rsplit("/", 1)[1]


async def test_an_invitation_is_a_one_time_url_whose_secret_is_stored_only_hashed(invitations, sessions) -> None:  # type: ignore[no-untyped-def]
    invited = await invitations.create(person=STAFF, name="  Acme   BV ", email="hr@acme.nl")
    assert isinstance(invited, Invited) and invited.short_id.startswith("I") and invited.name == "Acme BV"
    assert invited.url.startswith("https://desk.example.com/i/")
    secret = secret_of(invited)
    assert len(secret) == 43  # 32 random bytes: 256 bits
    async with sessions() as session:
        row = (await session.scalars(select(Invitation))).one()
        dump = " ".join(str(v) for v in (await session.execute(text("SELECT * FROM invitations"))).one())
        entries = (await session.scalars(select(AuditEntry))).all()
    assert row.secret_hash == hash_secret(secret) and secret not in dump
    assert [e.action for e in entries] == ["invitation.create"] and secret not in str(entries[0].detail)
    by_mail = await invitations.create(person=STAFF, name="boss@globex.nl")
    assert isinstance(by_mail, Invited) and by_mail.email == "boss@globex.nl"
    assert secret_of(by_mail) != secret


@pytest.mark.parametrize("name, problem", [("", "missing"), ("x" * 201, "too_long"), ("a\x07b", "control"),
                                           ("token=abcdef1234567", "secret")])
async def test_a_name_that_is_not_one_is_refused(invitations, name: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    assert await invitations.create(person=STAFF, name=name) == BadInvitation(problem)


async def test_an_expired_invitation_is_gone(invitations, sessions) -> None:  # type: ignore[no-untyped-def]
    invited = await invitations.create(person=STAFF, name="Acme")
    assert (await invitations.find(secret_of(invited))) is not None
    async with sessions() as session, session.begin():
        await session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await invitations.find(secret_of(invited)) is None
    outcome = await invitations.submit(secret=secret_of(invited), address=HERE, username=USER, token=TOKEN, lang="nl")
    assert outcome == Gone()
    assert (await invitations.list_open(person=STAFF)).rows == ()


async def test_one_success_uses_it_up_and_support_hears_which_invitation(invitations, sessions, notifier, nmbrs) -> None:  # type: ignore[no-untyped-def]
    invited = await invitations.create(person=STAFF, name="Acme BV", email="hr@acme.nl")
    secret = secret_of(invited)
    outcome = await invitations.submit(secret=secret, address=HERE, username=USER, token=TOKEN, lang="nl")
    assert isinstance(outcome, Connected)
    again = await invitations.submit(secret=secret, address=HERE, username=USER, token=TOKEN, lang="nl")
    assert again == Gone() and await invitations.find(secret) is None
    async with sessions() as session:
        link = (await session.scalars(select(Link))).one()
        row = (await session.scalars(select(Invitation))).one()
        kinds = [(r.kind, r.payload["details"]) for r in (await session.scalars(select(AlertRecord).order_by(AlertRecord.id))).all()]
    assert (link.platform, link.team_id, link.user_id) == ("web", "invitation", invited.short_id)
    assert row.used_at is not None and row.link_id == link.id
    assert kinds[0][0] == AlertKind.ACTIVATED
    invited_alert = [details for kind, details in kinds if kind == AlertKind.INVITED]
    assert invited_alert == [{"invitation": invited.short_id, "name": "Acme BV", "email": "hr@acme.nl",
                              "by": "USTAFF", "by_platform": "slack", "by_team": "T1"}]


async def test_a_revoked_invitation_is_gone_and_revoking_twice_says_so(invitations) -> None:  # type: ignore[no-untyped-def]
    invited = await invitations.create(person=STAFF, name="Acme")
    assert await invitations.revoke(person=STAFF, short_id=invited.short_id) == InvitationRevoked(invited.short_id)
    assert await invitations.revoke(person=STAFF, short_id=invited.short_id) == NoInvitation(invited.short_id)
    assert await invitations.revoke(person=STAFF, short_id="I999") == NoInvitation("I999")
    outcome = await invitations.submit(secret=secret_of(invited), address=HERE, username=USER, token=TOKEN, lang="en")
    assert outcome == Gone()


async def test_rejections_are_limited_per_invitation(invitations) -> None:  # type: ignore[no-untyped-def]
    secret = secret_of(await invitations.create(person=STAFF, name="Acme"))
    for n in range(REJECTED_PER_HOUR):
        # A new address each time: only the invitation's own count can stop the sixth.
        outcome = await invitations.submit(secret=secret, address=f"198.51.100.{n}", username=USER, token=WRONG, lang="nl")
        assert isinstance(outcome, Refused) and outcome.attempts_left == REJECTED_PER_HOUR - n - 1
    limited = await invitations.submit(secret=secret, address="198.51.100.99", username=USER, token=TOKEN, lang="nl")
    assert isinstance(limited, Limited)


async def test_rejections_are_limited_per_client_address_across_invitations(invitations) -> None:  # type: ignore[no-untyped-def]
    first = secret_of(await invitations.create(person=STAFF, name="Acme"))
    second = secret_of(await invitations.create(person=STAFF, name="Globex"))
    for _ in range(3):
        assert isinstance(await invitations.submit(secret=first, address=HERE, username=USER, token=WRONG, lang="nl"), Refused)
    left = []
    for _ in range(2):
        outcome = await invitations.submit(secret=second, address=HERE, username=USER, token=WRONG, lang="nl")
        assert isinstance(outcome, Refused)
        left.append(outcome.attempts_left)
    assert left == [1, 0]  # the address's count, lower than the second invitation's own
    assert isinstance(await invitations.submit(secret=second, address=HERE, username=USER, token=TOKEN, lang="nl"), Limited)
    # Another address on the same (second) invitation still may: two rejections there so far.
    assert isinstance(await invitations.submit(secret=second, address="203.0.113.5", username=USER, token=TOKEN,
                                               lang="nl"), Connected)
