"""The token cipher: sealing, binding to a row, key parsing and every way opening can fail."""

from __future__ import annotations

import base64

import pytest

from storage.cipher import (
    DecryptionError,
    KeyConfigError,
    Sealed,
    TokenCipher,
    generate_key_line,
    parse_keys,
)

TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_round_trip_under_primary_key(cipher: TokenCipher) -> None:
    sealed = cipher.seal(TOKEN, row="link:1")
    assert sealed.key_id == "k1"
    assert TOKEN.encode() not in sealed.ciphertext
    assert cipher.open(sealed, row="link:1") == TOKEN


def test_each_seal_uses_a_fresh_nonce(cipher: TokenCipher) -> None:
    first, second = cipher.seal(TOKEN, row="link:1"), cipher.seal(TOKEN, row="link:1")
    assert first.ciphertext[:12] != second.ciphertext[:12]
    assert first.ciphertext != second.ciphertext


def test_ciphertext_copied_to_another_row_fails(cipher: TokenCipher) -> None:
    sealed = cipher.seal(TOKEN, row="link:1")
    with pytest.raises(DecryptionError, match="failed authentication"):
        cipher.open(sealed, row="link:2")


def test_tampered_ciphertext_fails_without_revealing_anything(cipher: TokenCipher) -> None:
    sealed = cipher.seal(TOKEN, row="link:1")
    flipped = bytearray(sealed.ciphertext)
    flipped[20] ^= 0x01
    with pytest.raises(DecryptionError) as excinfo:
        cipher.open(Sealed(sealed.key_id, bytes(flipped)), row="link:1", label="link L1")
    assert "link L1" in str(excinfo.value)
    assert TOKEN not in str(excinfo.value)


def test_truncated_ciphertext_fails(cipher: TokenCipher) -> None:
    with pytest.raises(DecryptionError, match="truncated"):
        cipher.open(Sealed("k1", b"short"), row="link:1")


def test_unknown_key_id_names_link_and_key(cipher: TokenCipher) -> None:
    other = TokenCipher(parse_keys(generate_key_line("k9")))
    sealed = other.seal(TOKEN, row="link:12")
    with pytest.raises(DecryptionError) as excinfo:
        cipher.open(sealed, row="link:12", label="link L12")
    assert str(excinfo.value) == "link L12 was encrypted with key k9, which is not in TOKENDESK_KEYS"


def test_first_key_encrypts_all_keys_decrypt() -> None:
    old, new = generate_key_line("old"), generate_key_line("new")
    sealed_old = TokenCipher(parse_keys(old)).seal(TOKEN, row="link:3")
    both = TokenCipher(parse_keys(f"{new}, {old}"))
    assert both.primary_key_id == "new"
    assert both.open(sealed_old, row="link:3") == TOKEN
    assert both.seal(TOKEN, row="link:3").key_id == "new"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("k1", "expected KID:BASE64URL32BYTES"),
        ("k1:", "expected KID:BASE64URL32BYTES"),
        ("bad id!:" + "A" * 43, "key id must be"),
        ("k1:" + base64.urlsafe_b64encode(b"x" * 16).decode(), "decodes to 16 bytes"),
        ("k1:" + base64.urlsafe_b64encode(b"x" * 33).decode(), "decodes to 33 bytes"),
        ("k1:%%%%", "not valid base64url"),
    ],
)
def test_malformed_keys_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message) as excinfo:
        parse_keys(text)
    secret_part = text.partition(":")[2]
    if len(secret_part) > 8:
        assert secret_part not in str(excinfo.value)


def test_duplicate_key_ids_are_refused() -> None:
    line = generate_key_line("k1")
    with pytest.raises(KeyConfigError, match="appears twice"):
        parse_keys(f"{line},{line}")


def test_generated_line_is_valid_and_random() -> None:
    first, second = generate_key_line(), generate_key_line()
    assert first != second
    assert len(next(iter(parse_keys(first).values()))) == 32


def test_repr_never_shows_key_material(key_line: str) -> None:
    cipher = TokenCipher(parse_keys(key_line))
    assert key_line.split(":")[1] not in repr(cipher)
