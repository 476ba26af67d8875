"""Fixtures of the domain tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.test import override_settings

from tests.domain.support import NOW


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `NOW`. Tests move it with `clock.move_to` or `clock.shift`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Hash the fixture users' passwords with MD5: Argon2 takes 0.2 s or more per user here, and
    no domain test checks a password."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield
