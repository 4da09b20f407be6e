"""Where keys come from: TOKENDESK_KEYS, or for the SQLite default a key file made on first start."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from storage.cipher import KeyConfigError, TokenCipher, generate_key_line, parse_keys
from storage.db import sqlite_path

log = logging.getLogger(__name__)


def key_file_for(database_url: str) -> Path | None:
    path = sqlite_path(database_url)
    return None if path is None else path.with_name(path.name + ".keys")


def load_cipher(*, keys: str | None, database_url: str, create: bool = True) -> TokenCipher:
    """Build the cipher; with no keys and SQLite, read (or on first start create) the key file."""
    if keys:
        return TokenCipher(parse_keys(keys))
    path = key_file_for(database_url)
    if path is None:
        raise KeyConfigError(
            "TOKENDESK_KEYS: required with PostgreSQL (run `tokendesk keys generate` and set it)"
        )
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyConfigError(f"key file {path} is readable by others (mode {mode:o}); chmod 600 it")
        return TokenCipher(parse_keys(path.read_text()))
    if not create:
        raise KeyConfigError(f"TOKENDESK_KEYS is unset and there is no key file at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_key_line("k1") + "\n")
    log.warning(
        "created a new encryption key file at %s (mode 0600); every stored token is encrypted "
        "with it: back it up with the database, because losing it loses every token",
        path.resolve(),
    )
    return TokenCipher(parse_keys(path.read_text()))
