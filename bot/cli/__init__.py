"""The `tokendesk` command line: the parser, exit codes and settings; each command group's code is in
its own module here, imported only when that command runs (so --help and --version stay fast)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, TypeVar

from bot.config import Settings, SettingsError, load_settings
from storage.cipher import DecryptionError, KeyConfigError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

EXIT_USAGE = 2
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (bot/cli/completion.py); answers and exits
        from bot.cli.completion import complete

        complete(parser)
    args = parser.parse_args(argv)
    from storage.db import DatabaseUnusable  # after parsing: --help and --version load no SQLAlchemy

    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args) or 0)
    except SettingsError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyConfigError, DecryptionError, DatabaseUnusable) as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tokendesk: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokendesk",
        description="Takes customers' Nmbrs API credentials in Slack, checks them, stores them encrypted "
        "and re-checks them every night. Settings come from the environment or a .env file.",
    )
    parser.add_argument("--version", action="version", version=f"tokendesk {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the bot (HTTP on /slack/events, or Socket Mode)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    serve.add_argument("--socket", action="store_true", help="use Slack Socket Mode (needs SLACK_APP_TOKEN)")
    serve.set_defaults(run=_lazy("bot.cli.serve", "run_serve"))

    validate = commands.add_parser(
        "validate", help="check one set of Nmbrs credentials; the token is read from standard input"
    )
    what = validate.add_mutually_exclusive_group(required=True)
    what.add_argument("--username", help="the Nmbrs login e-mail")
    what.add_argument("--soap-url", action="store_true",
                      help="only check that TOKENDESK_NMBRS_URL serves Nmbrs' SOAP API (no credentials)")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(run=_lazy("bot.cli.validate", "run"))

    recheck = commands.add_parser("recheck", help="run the nightly check once, now, and print a summary")
    recheck.add_argument("--json", action="store_true", help="print the summary as JSON")
    recheck.set_defaults(run=_lazy("bot.cli.recheck", "run_recheck"))

    keys = commands.add_parser("keys", help="encryption keys for stored tokens")
    key_commands = keys.add_subparsers(title="key commands", metavar="KEYCOMMAND")
    generate = key_commands.add_parser("generate", help="print a new key line for TOKENDESK_KEYS")
    generate.add_argument("--id", dest="key_id", help="key id (default: random like k3f9a1c)")
    generate.set_defaults(run=_lazy("bot.cli.keys", "run_generate"))
    rotate = key_commands.add_parser("rotate", help="re-encrypt every token under the first key")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per committed batch (default 500)")
    rotate.set_defaults(run=_lazy("bot.cli.keys", "run_rotate"))
    keys.set_defaults(run=lambda _args: (keys.print_help(), EXIT_USAGE)[1])

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(run=_lazy("bot.cli.db", "run_migrate"))

    copy = commands.add_parser(
        "copy-db", help="copy this database (DATABASE_URL) into another, empty one, e.g. SQLite to PostgreSQL"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="target database URL (postgresql://…)")
    copy.set_defaults(run=_lazy("bot.cli.db", "run_copy_db"))

    links = commands.add_parser("links", help="list links for an operator")
    links.add_argument("--state", choices=["pending", "active", "rejected", "broken", "unverified", "revoked"])
    links.add_argument("--json", action="store_true", help="print a JSON list of objects")
    links.set_defaults(run=_lazy("bot.cli.links", "run"))

    # The hand-off to the integration: bot/cli/apikeys.py and bot/cli/webhooks.py.
    apikeys = commands.add_parser("apikeys", help="API keys for the integration's hand-off API (/api/v1)")
    apikey_commands = apikeys.add_subparsers(title="apikey commands", metavar="APIKEYCOMMAND")
    apikey_create = apikey_commands.add_parser("create", help="create a key and print it, once (stored only hashed)")
    apikey_create.add_argument("--name", required=True, help="what the key is for, e.g. 'payroll sync production'")
    apikey_create.set_defaults(run=_lazy("bot.cli.apikeys", "run_apikeys_create"))
    apikey_list = apikey_commands.add_parser("list", help="list keys: name, created, last used, revoked")
    apikey_list.add_argument("--json", action="store_true", help="print a JSON list of objects")
    apikey_list.set_defaults(run=_lazy("bot.cli.apikeys", "run_apikeys_list"))
    apikey_revoke = apikey_commands.add_parser("revoke", help="revoke a key; requests with it get 401 from now on")
    apikey_revoke.add_argument("key_id", type=int, metavar="ID", help="the key's id, from `tokendesk apikeys list`")
    apikey_revoke.set_defaults(run=_lazy("bot.cli.apikeys", "run_apikeys_revoke"))
    apikeys.set_defaults(run=lambda _args: (apikeys.print_help(), EXIT_USAGE)[1])

    webhooks = commands.add_parser("webhooks", help="link events for TOKENDESK_WEBHOOK_URL: pending and failed, retry")
    webhooks.add_argument("--failed", action="store_true", help="show only events given up on")
    retry = webhooks.add_mutually_exclusive_group()
    retry.add_argument("--retry", metavar="ID", help="send a failed (or disabled) event again: its ID or evt_… id")
    retry.add_argument("--retry-all", action="store_true", help="send every failed event again")
    webhooks.add_argument("--json", action="store_true", help="print counts and events as JSON")
    webhooks.set_defaults(run=_lazy("bot.cli.webhooks", "run_webhooks"))

    from bot.cli.try_ import add_arguments as try_arguments  # no desk imports: cheap

    try_mode = commands.add_parser(
        "try", help="the whole desk on this machine: practice Nmbrs and a local chat page at /try; needs no settings"
    )
    try_arguments(try_mode)
    try_mode.set_defaults(run=_lazy("bot.cli.try_", "run_try"))

    from bot.cli.teams import add_arguments as teams_package_arguments  # no Teams SDK: cheap

    invite = commands.add_parser("invite", help="a one-time invitation URL for a customer outside Slack and Teams")
    invite.add_argument("--name", required=True, help="who it is for: the customer's name or e-mail address")
    invite.add_argument("--email", help="where support can write to the customer (shown in the link's thread)")
    invite.add_argument("--json", action="store_true", help="print an object with id, url, name, email, expires_at")
    invite.set_defaults(run=_lazy("bot.cli.invite", "run_invite"))
    migration = commands.add_parser("migration", help="SOAP → REST migration progress")
    migration.add_argument("--json", action="store_true", help="print the totals and every link with debtors to move")
    migration.set_defaults(run=_lazy("bot.cli.migration", "run"))
    teams_package = commands.add_parser("teams-package", help="build the Teams app package (zip) for an admin to upload")
    teams_package_arguments(teams_package)
    teams_package.set_defaults(run=_lazy("bot.cli.teams", "run_teams_package"))

    completion = commands.add_parser("completion", help="print the shell code that completes tokendesk's commands")
    completion.add_argument("shell", choices=["bash", "zsh", "fish"], help="eval it in your shell's start-up file")
    completion.set_defaults(run=_lazy("bot.cli.completion", "run_completion"))
    return parser


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    # Heavy modules (the Slack app, the scheduler) load only for the commands that need them.
    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return run


def _settings() -> Settings:
    settings = load_settings()
    from bot.logs import configure_logging

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return settings


def _version() -> str:
    try:
        return version("tokendesk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on an up-to-date database."""
    from bot.app import database

    async def run() -> T:
        async with database(settings) as sessions, sessions() as session, session.begin():
            return await work(session)

    return asyncio.run(run())


def when(moment: Any) -> str:
    """A stored moment as operators read it: seconds, Z for UTC; "never" for none."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment else "never"
