"""When a stored public response expires with time alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.edge.marking import MAX_LIFETIME_SECONDS, next_change, next_midnight

UTC = dt.UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Zurich on CET (UTC+1) the day before clocks go forward.
        (dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC), dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),
        # The 23-hour day: it ends at midnight CEST (UTC+2).
        (dt.datetime(2026, 3, 29, 10, 0, tzinfo=UTC), dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
        # The 25-hour day in October: it ends at midnight CET.
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
         dt.datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
        # One minute before local midnight.
        (dt.datetime(2026, 7, 1, 21, 59, tzinfo=UTC), dt.datetime(2026, 7, 1, 22, 0, tzinfo=UTC)),
    ],
)
def test_next_midnight_in_page_zone(
    make_page: Callable[..., Page], now: dt.datetime, expected: dt.datetime
) -> None:
    page = make_page(time_zone="Europe/Zurich")

    assert next_midnight(page, now) == expected


def test_next_change_caps_lifetime(make_page: Callable[..., Page]) -> None:
    page = make_page(time_zone="UTC")
    now = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

    assert next_change(page, now) == now + dt.timedelta(seconds=MAX_LIFETIME_SECONDS)


def test_next_change_at_maintenance_start(make_page: Callable[..., Page], actor: Actor,
                                          time_machine: object) -> None:
    page = make_page(time_zone="UTC")
    now = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    time_machine.move_to(now, tick=False)  # type: ignore[attr-defined]
    starts = now + dt.timedelta(seconds=20)
    maintenances.schedule_maintenance(
        page, title="Database upgrade", description="", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1), actor=actor,
    )

    assert next_change(page, now) == starts
    assert next_change(page, starts + dt.timedelta(minutes=59, seconds=30)) == (
        starts + dt.timedelta(hours=1)
    )
