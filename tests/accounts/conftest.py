"""Fixtures of the account tests: a cache of their own, a frozen clock, e-mail links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from heliograph.accounts.models import User
from tests.accounts.support import BASE_URL, PASSWORD, isolate_cache

# A time in the middle of a 30-second TOTP step, so a test never crosses a step by accident.
NOW = dt.datetime(2026, 6, 15, 12, 0, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> None:
    isolate_cache(settings)


@pytest.fixture(autouse=True)
def mail_links(settings: Any) -> None:
    settings.HELIOGRAPH_BASE_URL = BASE_URL
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `NOW`; tests move it with `clock.shift(...)`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    """An active user with a verified address and the password `PASSWORD`."""
    user = make_user("member@example.com", PASSWORD)
    user.email_verified_at = NOW
    user.save(update_fields=["email_verified_at"])
    return user
