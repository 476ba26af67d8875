"""Times typed on the command line, read in the page's time zone, and times shown in it.

A time without an offset is a wall-clock time of the page's zone. On the night clocks move
forward some wall-clock times do not exist (a gap), and on the night they move back some
happen twice (a fold): both are rejected with the fix, rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from heliograph.client.errors import InvalidInput

_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The longest a gap lasts in any zone of the tz database is under a day.
_GAP_SEARCH_LIMIT = 24 * 60


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"This computer has no time zone data for {name!r}, the page's zone: install the "
            "tzdata package (apt-get install tzdata, or pip install tzdata), or give times "
            "with an offset such as 2030-01-15T02:00+01:00.") from None


def parse_time(raw: str, zone_name: str, *, option: str,
               now: dt.datetime | None = None) -> dt.datetime:
    """Return the aware time that `raw` names, for the option `option`.

    Accepted: ISO 8601 with an offset (`2030-01-15T02:00+01:00`, `...Z`), a wall-clock time
    of the page's zone (`2030-01-15 02:00`), or a time of day alone (`14:02`), which means
    today in the page's zone.
    """
    text = raw.strip()
    zone_hint = (f"give YYYY-MM-DD HH:MM in the page's time zone ({zone_name}), or a time "
                 "with an offset such as 2030-01-15T02:00+01:00")
    if _TIME_OF_DAY.fullmatch(text):
        zone = zone_named(zone_name)
        today = (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()
        text = f"{today.isoformat()} {text}"
    if _DATE.fullmatch(text):
        raise InvalidInput(f"{option}: {raw!r} has no time of day: {zone_hint}.")
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise InvalidInput(f"{option}: {raw!r} is not a time: {zone_hint}.") from None
    if moment.tzinfo is not None:
        return moment
    return localize(moment, zone_named(zone_name), zone_name, option=option)


# How far ahead of this machine's clock an event time may be before the client rejects it. The
# server decides by its own clock; this margin keeps a slow local clock from rejecting a time
# the server would accept.
FUTURE_MARGIN = dt.timedelta(minutes=1)


def parse_event_time(raw: str, zone_name: str, *, option: str = "--at",
                     now: dt.datetime | None = None) -> dt.datetime:
    """Return the time of an update as `parse_time` does; reject one in the future.

    The check runs before any request, so a command that also changes other fields changes
    nothing when the time is wrong.
    """
    moment = parse_time(raw, zone_name, option=option, now=now)
    current = now or dt.datetime.now(dt.UTC)
    if moment > current + FUTURE_MARGIN:
        zone, label = display_zone(zone_name)
        local_text = format_time(moment.astimezone(dt.UTC).isoformat(), zone)
        raise InvalidInput(f"{option}: {local_text} ({label}) is in the future: give a time up "
                           "to now.")
    return moment


def localize(wall: dt.datetime, zone: zoneinfo.ZoneInfo, zone_name: str, *,
             option: str) -> dt.datetime:
    """Attach `zone` to a wall-clock time; reject a time in a DST gap or fold."""
    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier
    shown = wall.strftime("%Y-%m-%d %H:%M")
    if _round_trips(earlier):
        # Both readings exist, so the wall-clock time happens twice.
        first, second = _with_offset(earlier), _with_offset(later)
        raise InvalidInput(
            f"{option}: {shown} happens twice in {zone_name}, because the clocks go back that "
            f"night. Give {first} for the first time or {second} for the second.")
    start, end = _gap_bounds(wall, zone)
    raise InvalidInput(
        f"{option}: {shown} does not exist in {zone_name}, because the clocks jump from "
        f"{start:%H:%M} to {end:%H:%M} that night. Give a time outside the gap, or one with "
        "an offset.")


def _round_trips(moment: dt.datetime) -> bool:
    back = moment.astimezone(dt.UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def _with_offset(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _gap_bounds(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Return the first missing wall-clock minute of the gap around `wall`, and the first
    minute after it."""
    minute = dt.timedelta(minutes=1)
    start = wall.replace(second=0, microsecond=0)
    for _ in range(_GAP_SEARCH_LIMIT):
        if _round_trips((start - minute).replace(tzinfo=zone)):
            break
        start -= minute
    end = wall.replace(second=0, microsecond=0) + minute
    for _ in range(_GAP_SEARCH_LIMIT):
        if _round_trips(end.replace(tzinfo=zone)):
            break
        end += minute
    return start, end


def parse_api_time(value: str) -> dt.datetime:
    """Read a time as the API writes it: ISO 8601 in UTC with a Z."""
    return dt.datetime.fromisoformat(value)


def display_zone(name: str) -> tuple[dt.tzinfo, str]:
    """Return the zone to show times in and its label: UTC when the zone data is missing."""
    try:
        return zoneinfo.ZoneInfo(name), name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC, f"UTC (no zone data for {name} here)"


def format_time(value: str | None, zone: dt.tzinfo, *, with_zone: bool = True) -> str:
    """Return an API time as `YYYY-MM-DD HH:MM` in `zone`, followed by the zone's abbreviation."""
    if not value:
        return ""
    local = parse_api_time(value).astimezone(zone)
    shown = local.strftime("%Y-%m-%d %H:%M")
    return f"{shown} {local.tzname()}" if with_zone else shown


def to_api(moment: dt.datetime) -> str:
    """Return an aware time as the API accepts it, ISO 8601 with its offset."""
    return moment.isoformat()
