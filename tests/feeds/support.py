"""Checks of the feeds and the calendar that go beyond their parsers, which are lenient.

feedparser accepts almost anything and reports only XML, encoding and content-type errors,
so these helpers also parse strictly with `xml.etree` and check versions, ids and dates.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
import icalendar
import vobject

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3339 date-time, as Atom 1.0 requires (section 3.3).
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
# RFC 822 date with a four-digit year and a numeric zone, as RSS 2.0 uses it.
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
# XML 1.0 forbids these characters anywhere in a document.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def parse_atom(content: bytes) -> Any:
    """Parse an Atom document with feedparser and strictly; check what feedparser lets by."""
    ET.fromstring(content)  # noqa: S314 - raises on any XML error
    parsed = feedparser.parse(content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    ids = [entry.id for entry in parsed.entries]
    assert len(ids) == len(set(ids)), ids
    for entry in parsed.entries:
        assert entry.id.startswith("tag:"), entry.id
        assert entry.published_parsed is not None, entry.id
        assert entry.updated_parsed is not None, entry.id
    return parsed


def atom_dates(content: bytes) -> list[dt.datetime]:
    """Return every `published` and `updated` of an Atom document, checked against RFC 3339."""
    root = ET.fromstring(content)  # noqa: S314
    dates = []
    for element in root.iter():
        if element.tag in {f"{ATOM}updated", f"{ATOM}published"}:
            text = element.text or ""
            assert RFC3339.fullmatch(text), text
            dates.append(dt.datetime.fromisoformat(text))
    return dates


def parse_rss(content: bytes) -> Any:
    """Parse an RSS 2.0 document with feedparser and strictly; check ids and dates."""
    root = ET.fromstring(content)  # noqa: S314
    assert root.tag == "rss"
    assert root.attrib["version"] == "2.0"
    for item in root.iter("item"):
        guid = item.find("guid")
        assert guid is not None
        assert guid.attrib["isPermaLink"] == "false"
        pub_date = item.findtext("pubDate") or ""
        assert RFC822.fullmatch(pub_date), pub_date
        assert email.utils.parsedate_to_datetime(pub_date).utcoffset() is not None
    parsed = feedparser.parse(content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    ids = [entry.id for entry in parsed.entries]
    assert len(ids) == len(set(ids)), ids
    for entry in parsed.entries:
        assert entry.published_parsed is not None, entry.id
    return parsed


def physical_lines(content: bytes) -> list[bytes]:
    """Split an iCalendar document at CRLF, checking that no line ends any other way."""
    assert content.endswith(b"\r\n")
    lines = content[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line, line
        assert b"\r" not in line, line
    return lines


def check_calendar(content: bytes) -> icalendar.Calendar:
    """Parse a calendar with icalendar and with vobject's validation; check its layout.

    Checks CRLF line endings, lines of at most 75 octets that each decode as UTF-8 alone
    (a fold never splits a character), DTEND after DTSTART, and unique UIDs.
    """
    for line in physical_lines(content):
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")
    calendar = icalendar.Calendar.from_ical(content)
    vobject.readOne(content.decode("utf-8"), validate=True)
    uids = []
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.utcoffset() == dt.timedelta(0), event["uid"]
        assert end > start, event["uid"]
        uids.append(str(event["uid"]))
    assert len(uids) == len(set(uids)), uids
    return calendar


def events_by_summary(calendar: icalendar.Calendar) -> dict[str, Any]:
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}
