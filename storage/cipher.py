"""The token cipher: AES-256-GCM under keys from TOKENDESK_KEYS, each ciphertext bound to its row."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class KeyConfigError(ValueError):
    """TOKENDESK_KEYS (or the key file) is malformed; the message says which entry and why."""


class DecryptionError(Exception):
    """A ciphertext could not be opened; the message names the row and the reason, never key material."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    ciphertext: bytes


def generate_key_line(key_id: str | None = None) -> str:
    """A new `KID:BASE64URL32BYTES` entry for TOKENDESK_KEYS."""
    kid = key_id or "k" + secrets.token_hex(3)
    if not _KID.match(kid):
        raise KeyConfigError(f"key id {kid!r}: use 1–32 letters, digits, '.', '_' or '-'")
    material = base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")
    return f"{kid}:{material}"


def parse_keys(text: str) -> dict[str, bytes]:
    """Parse `KID:KEY,KID:KEY`; order is kept, the first key encrypts. Errors never echo key material."""
    keys: dict[str, bytes] = {}
    entries = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not entries:
        raise KeyConfigError("TOKENDESK_KEYS is empty: expected KID:BASE64URL32BYTES[,KID:…]")
    for position, entry in enumerate(entries, start=1):
        kid, sep, material = entry.partition(":")
        if not sep or not material:
            raise KeyConfigError(f"TOKENDESK_KEYS entry {position}: expected KID:BASE64URL32BYTES")
        if not _KID.match(kid):
            raise KeyConfigError(
                f"TOKENDESK_KEYS entry {position}: key id must be 1–32 letters, digits, '.', '_' or '-'"
            )
        if kid in keys:
            raise KeyConfigError(f"TOKENDESK_KEYS: key id {kid} appears twice")
        try:
            raw = base64.b64decode(material + "=" * (-len(material) % 4), altchars=b"-_", validate=True)
        except (ValueError, TypeError, binascii.Error):
            raise KeyConfigError(f"TOKENDESK_KEYS key {kid}: not valid base64url") from None
        if len(raw) != KEY_BYTES:
            raise KeyConfigError(
                f"TOKENDESK_KEYS key {kid}: decodes to {len(raw)} bytes, AES-256 needs exactly {KEY_BYTES}"
            )
        keys[kid] = raw
    return keys


class TokenCipher:
    """Seals tokens under the first key; opens them under any configured key.

    The associated data names the row (`link:12`), so a ciphertext copied onto another row fails
    to open instead of silently handing one customer's token to another link.
    """

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise KeyConfigError("no encryption keys configured")
        self._keys = {kid: AESGCM(raw) for kid, raw in keys.items()}
        self.primary_key_id = next(iter(keys))

    @classmethod
    def from_text(cls, text: str) -> "TokenCipher":
        return cls(parse_keys(text))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, plaintext: str, *, row: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        blob = self._keys[self.primary_key_id].encrypt(nonce, plaintext.encode("utf-8"), _aad(row, self.primary_key_id))
        return Sealed(self.primary_key_id, nonce + blob)

    def open(self, sealed: Sealed, *, row: str, label: str | None = None) -> str:
        name = label or row
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise DecryptionError(
                f"{name} was encrypted with key {sealed.key_id}, which is not in TOKENDESK_KEYS"
            )
        if len(sealed.ciphertext) <= NONCE_BYTES + 16:
            raise DecryptionError(f"{name}: stored ciphertext is truncated")
        nonce, blob = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, blob, _aad(row, sealed.key_id)).decode("utf-8")
        except InvalidTag:
            raise DecryptionError(
                f"{name}: ciphertext failed authentication (tampered, or copied from another row)"
            ) from None

    def __repr__(self) -> str:
        return f"<TokenCipher keys={list(self._keys)} primary={self.primary_key_id}>"


def _aad(row: str, key_id: str) -> bytes:
    return f"tokendesk:v1:{row}:{key_id}".encode()


def link_row(link_id: int) -> str:
    return f"link:{link_id}"


def link_secret_row(link_id: int, purpose: str) -> str:
    """The associated data of a REST link's secrets: each bound to its row and to what it is
    (`refresh`, `access`), so a refresh token can never be opened as an access token or elsewhere."""
    return f"link:{link_id}:{purpose}"


def revocation_row(revocation_id: int) -> str:
    return f"revocation:{revocation_id}"


def pending_row(pending_id: int) -> str:
    return f"pending:{pending_id}"


def intake_row(intake_id: int) -> str:
    return f"intake:{intake_id}"
