"""Encrypt short secrets (TOTP seeds) for storage, with keys derived from SECRET_KEY.

The standard library has no block cipher, so this uses HMAC-SHA256 as the pseudorandom
function of a counter-mode stream cipher, with a random 16-byte nonce per value, then
encrypt-then-MAC with a second HMAC key. Both keys come from SECRET_KEY through
`salted_hmac`, so a copy of the database alone reveals nothing about the secrets.

Values sealed under a key listed in SECRET_KEY_FALLBACKS still open, so SECRET_KEY can be
rotated the way Django documents. Once the old key is removed from the fallbacks, secrets
sealed under it no longer open, and their owners must log in with a recovery code.

NOTE: `cryptography`'s AES-GCM would be the usual choice, but it is not a dependency of the
project. This construction relies only on HMAC-SHA256 being a pseudorandom function.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Iterator

from django.conf import settings
from django.utils.crypto import salted_hmac

VERSION = "v1"
NONCE_BYTES = 16
TAG_BYTES = 32
BLOCK_BYTES = 32
ENCRYPTION_SALT = "heliograph.accounts.sealing.encryption"
AUTHENTICATION_SALT = "heliograph.accounts.sealing.authentication"


class UnsealError(ValueError):
    """A sealed value is malformed, or no configured key opens it."""


def seal(plaintext: str) -> str:
    """Encrypt and authenticate `plaintext` under SECRET_KEY; return printable text."""
    data = plaintext.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = _xor(data, _keystream(settings.SECRET_KEY, nonce, len(data)))
    tag = _tag(settings.SECRET_KEY, nonce, ciphertext)
    return f"{VERSION}${base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()}"


def unseal(sealed: str) -> str:
    """Return the plaintext of a value from `seal`, trying SECRET_KEY and then its fallbacks."""
    version, _, encoded = sealed.partition("$")
    if version != VERSION:
        raise UnsealError(f"unknown sealed-value version {version!r}")
    try:
        raw = base64.urlsafe_b64decode(encoded)
    except ValueError:
        raise UnsealError("sealed value is not valid base64") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise UnsealError("sealed value is too short")

    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    for key in _keys():
        if hmac.compare_digest(tag, _tag(key, nonce, ciphertext)):
            return _xor(ciphertext, _keystream(key, nonce, len(ciphertext))).decode()
    raise UnsealError("no key in SECRET_KEY or SECRET_KEY_FALLBACKS opens this value")


def sealed_with_current_key(sealed: str) -> bool:
    """Return whether SECRET_KEY itself, rather than a fallback, opens a value from `seal`."""
    try:
        raw = base64.urlsafe_b64decode(sealed.partition("$")[2])
    except ValueError:
        return False
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        return False
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    return hmac.compare_digest(tag, _tag(settings.SECRET_KEY, nonce, ciphertext))


def _keys() -> Iterator[str]:
    yield settings.SECRET_KEY
    yield from getattr(settings, "SECRET_KEY_FALLBACKS", [])


def _keystream(key: str, nonce: bytes, length: int) -> bytes:
    blocks = (length + BLOCK_BYTES - 1) // BLOCK_BYTES
    stream = b"".join(
        salted_hmac(ENCRYPTION_SALT, nonce + counter.to_bytes(4, "big"), secret=key,
                    algorithm="sha256").digest()
        for counter in range(blocks)
    )
    return stream[:length]


def _tag(key: str, nonce: bytes, ciphertext: bytes) -> bytes:
    return salted_hmac(AUTHENTICATION_SALT, nonce + ciphertext, secret=key,
                       algorithm="sha256").digest()


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(left ^ right for left, right in zip(data, stream, strict=True))
