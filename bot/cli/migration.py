"""`tokendesk migration [--json]`: the SOAP → REST migration's progress, for an operator."""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.app import database
from bot.cli import _settings
from bot.desk import offering_for
from handlers.text.offer_text import mode_summary
from handlers.migration import overview, overview_document
from storage.models import utcnow

#: The text view names this many links with debtors to move (--json lists them all).
TEXT_LINKS = 50


def run(args: argparse.Namespace) -> int:
    settings = _settings()

    async def show() -> int:
        async with database(settings) as sessions, sessions() as session:
            found = await overview(session, soap_until=settings.nmbrs_soap_until, today=utcnow().date(),
                                   cap=1_000_000 if args.json else TEXT_LINKS)
        if args.json:
            print(json.dumps(overview_document(found), indent=2, ensure_ascii=False))
            return 0
        totals = found.totals
        print(f"SOAP links: {totals.soap_links}  debtors: {totals.debtors}  to move: {totals.to_move}  "
              f"covered by REST: {totals.covered}  not needed: {totals.not_needed}")
        if found.soap_until is None:
            print("SOAP switch-off: no date set (TOKENDESK_NMBRS_SOAP_UNTIL)")
        else:
            print(f"SOAP switch-off: {found.soap_until.isoformat()} ({found.days_left} days left)")
        offering = offering_for(settings)
        if offering.rest:  # SOAP only (REST not configured) prints what it always printed
            print(f"Connecting: {mode_summary(offering.now(), offering.soap_until)}")
        if not found.links:
            print("nothing left to move")
            return 0
        print(f"{'ID':<7} {'TO MOVE':>7} {'OF':>4}  {'ENVIRONMENT':<18} {'USERNAME':<32} LABEL")
        for move in found.links:
            print(f"{move.short_id:<7} {move.to_move:>7} {len(move.debtors):>4}  {move.environment or '-':<18} "
                  f"{move.username:<32} {move.label or ''}")
        if found.more:
            print(f"... and {found.more} more (--json lists them all)")
        return 0

    return asyncio.run(show())
