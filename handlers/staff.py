"""Who is support staff: the neutral question every platform's directory answers."""

from __future__ import annotations

from typing import Protocol

from handlers.model import Person


class StaffDirectory(Protocol):
    """Answers whether a person may use the support commands.

    Implementations never raise for an unknown or unreachable directory: they answer False, so a
    broken configuration locks staff out rather than letting customers in."""

    async def is_staff(self, person: Person) -> bool: ...


class FixedStaff:
    """Staff given as (platform, team_id, user_id) triples; for tests and the command line."""

    def __init__(self, members: set[tuple[str, str, str]]) -> None:
        self.members = frozenset(members)

    async def is_staff(self, person: Person) -> bool:
        return person.home_team and (person.platform, person.team_id, person.user_id) in self.members
