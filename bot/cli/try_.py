"""`tokendesk try`: the whole desk on this machine (bot.trymode), with a page at /try; no settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000)")
    parser.add_argument("--dir", type=Path, default=Path("tokendesk-try"), dest="directory",
                        help="where the database and key file are kept between runs (default ./tokendesk-try)")
    parser.add_argument("--fresh", action="store_true", help="start over: forget the links and practice tokens")


def run_try(args: argparse.Namespace) -> int:
    from bot.logs import configure_logging  # here, not at import: `tokendesk --help` stays light

    # Never load_settings(): try mode ignores .env and the production environment (bot.trymode.settings).
    configure_logging(level="WARNING", fmt="text")
    try:
        return asyncio.run(_try(args.directory, port=args.port, fresh=args.fresh, out=sys.stdout))
    except KeyboardInterrupt:
        # Ctrl-C is how try mode ends: uvicorn has shut the desk down and re-raised the signal.
        print("tokendesk try: stopped", file=sys.stderr)
        return 0
    except OSError as exc:
        print(f"tokendesk: try mode cannot start: {exc.strerror or exc}", file=sys.stderr)
        return 2


async def _try(directory: Path, *, port: int, fresh: bool, out: TextIO) -> int:
    from bot.trymode.run import running

    async with running(directory, port=port, fresh=fresh) as desk:
        if desk.logins:
            out.write("Practice Nmbrs logins (e-mail and API token, to send to the bot):\n")
            for login in desk.logins:
                out.write(f"  {login.username}  {login.token}  ({login.about})\n")
            out.write('Practice Nmbrs consent logins (e-mail and password, on the page "Connect with Nmbrs" opens):\n')
            for consent in desk.consent_logins:
                out.write(f"  {consent.email}  {consent.password}  (debtor {consent.debtor.number} "
                          f"{consent.debtor.name}: {consent.about})\n")
        else:
            out.write("Nmbrs: TOKENDESK_NMBRS_URL is set, so try mode uses that Nmbrs with your own credentials.\n")
        out.write(f"tokendesk try: open {desk.page_url}\n")
        out.flush()
        await asyncio.wait([desk.serving])
    return 0
