"""Format instants in a page's time zone, always naming the zone ("14:05 CET").

Dates use the active language's DATE_FORMAT, so a French page reads "12 mars 2026". Times
use the 24-hour clock in every language. Each time is wrapped in `<time datetime="...Z">`
so that the page's script can show it in the visitor's zone instead. The server's rendering is
complete without the script.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# The styles a `<time>` element carries in `data-f`, for the script that re-formats it.
DATE_TIME = "dt"
TIME = "t"


def zone_abbreviation(local: dt.datetime) -> str:
    """Return the abbreviation of a local time's zone: "CET", "CDT", or "UTC+05:45".

    The tz database has no letters for many zones and gives numeric names such as "+04" or
    "-0330". Those are written as an offset from UTC, which every reader understands.
    """
    name = local.tzname() or ""
    if name[:1] in {"+", "-"}:
        digits = name[1:]
        hours, minutes = digits[:2], digits[2:4]
        return f"UTC{name[0]}{hours}" + (f":{minutes}" if minutes and minutes != "00" else "")
    return name or "UTC"


def zone_abbreviations(zone: zoneinfo.ZoneInfo, around: dt.datetime) -> dict[int, str]:
    """Return the zone's abbreviations by UTC offset in minutes, for 26 weeks either side.

    The page's script names the page's zone with these, so a time it writes reads "14:05 CET"
    like the server's and not "14:05 GMT+1". Weekly samples find every offset that lasts a
    week or longer; the script names any other offset the way the browser's Intl does.
    """
    names: dict[int, str] = {}
    for weeks in range(-26, 27):
        local = to_local(around + dt.timedelta(weeks=weeks), zone)
        offset = local.utcoffset()
        if offset is not None:
            names[int(offset.total_seconds()) // 60] = zone_abbreviation(local)
    return names


def to_local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} is naive: pass a timezone-aware datetime.")
    return moment.astimezone(zone)


def format_date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def format_month(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def format_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = to_local(moment, zone)
    return f"{local:%H:%M} {zone_abbreviation(local)}"


def format_datetime(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = to_local(moment, zone)
    return f"{format_date(local.date())}, {local:%H:%M} {zone_abbreviation(local)}"


def _iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_element(
    moment: dt.datetime, zone: zoneinfo.ZoneInfo, style: str = DATE_TIME
) -> SafeString:
    """Return `<time>` showing `moment` in `zone`, as date and time or as time only."""
    text = format_time(moment, zone) if style == TIME else format_datetime(moment, zone)
    return format_html('<time datetime="{}" data-f="{}">{}</time>', _iso_utc(moment), style, text)


def window_html(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> SafeString:
    """Return a window as start and end joined by an en dash.

    The end shows its date only when it falls on another local day. Each end carries its own
    zone abbreviation, so a window across a DST change ends in "04:00 CEST" after starting in
    "22:00 CET".
    """
    same_day = to_local(start, zone).date() == to_local(end, zone).date()
    end_style = TIME if same_day else DATE_TIME
    return format_html(
        "{} \N{EN DASH} {}", time_element(start, zone), time_element(end, zone, end_style)
    )


def duration_text(span: dt.timedelta, *, with_days: bool = True) -> str:
    """Return a span as "3 d 2 h", "2 h 5 min", "2 h" or "12 min", rounded down to the minute.

    A span of a few seconds reads "1 min", so a real outage never shows as zero. Without
    `with_days`, hours are not folded into days ("24 h" for a whole day down).
    """
    seconds = span.total_seconds()
    total = max(int(seconds // 60), 1 if seconds > 0 else 0)
    days, rest = divmod(total, 24 * 60) if with_days else (0, total)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours and minutes:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return gettext("%(hours)d h") % {"hours": hours}
    return gettext("%(minutes)d min") % {"minutes": minutes}
