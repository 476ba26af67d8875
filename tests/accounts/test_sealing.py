"""Sealed secrets: readable with SECRET_KEY or a fallback key, and with no other key."""

from __future__ import annotations

from typing import Any

import pytest

from heliograph.accounts.sealing import UnsealError, seal, unseal

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_seal_round_trip() -> None:
    assert unseal(seal(SECRET)) == SECRET


def test_seal_hides_plaintext() -> None:
    assert SECRET not in seal(SECRET)


def test_seal_random_per_call() -> None:
    assert seal(SECRET) != seal(SECRET)


def test_seal_handles_long_values() -> None:
    value = "x" * 100

    assert unseal(seal(value)) == value


def test_unseal_with_fallback_key(settings: Any) -> None:
    sealed = seal(SECRET)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-that-is-long-enough-for-django-0123456789"

    assert unseal(sealed) == SECRET


def test_unseal_other_key_rejected(settings: Any) -> None:
    sealed = seal(SECRET)
    settings.SECRET_KEY = "a-new-key-that-is-long-enough-for-django-0123456789"
    settings.SECRET_KEY_FALLBACKS = []

    with pytest.raises(UnsealError, match="no key"):
        unseal(sealed)


def test_unseal_tampered_rejected() -> None:
    sealed = seal(SECRET)
    version, _, body = sealed.partition("$")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]

    with pytest.raises(UnsealError):
        unseal(f"{version}${flipped}")


@pytest.mark.parametrize("value", ["", "v2$abcd", "v1$***", "v1$YWJj"])
def test_unseal_malformed_rejected(value: str) -> None:
    with pytest.raises(UnsealError):
        unseal(value)
