"""The migration tracker's scene: an accountant's SOAP token reaching five debtors (the SOAP stand-in),
customers consenting per debtor over REST (the REST stand-in), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.standins.nmbrs.accounts import StandinDebtor
from bot.standins.nmbrs_rest import RestDebtor
from handlers.commands import Commands
from handlers import migration_buttons
from handlers.migration import AskedSupport, ConsentMatch, Covered, MatchConfirmed, Migration, on_rest_consent
from handlers.migration_message import MATCH
from handlers.model import Person
from handlers.staff import FixedStaff
from storage.models import Link, WebhookEvent
from tests.handlers.recheck.conftest import (  # noqa: F401 - fixtures
    any_desk,
    desk,
    gateway,
    nmbrs,
    sqlite_sessions,
    token_for,
    user_for,
)
from tests.handlers.recheck.rest_desk import (  # noqa: F401 - fixtures
    PASSWORD,
    RestDesk,
    email_for,
    rest_desk,
    rest_gateway,
    rest_nmbrs,
    rest_server,
    rest_sqlite_desk,
)

#: The accountant's five debtors: SOAP id, number, name.
DEBTORS = [(2001, 1, "Bakkerij Jansen"), (2002, 2, "Garage De Vries"), (2003, 3, "Kapsalon Els"),
           (2004, 4, "Drukkerij Smit"), (2005, 5, "Bloemen Bos")]
ACCOUNTANT = 7
SOAP_UNTIL = date(2027, 6, 30)
STAFF = Person("slack", "T1", "USTAFF", lang="en")
CUSTOMER = Person("slack", "T1", "UCUST", lang="en")


@dataclass
class Scene:
    rest: RestDesk
    soap_link: int

    @property
    def desk(self):  # type: ignore[no-untyped-def]
        return self.rest.desk

    def migration(self, *, today: datetime | None = None) -> Migration:
        return Migration(sessions=self.desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}),
                         outbox=self.desk.outbox, soap_until=SOAP_UNTIL,
                         clock=(lambda: today) if today else self.desk.time.clock)

    def commands(self) -> Commands:
        return Commands(sessions=self.desk.sessions, staff=FixedStaff({("slack", "T1", "USTAFF")}),
                        outbox=self.desk.outbox, migration=self.migration())

    async def consent(self, n: int, number: object, name: str, *, target: tuple[int, int] | None = None) -> tuple[int, ConsentMatch]:
        """A customer consents over REST for one debtor (the REST stand-in's pages), then the hook runs,
        given the migration ids its ticket carried (`target`: SOAP link id, SOAP debtor id)."""
        self.rest.nmbrs.add_user(email_for(n), PASSWORD, name=f"Payroll {n}", language="en",
                                 debtor=RestDebtor(number, name, id=f"00000000-0000-4000-8000-{n:012d}"))
        rest_link_id = await self.rest.link(n)
        async with self.desk.sessions() as session, session.begin():
            link = await session.get(Link, rest_link_id)
            assert link is not None
            found = await on_rest_consent(session, rest_link=link, migration_link_id=target[0] if target else None,
                                          migration_debtor_id=target[1] if target else None, by=f"slack UCUST{n}",
                                          now=self.desk.time.now)
        return rest_link_id, found

    async def events(self) -> list[WebhookEvent]:
        async with self.desk.sessions() as session:
            return list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))).all())


async def three_consented(scene: Scene) -> int:
    """Debtors 1 and 2 from their buttons, 3 without: support confirms it. Returns 3's REST link."""
    _, first = await scene.consent(1, 1, "Bakkerij Jansen", target=(scene.soap_link, 2001))
    _, second = await scene.consent(2, "2", "  garage de vries ", target=(scene.soap_link, 2002))
    assert isinstance(first, Covered) and isinstance(second, Covered) and not second.link_done
    rest_link, third = await scene.consent(3, 3, "Kapsalon Els")
    assert isinstance(third, AskedSupport) and third.candidates == 1
    outcome = await migration_buttons.press(scene.commands(), person=STAFF, action=MATCH,
                                            value=f"{scene.soap_link}:2003:{rest_link}")
    assert isinstance(outcome, MatchConfirmed) and outcome.rest_link_id == rest_link and not outcome.link_done
    return rest_link


async def make_scene(rest: RestDesk) -> Scene:
    desk = rest.desk
    desk.nmbrs.add_account(user_for(ACCOUNTANT), token_for(ACCOUNTANT), "kantoor",
                           debtors=[StandinDebtor(*debtor) for debtor in DEBTORS])
    return Scene(rest=rest, soap_link=await desk.link(ACCOUNTANT, environment="kantoor"))


@pytest.fixture
async def scene(rest_desk: RestDesk) -> Scene:  # noqa: F811
    """On SQLite and PostgreSQL."""
    return await make_scene(rest_desk)


@pytest.fixture
async def sqlite_scene(rest_sqlite_desk: RestDesk) -> Scene:  # noqa: F811
    return await make_scene(rest_sqlite_desk)
