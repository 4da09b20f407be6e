"""A SOAP link of an accountant reaching five debtors, three of them covered by REST already, stored
in a running app's desk; and a customer's browser following a "Connect with Nmbrs" URL through the
REST stand-in's consent."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from bot.standins.nmbrs_rest import NmbrsRestStandIn, RestDebtor
from bot.standins.nmbrs_rest.browser import consent
from handlers.model import Debtor
from storage import migration as migration_store
from storage.cipher import TokenCipher
from storage.links import store_credentials
from storage.models import AuditEntry, LinkState, MigrationDebtor, MoveState, utcnow

DEBTORS = [(2001, 1, "Bakkerij Jansen"), (2002, 2, "Garage De Vries"), (2003, 3, "Kapsalon Els"),
           (2004, 4, "Drukkerij Smit"), (2005, 5, "Bloemen Bos")]
COVERED = (2001, 2002, 2003)
PASSWORD = "Welkom*01"
_HREF = re.compile(r'href="[^"]*?(/connect/nmbrs/start\?t=[A-Za-z0-9_-]{43})"')


async def soap_link(desk: Any, *, platform: str, team_id: str | None, user_id: str | None, n: int = 7) -> int:
    """A SOAP link (as intake leaves it) reaching the five debtors, the first three covered by REST."""
    debtors = [Debtor(id_, number, name).to_dict() for id_, number, name in DEBTORS]
    cipher: TokenCipher = desk.cipher
    async with desk.sessions() as session, session.begin():
        stored = await store_credentials(
            session, cipher, username=f"accountant{n}@kantoor.nl", token=f"{n:032x}", environment=f"kantoor{n}",
            state=LinkState.ACTIVE, platform=platform, team_id=team_id, user_id=user_id, debtors=debtors,
            companies=[], scope_digest=None)
        for debtor_id in COVERED:
            await migration_store.record(session, soap_link_id=stored.link.id, debtor_id=debtor_id,
                                         state=MoveState.COVERED, matched_by="test setup", rest_link_id=None,
                                         now=utcnow())
        return stored.link.id


async def moves(desk: Any, link_id: int) -> dict[int, MigrationDebtor]:
    async with desk.sessions() as session:
        rows = (await session.scalars(select(MigrationDebtor).where(MigrationDebtor.soap_link_id == link_id))).all()
    return {row.debtor_id: row for row in rows}


async def audits(desk: Any, action: str) -> list[AuditEntry]:
    async with desk.sessions() as session:
        return list((await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))).all())


def payroll_user(rest: NmbrsRestStandIn, n: int, number: int, name: str) -> str:
    """The client's payroll administrator at the REST stand-in (their debtor: `number`, `name`)."""
    email = f"payroll{n}@klant.nl"
    rest.add_user(email, PASSWORD, name=f"Payroll {n}", language="en",
                  debtor=RestDebtor(number, name, id=f"00000000-0000-4000-8000-{n:012d}"))
    return email


async def follow(http: httpx.AsyncClient, base: str, start_path: str, email: str) -> httpx.Response:
    """A browser following a "Connect with Nmbrs" URL: start, the stand-in's consent, the callback."""
    started = await http.get(start_path)
    assert started.status_code in (302, 303), started.text
    location = await consent(started.headers["location"], email=email, password=PASSWORD)
    assert location.startswith(base + "/connect/nmbrs/callback?")
    return await http.get(location.removeprefix(base))


def consent_path_on(page: str) -> str:
    """The "Connect with Nmbrs" link of an invitation page."""
    found = _HREF.search(page)
    assert found is not None, "the invitation page offers no consent link"
    return found.group(1).replace("&amp;", "&")
