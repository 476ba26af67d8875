"""Security settings of the accounts, read from the settings module itself.

The test suite replaces the password hashers with MD5 for speed, so these tests read
`heliograph.settings` directly and put its hashers back where they check hashing.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.contrib.auth.hashers import check_password, identify_hasher, make_password

SETTINGS = importlib.import_module("heliograph.settings")


def test_argon2_is_first_hasher() -> None:
    assert SETTINGS.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_new_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = SETTINGS.PASSWORD_HASHERS

    encoded = make_password("correct horse 42")

    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("correct horse 42", encoded)


def test_sessions_stored_in_database() -> None:
    assert SETTINGS.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_password_validators_configured() -> None:
    validators = SETTINGS.AUTH_PASSWORD_VALIDATORS
    names = {validator["NAME"].rsplit(".", 1)[-1] for validator in validators}

    assert names == {"UserAttributeSimilarityValidator", "MinimumLengthValidator",
                     "CommonPasswordValidator", "NumericPasswordValidator"}


def test_secret_key_fallbacks_from_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "first-old-key-0123456789abcdef012345, second")

    reloaded = importlib.reload(SETTINGS)

    assert reloaded.SECRET_KEY_FALLBACKS == ["first-old-key-0123456789abcdef012345", "second"]
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    assert importlib.reload(SETTINGS).SECRET_KEY_FALLBACKS == []
