"""Fixtures of the feed, calendar and badge tests: those of the public page tests, reused."""

from __future__ import annotations

from tests.public.conftest import (  # noqa: F401 - fixtures are found by their import here
    clock,
    get,
    get_dom,
    open_incident,
    page,
    past_incident,
    schedule,
)
