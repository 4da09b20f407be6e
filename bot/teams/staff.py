"""Support staff on Teams: the Entra object ids in TOKENDESK_TEAMS_SUPPORT_USERS, signed in to the
configured tenant (TEAMS_TENANT_ID). A user of another tenant with the same object id is not staff."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.model import Person


class TeamsStaffDirectory:
    """handlers.staff.StaffDirectory for Teams; a fixed list, so it never fails or waits."""

    def __init__(self, *, tenant_id: str, users: Iterable[str]) -> None:
        self.tenant_id = tenant_id.strip().lower()
        # Entra object ids are GUIDs: compared case-insensitively.
        self.users = frozenset(user.strip().lower() for user in users if user.strip())

    async def is_staff(self, person: Person) -> bool:
        return (
            person.platform == "teams" and person.home_team and person.team_id.lower() == self.tenant_id
            and person.user_id.lower() in self.users
        )
