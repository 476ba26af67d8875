"""Wall times typed in a page's zone: gaps and repeated hours of DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from heliograph.console.local_time import (
    AmbiguousTime,
    NonexistentTime,
    describe_zone,
    gap_around,
    parse_wall,
    to_instant,
    to_wall,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")
UTC = dt.UTC


def test_to_instant_ordinary_time():
    assert to_instant(dt.datetime(2026, 7, 1, 12, 0), BERLIN) == dt.datetime(
        2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("wall", [dt.datetime(2026, 3, 29, 2, 0), dt.datetime(2026, 3, 29, 2, 30),
                                  dt.datetime(2026, 3, 29, 2, 59)])
def test_to_instant_rejects_gap(wall):
    with pytest.raises(NonexistentTime, match="jump from 02:00 to 03:00"):
        to_instant(wall, BERLIN)


def test_to_instant_accepts_gap_edges():
    assert to_instant(dt.datetime(2026, 3, 29, 1, 59), BERLIN) == dt.datetime(
        2026, 3, 29, 0, 59, tzinfo=UTC)
    assert to_instant(dt.datetime(2026, 3, 29, 3, 0), BERLIN) == dt.datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC)


def test_to_instant_asks_in_repeated_hour():
    with pytest.raises(AmbiguousTime) as raised:
        to_instant(dt.datetime(2026, 10, 25, 2, 30), BERLIN)

    assert [value for value, _ in raised.value.choices] == ["0", "1"]
    assert "CEST" in raised.value.choices[0][1]
    assert "CET" in raised.value.choices[1][1]


def test_to_instant_with_fold_picks_reading():
    wall = dt.datetime(2026, 10, 25, 2, 30)

    assert to_instant(wall, BERLIN, 0) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert to_instant(wall, BERLIN, 1) == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_half_hour_gap_of_lord_howe():
    """Lord Howe Island moves its clocks by 30 minutes, from 02:00 to 02:30."""
    assert gap_around(dt.datetime(2026, 10, 4, 2, 15), LORD_HOWE) == (
        dt.datetime(2026, 10, 4, 2, 0), dt.datetime(2026, 10, 4, 2, 30))


def test_to_wall_keeps_fold():
    assert to_wall(dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), BERLIN) == (
        dt.datetime(2026, 10, 25, 2, 30), 1)


@pytest.mark.parametrize("text", ["2026-03-29T14:30", "2026-03-29 14:30", "2026-03-29T14:30:00"])
def test_parse_wall_formats(text):
    assert parse_wall(text) == dt.datetime(2026, 3, 29, 14, 30)


def test_parse_wall_rejects_text():
    with pytest.raises(ValueError, match="tomorrow"):
        parse_wall("tomorrow")


def test_describe_zone():
    winter = dt.datetime(2026, 1, 10, tzinfo=UTC)

    assert describe_zone(BERLIN, winter) == "Europe/Berlin (CET, UTC+01:00 now)"
    assert describe_zone(zoneinfo.ZoneInfo("Asia/Kathmandu"), winter) == (
        "Asia/Kathmandu (UTC+05:45 now)")
    assert describe_zone(zoneinfo.ZoneInfo("UTC"), winter) == "UTC"
