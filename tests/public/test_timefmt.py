"""Times in a page's zone with the zone named, and durations."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from heliograph.public.timefmt import (
    duration_text,
    format_datetime,
    format_time,
    time_element,
    window_html,
    zone_abbreviation,
)

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.mark.parametrize(("zone", "expected"), [
    ("America/Chicago", "CST"),
    ("Europe/Zurich", "CET"),
    ("UTC", "UTC"),
    ("Asia/Dubai", "UTC+04"),
    ("Asia/Kathmandu", "UTC+05:45"),
    ("America/St_Johns", "NST"),
    ("America/Sao_Paulo", "UTC-03"),
])
def test_zone_abbreviation(zone: str, expected: str) -> None:
    moment = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))

    assert zone_abbreviation(moment) == expected


def test_format_time_summer_and_winter() -> None:
    summer = dt.datetime(2026, 7, 1, 19, 5, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 1, 1, 20, 5, tzinfo=dt.UTC)

    assert format_time(summer, CHICAGO) == "14:05 CDT"
    assert format_time(winter, CHICAGO) == "14:05 CST"


def test_format_datetime_repeated_hour() -> None:
    # 01:30 happens twice in Chicago on 2026-11-01; the abbreviation tells them apart.
    first = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    second = dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC)

    assert format_datetime(first, CHICAGO) == "Nov. 1, 2026, 01:30 CDT"
    assert format_datetime(second, CHICAGO) == "Nov. 1, 2026, 01:30 CST"


def test_format_time_rejects_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_time(dt.datetime(2026, 1, 1, 12, 0), CHICAGO)


def test_time_element_carries_utc_instant() -> None:
    moment = dt.datetime(2026, 7, 1, 19, 5, 30, tzinfo=dt.UTC)

    assert time_element(moment, CHICAGO) == (
        '<time datetime="2026-07-01T19:05:30Z" data-f="dt">July 1, 2026, 14:05 CDT</time>'
    )


def test_window_same_day_shows_end_time_only() -> None:
    start = dt.datetime(2026, 7, 1, 19, 0, tzinfo=dt.UTC)

    html = window_html(start, start + dt.timedelta(hours=2), CHICAGO)

    assert html.endswith('data-f="t">16:00 CDT</time>')


@pytest.mark.parametrize(("span", "expected"), [
    (dt.timedelta(0), "0 min"),
    (dt.timedelta(seconds=5), "1 min"),
    (dt.timedelta(minutes=59, seconds=59), "59 min"),
    (dt.timedelta(hours=2), "2 h"),
    (dt.timedelta(hours=2, minutes=5), "2 h 5 min"),
    (dt.timedelta(days=3, hours=2, minutes=59), "3 d 2 h"),
])
def test_duration_text(span: dt.timedelta, expected: str) -> None:
    assert duration_text(span) == expected


def test_duration_text_without_days() -> None:
    assert duration_text(dt.timedelta(hours=24), with_days=False) == "24 h"
