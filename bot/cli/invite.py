"""`tokendesk invite --name N [--email E] [--json]`: a one-time invitation URL for a customer outside
Slack and Teams (the same use case as `/nmbrs invite`, created by the operator `cli`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli import _settings, when
from handlers.invitations import BadInvitation, Invited
from handlers.model import Person
from handlers.text.invite_text import bad_invitation

EXIT_USAGE = 2
#: Who made an invitation at the command line, in the audit log and the support thread.
OPERATOR = Person(platform="cli", team_id="", user_id="operator", lang="en")


def run_invite(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.public_url:
        print("tokendesk: invitations need TOKENDESK_PUBLIC_URL (the https address customers open)", file=sys.stderr)
        return EXIT_USAGE
    if args.email is not None and (args.email.count("@") != 1 or " " in args.email.strip() or len(args.email) > 254):
        print("tokendesk: --email: expected one e-mail address like name@company.com", file=sys.stderr)
        return EXIT_USAGE
    outcome = asyncio.run(_create(settings, args.name, args.email.strip() if args.email else None))
    if isinstance(outcome, BadInvitation):
        print(f"tokendesk: --name: {bad_invitation(outcome.problem, False)}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps({"id": outcome.short_id, "url": outcome.url, "name": outcome.name, "email": outcome.email,
                          "expires_at": when(outcome.expires_at)}, indent=2))
        return 0
    # The note to stderr, the URL alone to stdout: `URL=$(tokendesk invite --name x)` works.
    print(f"Invitation {outcome.short_id} for {outcome.name}, valid until {when(outcome.expires_at)}. "
          "It works once and is shown only now; paste it into your e-mail or ticket to the customer. "
          f"End it with `/nmbrs invite revoke {outcome.short_id}`.", file=sys.stderr)
    print(outcome.url)
    return 0


async def _create(settings, name: str, email: str | None) -> Invited | BadInvitation:  # type: ignore[no-untyped-def]
    from bot.app import build_invitations, database

    async with database(settings) as sessions:
        invitations = build_invitations(settings, sessions)
        assert invitations is not None
        return await invitations.create(person=OPERATOR, name=name, email=email)
