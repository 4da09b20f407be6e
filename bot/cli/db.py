"""`tokendesk migrate` and `tokendesk copy-db`: the database's schema, and moving it to another database."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli import EXIT_USAGE, _settings
from bot.cli.progress import Progress
from bot.config import load_settings
from storage.copy import CopyError, copy_database
from storage.db import create_engine
from storage.migrate import upgrade


def run_migrate(args: argparse.Namespace) -> int:
    settings = _settings()

    async def migrate() -> int:
        engine = create_engine(settings.database_url)
        try:
            before, after = await upgrade(engine)
        finally:
            await engine.dispose()
        print(f"database at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
        return 0

    return asyncio.run(migrate())


def run_copy_db(args: argparse.Namespace) -> int:
    settings = _settings()
    target_url = load_settings(database_url=args.to).database_url  # same validation as DATABASE_URL

    async def copy() -> int:
        source, target = create_engine(settings.database_url), create_engine(target_url)
        try:
            with Progress("copy-db", "rows") as progress:
                report = await copy_database(source, target, progress=progress.update)
        except CopyError as exc:
            print(f"tokendesk: {exc}", file=sys.stderr)
            return EXIT_USAGE
        finally:
            await source.dispose()
            await target.dispose()
        print(f"copied {report.total} rows: " + ", ".join(f"{n} {t}" for t, n in report.rows.items() if n))
        if report.rest_links:
            print(f"tokendesk: warning: {report.rest_links} REST links were copied. Their refresh tokens are single "
                  "use: run only ONE desk on them (stop this one before starting the copy), or the two desks "
                  "will spend each other's tokens and the links break.", file=sys.stderr)
        return 0

    return asyncio.run(copy())
