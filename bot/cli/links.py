"""`tokendesk links [--state STATE] [--json]`: the stored links, for an operator."""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.app import database
from bot.cli import _settings
from storage.links import find_links


def run(args: argparse.Namespace) -> int:
    settings = _settings()

    async def listing() -> int:
        async with database(settings) as sessions, sessions() as session:
            links = await find_links(session, state=args.state, limit=1_000_000)
        rows = [
            {
                "id": link.short_id,
                "kind": link.kind,
                "state": link.state,
                "username": link.username,
                # REST links have no environment: their debtor stands in its place.
                "environment": link.environment,
                "debtor": link.debtor_name if link.is_rest else None,
                "label": link.label,
                "platform": link.platform,
                "last_checked_at": link.last_checked_at.isoformat() if link.last_checked_at else None,
                # why the last check failed, as the API's `last_reason` (None while it works)
                "last_reason": link.last_reason,
                "last_fault_code": link.last_fault_code,
                "token_last4": link.token_last4 if link.holds_token else None,
                "debtors": len(link.debtors or []),
                "companies": len(link.companies or []),
            }
            for link in links
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        elif not rows:
            print("no links" + (f" in state {args.state}" if args.state else ""))
        else:
            print(f"{'ID':<7} {'KIND':<5} {'STATE':<11} {'ENVIRONMENT':<18} {'USERNAME':<32} {'LAST CHECK':<20} "
                  f"{'WHY':<18} LABEL")
            for row in rows:
                checked = (row["last_checked_at"] or "never")[:19]
                where = row["environment"] or (f"({row['debtor']})" if row["debtor"] else "-")
                print(
                    f"{row['id']:<7} {row['kind']:<5} {row['state']:<11} {where:<18} "
                    f"{row['username']:<32} {checked:<20} {row['last_reason'] or '-':<18} {row['label'] or ''}"
                )
        return 0

    return asyncio.run(listing())
