"""The migration tracker's buttons, pressed on any platform: a candidate ("this SOAP debtor"), "none of
these", "invite all" (the confirmation of `migration invite all`), and "revoke the SOAP token", which asks the usual revoke question (handlers.commands)."""

from __future__ import annotations

import logging

from handlers.commands import Commands, Outcome, Refused, Unavailable, allowed_commands
from handlers.migration import Refusal
from handlers.migration_message import INVITE, MATCH, NONE, REVOKE, parse_id, parse_match
from handlers.model import Person

log = logging.getLogger(__name__)

ACTIONS = frozenset({MATCH, NONE, REVOKE, INVITE})


async def press(commands: Commands, *, person: Person, action: str, value: str) -> Outcome | None:
    """The answer to one press, None for a button that names nothing we know (logged)."""
    if action == REVOKE:
        link_id = parse_id(value)
        # The same path as typing `revoke L5`: staff only, audited, and a confirmation first.
        return None if link_id is None else await commands.handle(person=person, text=f"revoke L{link_id}")
    migration = commands.migration
    if migration is None:
        return Unavailable("migration")
    try:
        if action == MATCH and (match := parse_match(value)) is not None:
            link_id, debtor_id, rest_link_id = match
            return await migration.confirm_match(person=person, link_id=link_id, debtor_id=debtor_id,
                                                 rest_link_id=rest_link_id)
        if action == NONE and (rest_link_id := parse_id(value)) is not None:
            return await migration.decline_match(person=person, rest_link_id=rest_link_id)
        if action == INVITE and value == "all":
            return await migration.invite_all(person=person)
    except Refusal:
        return Refused(commands=allowed_commands(staff=False))
    log.warning("migration button %s with a value we cannot read; ignored", action)
    return None
