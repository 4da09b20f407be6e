"""The `tokendesk` command line: serve, validate, recheck, keys, migrate, links, apikeys, webhooks."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Callable, Sequence

from bot.config import Settings, SettingsError, load_settings
from storage.cipher import DecryptionError, KeyConfigError
from storage.db import DatabaseUnusable

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the bot (HTTP on /slack/events, or Socket Mode)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    serve.add_argument("--socket", action="store_true", help="use Slack Socket Mode (needs SLACK_APP_TOKEN)")
    serve.set_defaults(run=_lazy("bot.serve", "run_serve"))

    validate = commands.add_parser(
        "validate", help="check one set of Nmbrs credentials; the token is read from standard input"
    )
    validate.add_argument("--username", required=True, help="the Nmbrs login e-mail")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(run=_validate)

    recheck = commands.add_parser("recheck", help="run the nightly check once, now, and print a summary")
    recheck.add_argument("--json", action="store_true", help="print the summary as JSON")
    recheck.set_defaults(run=_lazy("bot.recheck_cmd", "run_recheck"))

    keys = commands.add_parser("keys", help="encryption keys for stored tokens")
    key_commands = keys.add_subparsers(title="key commands", metavar="KEYCOMMAND")
    generate = key_commands.add_parser("generate", help="print a new key line for TOKENDESK_KEYS")
    generate.add_argument("--id", dest="key_id", help="key id (default: random like k3f9a1c)")
    generate.set_defaults(run=_keys_generate)
    rotate = key_commands.add_parser("rotate", help="re-encrypt every token under the first key")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per committed batch (default 500)")
    rotate.set_defaults(run=_keys_rotate)
    keys.set_defaults(run=lambda _args: (keys.print_help(), EXIT_USAGE)[1])

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(run=_migrate)

    copy = commands.add_parser(
        "copy-db", help="copy this database (DATABASE_URL) into another, empty one, e.g. SQLite to PostgreSQL"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="target database URL (postgresql://…)")
    copy.set_defaults(run=_copy_db)

    links = commands.add_parser("links", help="list links for an operator")
    links.add_argument("--state", choices=["pending", "active", "rejected", "broken", "unverified", "revoked"])
    links.add_argument("--json", action="store_true", help="print a JSON list of objects")
    links.set_defaults(run=_links)

    # The hand-off to the integration; the commands live in bot/handoff_cmd.py.
    apikeys = commands.add_parser("apikeys", help="API keys for the integration's hand-off API (/api/v1)")
    apikey_commands = apikeys.add_subparsers(title="apikey commands", metavar="APIKEYCOMMAND")
    apikey_create = apikey_commands.add_parser("create", help="create a key and print it, once (stored only hashed)")
    apikey_create.add_argument("--name", required=True, help="what the key is for, e.g. 'payroll sync production'")
    apikey_create.set_defaults(run=_lazy("bot.handoff_cmd", "run_apikeys_create"))
    apikey_list = apikey_commands.add_parser("list", help="list keys: name, created, last used, revoked")
    apikey_list.add_argument("--json", action="store_true", help="print a JSON list of objects")
    apikey_list.set_defaults(run=_lazy("bot.handoff_cmd", "run_apikeys_list"))
    apikey_revoke = apikey_commands.add_parser("revoke", help="revoke a key; requests with it get 401 from now on")
    apikey_revoke.add_argument("key_id", type=int, metavar="ID", help="the key's id, from `tokendesk apikeys list`")
    apikey_revoke.set_defaults(run=_lazy("bot.handoff_cmd", "run_apikeys_revoke"))
    apikeys.set_defaults(run=lambda _args: (apikeys.print_help(), EXIT_USAGE)[1])

    webhooks = commands.add_parser("webhooks", help="link events for TOKENDESK_WEBHOOK_URL: pending and failed, retry")
    webhooks.add_argument("--failed", action="store_true", help="show only events given up on")
    retry = webhooks.add_mutually_exclusive_group()
    retry.add_argument("--retry", metavar="ID", help="send a failed (or disabled) event again: its ID or evt_… id")
    retry.add_argument("--retry-all", action="store_true", help="send every failed event again")
    webhooks.add_argument("--json", action="store_true", help="print counts and events as JSON")
    webhooks.set_defaults(run=_lazy("bot.handoff_cmd", "run_webhooks"))

    from bot.teams_cmd import add_arguments as teams_package_arguments  # stdlib only: cheap

    teams_package = commands.add_parser("teams-package", help="build the Teams app package (zip) for an admin to upload")
    teams_package_arguments(teams_package)
    teams_package.set_defaults(run=_lazy("bot.teams_cmd", "run_teams_package"))
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


def _validate(args: argparse.Namespace) -> int:
    from bot.nmbrs.validate_cmd import read_token, run_validate

    settings = _settings()
    token = read_token(sys.stdin)
    return asyncio.run(
        run_validate(base_url=settings.nmbrs_url, username=args.username, token=token, as_json=args.json, out=sys.stdout)
    )


def _keys_generate(args: argparse.Namespace) -> int:
    from storage.cipher import generate_key_line

    print(generate_key_line(args.key_id))
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from storage.db import create_engine, session_factory
    from storage.keyfile import load_cipher
    from storage.migrate import upgrade
    from storage.rotation import rotate_keys

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
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            report = await rotate_keys(session_factory(engine), cipher, batch_size=args.batch_size)
        finally:
            await engine.dispose()
        print(
            f"re-encrypted {report.changed} rows under key {cipher.primary_key_id} "
            f"({report.links} links, {report.pending} pending conversations)"
        )
        return 0

    return asyncio.run(rotate())


def _migrate(args: argparse.Namespace) -> int:
    from storage.db import create_engine
    from storage.migrate import upgrade

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


def _copy_db(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from storage.copy import CopyError, copy_database
    from storage.db import create_engine

    settings = _settings()
    target_url = load_settings(database_url=args.to).database_url  # same validation as DATABASE_URL

    async def copy() -> int:
        source, target = create_engine(settings.database_url), create_engine(target_url)
        try:
            report = await copy_database(source, target)
        except CopyError as exc:
            print(f"tokendesk: {exc}", file=sys.stderr)
            return EXIT_USAGE
        finally:
            await source.dispose()
            await target.dispose()
        print(f"copied {report.total} rows: " + ", ".join(f"{n} {t}" for t, n in report.rows.items() if n))
        return 0

    return asyncio.run(copy())


def _links(args: argparse.Namespace) -> int:
    from storage.db import create_engine, session_factory
    from storage.links import find_links
    from storage.migrate import upgrade

    settings = _settings()

    async def listing() -> int:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with session_factory(engine)() as session:
                links = await find_links(session, state=args.state, limit=1_000_000)
        finally:
            await engine.dispose()
        rows = [
            {
                "id": link.short_id,
                "state": link.state,
                "username": link.username,
                "environment": link.environment,
                "label": link.label,
                "platform": link.platform,
                "last_checked_at": link.last_checked_at.isoformat() if link.last_checked_at else None,
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
            print(f"{'ID':<7} {'STATE':<11} {'ENVIRONMENT':<18} {'USERNAME':<32} {'LAST CHECK':<20} LABEL")
            for row in rows:
                checked = (row["last_checked_at"] or "never")[:19]
                print(
                    f"{row['id']:<7} {row['state']:<11} {row['environment'] or '-':<18} "
                    f"{row['username']:<32} {checked:<20} {row['label'] or ''}"
                )
        return 0

    return asyncio.run(listing())


if __name__ == "__main__":
    raise SystemExit(main())
