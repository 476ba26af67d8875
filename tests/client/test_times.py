"""Reading times typed on the command line in the page's zone, across DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.client.errors import InvalidInput
from heliograph.client.times import format_time, parse_time

ZONES = ["Europe/Zurich", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/Sao_Paulo", "UTC"]


@given(
    zone_name=st.sampled_from(ZONES),
    wall=st.datetimes(min_value=dt.datetime(1980, 1, 1), max_value=dt.datetime(2040, 12, 31)),
)
def test_wall_time_round_trips_or_is_rejected(zone_name, wall):
    wall = wall.replace(second=0, microsecond=0)
    text = wall.strftime("%Y-%m-%d %H:%M")
    zone = zoneinfo.ZoneInfo(zone_name)

    try:
        moment = parse_time(text, zone_name, option="--start")
    except InvalidInput as error:
        message = error.format_message()
        assert "does not exist" in message or "happens twice" in message
        return

    assert moment.astimezone(zone).replace(tzinfo=None) == wall
    # The time is unambiguous: both readings of the wall-clock time agree.
    assert wall.replace(tzinfo=zone, fold=0).utcoffset() == \
        wall.replace(tzinfo=zone, fold=1).utcoffset()


@given(moment=st.datetimes(min_value=dt.datetime(1980, 1, 1),
                           max_value=dt.datetime(2040, 12, 31), timezones=st.just(dt.UTC)))
def test_offset_time_is_exact(moment):
    text = moment.replace(microsecond=0).isoformat()

    assert parse_time(text, "Europe/Zurich", option="--at") == moment.replace(microsecond=0)


def test_gap_bounds_named():
    with pytest.raises(InvalidInput) as raised:
        parse_time("2026-03-08 02:30", "America/New_York", option="--start")

    assert "clocks jump from 02:00 to 03:00" in raised.value.format_message()


def test_half_hour_gap_named():
    # Lord Howe Island moves its clocks by 30 minutes.
    with pytest.raises(InvalidInput) as raised:
        parse_time("2026-10-04 02:10", "Australia/Lord_Howe", option="--start")

    assert "clocks jump from 02:00 to 02:30" in raised.value.format_message()


def test_fold_offers_both_offsets():
    with pytest.raises(InvalidInput) as raised:
        parse_time("2026-11-01 01:30", "America/New_York", option="--end")

    message = raised.value.format_message()
    assert "2026-11-01T01:30-04:00 for the first time" in message
    assert "2026-11-01T01:30-05:00 for the second" in message


def test_time_of_day_is_today_in_zone():
    # At 23:30 UTC on 2026-11-03 it is already 2026-11-04 in Zurich.
    now = dt.datetime(2026, 11, 3, 23, 30, tzinfo=dt.UTC)

    moment = parse_time("00:15", "Europe/Zurich", option="--at", now=now)

    assert moment == dt.datetime(2026, 11, 3, 23, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2030-01-15", "soon", "25:00", "2030-13-01 02:00", ""])
def test_not_a_time(text):
    with pytest.raises(InvalidInput) as raised:
        parse_time(text, "Europe/Zurich", option="--start")

    assert raised.value.format_message().startswith("--start: ")
    assert "Europe/Zurich" in raised.value.format_message()


def test_unknown_zone_needs_offset():
    with pytest.raises(InvalidInput) as raised:
        parse_time("2030-01-15 02:00", "Mars/Olympus_Mons", option="--start")

    assert "no time zone data for 'Mars/Olympus_Mons'" in raised.value.format_message()
    assert parse_time("2030-01-15T02:00Z", "Mars/Olympus_Mons", option="--start") == \
        dt.datetime(2030, 1, 15, 2, 0, tzinfo=dt.UTC)


def test_format_names_zone_across_dst():
    zone = zoneinfo.ZoneInfo("Europe/Zurich")

    assert format_time("2026-03-29T00:30:00Z", zone) == "2026-03-29 01:30 CET"
    assert format_time("2026-03-29T01:30:00Z", zone) == "2026-03-29 03:30 CEST"
    assert format_time(None, zone) == ""
