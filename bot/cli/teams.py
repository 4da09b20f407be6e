"""`tokendesk teams-package`: builds the Teams app package (manifest.json and two icons, zipped) that
a Teams admin uploads; the bot's id comes from TEAMS_CLIENT_ID (or --app-id)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.teams.manifest import ManifestError, Publisher, build_manifest, package

EXIT_OK = 0
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app-id", help="the bot's Entra app id (default: TEAMS_CLIENT_ID)")
    parser.add_argument("--publisher", default="tokendesk", help="publisher name shown in Teams (max 32 characters)")
    parser.add_argument("--website-url", required=True, help="publisher website (https://…)")
    parser.add_argument("--privacy-url", help="privacy statement (https://…; default: the website)")
    parser.add_argument("--terms-url", help="terms of use (https://…; default: the website)")
    parser.add_argument("--version", dest="app_version", default="1.0.0", help="app version, semver (default 1.0.0)")
    parser.add_argument("--output", "-o", default="tokendesk-teams.zip", help="where to write the zip")


def run_teams_package(args: argparse.Namespace) -> int:
    app_id = args.app_id or os.environ.get("TEAMS_CLIENT_ID") or _settings_app_id()
    if not app_id:
        print("tokendesk: set TEAMS_CLIENT_ID (or pass --app-id): the bot's Entra app id", file=sys.stderr)
        return EXIT_USAGE
    publisher = Publisher(name=args.publisher, website_url=args.website_url,
                          privacy_url=args.privacy_url or args.website_url, terms_url=args.terms_url or args.website_url)
    manifest = build_manifest(app_id=app_id.strip(), publisher=publisher, version=args.app_version)
    try:
        data, against_schema = package(manifest)
    except ManifestError as exc:
        print("tokendesk: the Teams manifest does not validate:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output)
    output.write_bytes(data)
    checked = "Microsoft's manifest schema v1.24 and the documented bot fields" if against_schema else (
        "the documented bot fields (Microsoft's schema needs the jsonschema package)")
    print(f"wrote {output} (manifest.json, color.png, outline.png); checked against {checked}")
    print("upload it in Teams admin center → Teams apps → Manage apps → Upload, then add the app to the "
          "support team (so the bot can post in TOKENDESK_TEAMS_SUPPORT_CHANNEL).")
    return EXIT_OK


def _settings_app_id() -> str | None:
    # A .env file is read by Settings; a broken unrelated setting must not stop packaging.
    from bot.config import SettingsError, load_settings

    try:
        return load_settings().teams_client_id
    except SettingsError:
        return None
