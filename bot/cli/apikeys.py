"""`tokendesk apikeys create|list|revoke`: keys for the integration's hand-off API (/api/v1)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import _settings, in_session, when
from storage.apikeys import ApiKeyError, create_key, list_keys, revoke_key
from storage.models import ApiKey

EXIT_NOT_FOUND = 1


def run_apikeys_create(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        created = in_session(settings, lambda session: create_key(session, name=args.name))
    except ApiKeyError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return 2
    # The note to stderr, the key alone to stdout: `KEY=$(tokendesk apikeys create --name x)` works.
    print(
        f"API key {created.record.id} ({created.record.name}) created. It is shown only this once: put it in "
        "the integration's secret store now. Revoke it with `tokendesk apikeys revoke "
        f"{created.record.id}`.",
        file=sys.stderr,
    )
    print(created.key)
    return 0


def _key_row(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id, "name": key.name, "created_at": when(key.created_at),
        "last_used_at": when(key.last_used_at) if key.last_used_at else None,
        "revoked_at": when(key.revoked_at) if key.revoked_at else None,
    }


def run_apikeys_list(args: argparse.Namespace) -> int:
    settings = _settings()
    keys = in_session(settings, list_keys)
    rows = [_key_row(key) for key in keys]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no API keys (create one with `tokendesk apikeys create --name NAME`)")
        return 0
    print(f"{'ID':<5} {'NAME':<32} {'CREATED':<21} {'LAST USED':<21} STATUS")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(f"{row['id']:<5} {row['name'][:32]:<32} {row['created_at']:<21} {row['last_used_at'] or 'never':<21} {status}")
    return 0


def run_apikeys_revoke(args: argparse.Namespace) -> int:
    settings = _settings()

    async def revoke(session: AsyncSession) -> tuple[ApiKey, bool]:
        already = await session.get(ApiKey, args.key_id)
        was_revoked = already is not None and already.revoked_at is not None
        return await revoke_key(session, key_id=args.key_id), was_revoked

    try:
        key, was_revoked = in_session(settings, revoke)
    except ApiKeyError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if was_revoked:
        print(f"API key {key.id} ({key.name}) was already revoked at {when(key.revoked_at)}")
    else:
        print(f"API key {key.id} ({key.name}) revoked; requests with it now get 401")
    return 0
