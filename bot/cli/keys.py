"""`tokendesk keys generate|rotate`: new key lines for TOKENDESK_KEYS, and re-encryption under the first key."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.app import database
from bot.cli import EXIT_USAGE, _settings
from bot.cli.progress import Progress
from storage.cipher import generate_key_line
from storage.keyfile import load_cipher
from storage.rotation import rotate_keys


def run_generate(args: argparse.Namespace) -> int:
    print(generate_key_line(args.key_id))
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.batch_size < 1:
        print("tokendesk: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    cipher = load_cipher(
        keys=settings.keys.get_secret_value() if settings.keys else None,
        database_url=settings.database_url,
        create=False,
    )

    async def rotate() -> int:
        async with database(settings) as sessions:
            with Progress("keys rotate", "rows") as progress:
                report = await rotate_keys(sessions, cipher, batch_size=args.batch_size, progress=progress.update)
        print(
            f"re-encrypted {report.changed} rows under key {cipher.primary_key_id} "
            f"({report.links} links, {report.pending} pending conversations, {report.intakes} pending intakes)"
        )
        return 0

    return asyncio.run(rotate())
