"""The iCalendar feed of maintenances: layout, UIDs, SEQUENCE, STATUS and which are listed."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.maintenances import TEXT_MAX
from heliograph.domain.models import Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.lib import plaintext
from heliograph.public import calendar
from heliograph.public.calendar import (
    DESCRIPTION_TEXT_MAX,
    DESCRIPTION_UPDATES,
    RECENT_DAYS,
    shorten,
)
from tests.feeds.support import check_calendar, events_by_summary, physical_lines
from tests.public.conftest import NOW, local

# 2-, 3- and 4-octet UTF-8 characters, so folds fall inside multi-byte sequences.
MULTIBYTE_TITLE = "Wartung für Zürich \N{EN DASH} 数据库升级 \N{EN DASH} 🛠️🔧 " * 4


def fetch(get: Callable[..., Any], host: str = "acme.localhost") -> icalendar.Calendar:
    response = get("/maintenances.ics", host)
    assert response.status_code == 200
    return check_calendar(response.content)


def test_calendar_headers_and_properties(page: Page, schedule: Callable[..., Maintenance],
                                         get: Callable[..., Any]) -> None:
    schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2))

    response = get("/maintenances.ics")
    calendar = check_calendar(response.content)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=60"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "Acme maintenance"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.content
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.content


def test_event_carries_window_in_utc(page: Page, add_service: Callable[..., Service],
                                     schedule: Callable[..., Maintenance],
                                     get: Callable[..., Any]) -> None:
    api = add_service("API")
    maintenance = schedule(local(page, 2026, 6, 16, 22, 0), local(page, 2026, 6, 17, 1, 30),
                           services=[api])

    event = events_by_summary(fetch(get))["Database upgrade"]

    assert event.decoded("dtstart") == dt.datetime(2026, 6, 17, 3, 0, tzinfo=dt.UTC)
    assert event.decoded("dtend") == dt.datetime(2026, 6, 17, 6, 30, tzinfo=dt.UTC)
    assert event.decoded("dtstamp") == NOW
    assert str(event["url"]) == f"http://acme.localhost/maintenances/{maintenance.pk}"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["transp"]) == "TRANSPARENT"
    assert str(event["uid"]) == f"maintenance-{maintenance.pk}-20260615@acme.localhost"


def test_description_is_plain_text_in_page_zone(page: Page, add_service: Callable[..., Service],
                                                schedule: Callable[..., Maintenance],
                                                get: Callable[..., Any]) -> None:
    api = add_service("API")
    maintenance = schedule(local(page, 2026, 11, 1, 0, 30), local(page, 2026, 11, 1, 3, 0),
                           services=[api], description="We **upgrade** the database.")

    event = events_by_summary(fetch(get))["Database upgrade"]

    assert str(event["description"]).split("\n") == [
        "Status: Scheduled",
        "Window: Nov. 1, 2026, 00:30 CDT \N{EN DASH} 03:00 CST",
        "Affected services: API",
        "",
        "We **upgrade** the database.",
        "",
        f"http://acme.localhost/maintenances/{maintenance.pk}",
    ]


def test_description_lists_updates(page: Page, actor: Actor,
                                   schedule: Callable[..., Maintenance],
                                   get: Callable[..., Any]) -> None:
    maintenance = schedule(NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1))
    maintenances.post_event(maintenance, text="Started.", at=NOW - dt.timedelta(minutes=50),
                            actor=actor)
    maintenances.post_event(maintenance, text="Copying\ndata.", actor=actor)

    description = str(events_by_summary(fetch(get))["Database upgrade"]["description"])

    assert ("Updates, newest first:\n"
            "June 15, 2026, 12:00 CDT \N{EM DASH} In progress: Copying\ndata.\n"
            "June 15, 2026, 11:10 CDT \N{EM DASH} In progress: Started.\n") in description


def test_description_cuts_long_texts(page: Page, actor: Actor,
                                     schedule: Callable[..., Maintenance],
                                     get: Callable[..., Any]) -> None:
    """Texts of the longest length the domain accepts are cut, so the calendar stays small."""
    longest = ("Die Datenbank antwortet langsam. " * 700)[:TEXT_MAX - 10] + " ENDMARKER"
    maintenance = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2),
                           description=longest)
    for _ in range(DESCRIPTION_UPDATES):
        maintenances.post_event(maintenance, text=longest, status="scheduled", actor=actor)

    response = get("/maintenances.ics")
    description = str(events_by_summary(check_calendar(response.content))["Database upgrade"]
                      ["description"])

    assert "ENDMARKER" not in description
    assert description.count("\N{HORIZONTAL ELLIPSIS}") == 1 + DESCRIPTION_UPDATES
    assert len(description) < (1 + DESCRIPTION_UPDATES) * (DESCRIPTION_TEXT_MAX + 100)
    assert description.endswith(f"\n\nhttp://acme.localhost/maintenances/{maintenance.pk}")
    assert len(response.content) < 20 * DESCRIPTION_TEXT_MAX


@given(text=st.text(max_size=60), limit=st.integers(min_value=2, max_value=40))
def test_shorten_keeps_limit(text: str, limit: int) -> None:
    shortened = shorten(text, limit)

    assert len(shortened) <= limit
    if len(text) <= limit:
        assert shortened == text
    else:
        assert shortened.endswith("\N{HORIZONTAL ELLIPSIS}")
        assert text.startswith(shortened[:-1])


def test_lines_fold_without_splitting_characters(page: Page,
                                                 schedule: Callable[..., Maintenance],
                                                 get: Callable[..., Any]) -> None:
    schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2),
             title=MULTIBYTE_TITLE.strip(), description=MULTIBYTE_TITLE * 10)

    response = get("/maintenances.ics")
    calendar = check_calendar(response.content)

    lines = physical_lines(response.content)
    assert max(len(line) for line in lines) > 70
    assert any(line.startswith(b" ") for line in lines)
    assert str(calendar.walk("VEVENT")[0]["summary"]) == MULTIBYTE_TITLE.strip()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(min_size=1, max_size=120).map(str.strip).filter(bool))
def test_any_title_folds_and_round_trips(title: str, page: Page,
                                         schedule: Callable[..., Maintenance],
                                         get: Callable[..., Any]) -> None:
    Maintenance.objects.all().delete()
    maintenance = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2))
    # Written past the domain's checks, as an importer or an old row might have it.
    Maintenance.objects.filter(pk=maintenance.pk).update(title=title.replace("\x00", ""))

    calendar = check_calendar(get("/maintenances.ics").content)

    summary = str(calendar.walk("VEVENT")[0]["summary"])
    assert summary == plaintext.clean(title.replace("\x00", ""), multiline=False)
    assert not any(unicodedata.category(char) == "Cc" for char in summary)


def test_uids_unique_and_stable_across_edits(page: Page, actor: Actor,
                                             schedule: Callable[..., Maintenance],
                                             get: Callable[..., Any]) -> None:
    first = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2),
                     title="First")
    schedule(NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=2), title="Second")
    before = {name: str(event["uid"]) for name, event in events_by_summary(fetch(get)).items()}

    maintenances.update_maintenance(first, title="First, moved",
                                    starts_at=NOW + dt.timedelta(days=3),
                                    ends_at=NOW + dt.timedelta(days=3, hours=1), actor=actor)
    after = {name: str(event["uid"]) for name, event in events_by_summary(fetch(get)).items()}

    assert len(set(before.values())) == 2
    assert after["First, moved"] == before["First"]
    assert after["Second"] == before["Second"]


def test_sequence_grows_with_each_change(page: Page, actor: Actor, clock: Any,
                                         schedule: Callable[..., Maintenance],
                                         get: Callable[..., Any]) -> None:
    maintenance = schedule(NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=3))

    def sequence_and_stamp() -> tuple[int, dt.datetime]:
        event = fetch(get).walk("VEVENT")[0]
        return int(event["sequence"]), event.decoded("dtstamp")

    seen = [sequence_and_stamp()]
    clock.shift(dt.timedelta(minutes=10))
    maintenances.update_maintenance(maintenance, title="Database upgrade, longer",
                                    ends_at=NOW + dt.timedelta(hours=4), actor=actor)
    seen.append(sequence_and_stamp())
    clock.shift(dt.timedelta(minutes=60))
    maintenances.post_event(maintenance, text="Started.", actor=actor)
    seen.append(sequence_and_stamp())
    clock.shift(dt.timedelta(minutes=60))
    maintenances.close_maintenance(maintenance, actor=actor)
    seen.append(sequence_and_stamp())

    assert [sequence for sequence, _ in seen] == [0, 1, 2, 3]
    stamps = [stamp for _, stamp in seen]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4


def test_unchanged_edit_keeps_sequence(page: Page, actor: Actor,
                                       schedule: Callable[..., Maintenance],
                                       get: Callable[..., Any]) -> None:
    maintenance = schedule(NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=3))

    maintenances.update_maintenance(maintenance, title=maintenance.title, actor=actor)

    assert int(fetch(get).walk("VEVENT")[0]["sequence"]) == 0


def test_status_follows_maintenance(page: Page, actor: Actor,
                                    schedule: Callable[..., Maintenance],
                                    get: Callable[..., Any]) -> None:
    upcoming = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=1),
                        title="Upcoming")
    schedule(NOW - dt.timedelta(hours=3), NOW - dt.timedelta(hours=1), title="Overdue")
    running = schedule(NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1), title="Running")
    maintenances.post_event(running, text="Started.", actor=actor)
    called_off = schedule(NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=1),
                          title="Called off")
    maintenances.close_maintenance(called_off, text="Not needed after all.", actor=actor)
    done = schedule(NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=2, hours=-1),
                    title="Done")
    maintenances.post_event(done, text="Started.", at=NOW - dt.timedelta(days=2), actor=actor)
    maintenances.close_maintenance(done, actor=actor)

    statuses = {name: str(event["status"]) for name, event in events_by_summary(fetch(get)).items()}

    assert statuses == {
        "Upcoming": "CONFIRMED",
        "Overdue": "TENTATIVE",
        "Running": "CONFIRMED",
        "Called off": "CANCELLED",
        "Done": "CONFIRMED",
    }
    assert upcoming.status == MaintenanceStatus.SCHEDULED


def test_calendar_lists_current_and_recent(page: Page, actor: Actor,
                                           make_page: Callable[..., Page],
                                           schedule: Callable[..., Maintenance],
                                           get: Callable[..., Any]) -> None:
    old_start = NOW - dt.timedelta(days=RECENT_DAYS + 5)
    old = schedule(old_start, old_start + dt.timedelta(hours=1), title="Long ago")
    maintenances.close_maintenance(old, actor=actor)
    recent_start = NOW - dt.timedelta(days=RECENT_DAYS - 5)
    recent = schedule(recent_start, recent_start + dt.timedelta(hours=1), title="Recent")
    maintenances.close_maintenance(recent, actor=actor)
    long_running = schedule(old_start, old_start + dt.timedelta(hours=1), title="Still running")
    maintenances.post_event(long_running, text="Started.", at=old_start, actor=actor)
    schedule(NOW + dt.timedelta(days=200), NOW + dt.timedelta(days=201), title="Far ahead")
    other = make_page("beta", title="Beta")
    schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=1),
             title="Beta's own", on=other)

    acme = set(events_by_summary(fetch(get)))
    beta = set(events_by_summary(fetch(get, "beta.localhost")))

    assert acme == {"Recent", "Still running", "Far ahead"}
    assert beta == {"Beta's own"}


@pytest.fixture
def three_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the calendar list three maintenances, so that a few fill it."""
    monkeypatch.setattr(calendar, "CALENDAR_EVENTS", 3)


def test_full_calendar_keeps_nearest_ahead(page: Page, actor: Actor, three_events: None,
                                           schedule: Callable[..., Maintenance],
                                           get: Callable[..., Any]) -> None:
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    running = schedule(NOW - hour, NOW + hour, title="Running")
    maintenances.post_event(running, text="Started.", at=NOW - hour, actor=actor)
    schedule(NOW + day, NOW + day + hour, title="Tomorrow")
    for days in (100, 200, 300):
        schedule(NOW + days * day, NOW + days * day + hour, title=f"In {days} days")

    listed = set(events_by_summary(fetch(get)))

    assert listed == {"Running", "Tomorrow", "In 100 days"}


def test_full_calendar_fills_with_latest_past(page: Page, actor: Actor, three_events: None,
                                              schedule: Callable[..., Maintenance],
                                              get: Callable[..., Any]) -> None:
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    for days in (2, 10, 30):
        done = schedule(NOW - days * day, NOW - days * day + hour, title=f"{days} days ago")
        maintenances.close_maintenance(done, actor=actor)
    schedule(NOW + day, NOW + day + hour, title="Tomorrow")

    document = fetch(get)

    starts = [event.decoded("dtstart") for event in document.walk("VEVENT")]
    assert set(events_by_summary(document)) == {"Tomorrow", "2 days ago", "10 days ago"}
    assert starts == sorted(starts, reverse=True)


def test_empty_calendar_is_valid(page: Page, get: Callable[..., Any]) -> None:
    calendar = fetch(get)

    assert calendar.walk("VEVENT") == []


def test_calendar_query_count_is_constant(page: Page, actor: Actor,
                                          add_service: Callable[..., Service],
                                          schedule: Callable[..., Maintenance],
                                          get: Callable[..., Any]) -> None:
    api = add_service("API")

    def add(count: int) -> int:
        for index in range(count):
            maintenance = schedule(NOW + dt.timedelta(days=index + 1),
                                   NOW + dt.timedelta(days=index + 1, hours=1), services=[api])
            maintenances.post_event(maintenance, text="Note.",
                                    status=MaintenanceStatus.SCHEDULED, actor=actor)
        with CaptureQueriesContext(connection) as captured:
            assert get("/maintenances.ics").status_code == 200
        return len(captured)

    assert add(1) == add(20)


def test_calendar_answers_304_until_change(page: Page, actor: Actor,
                                           schedule: Callable[..., Maintenance],
                                           get: Callable[..., Any]) -> None:
    maintenance = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2))
    etag = get("/maintenances.ics")["ETag"]

    unchanged = get("/maintenances.ics", HTTP_IF_NONE_MATCH=etag)
    maintenances.update_maintenance(maintenance, title="Moved", actor=actor)
    changed = get("/maintenances.ics", HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_calendar_etag_changes_with_time(page: Page, clock: Any,
                                         schedule: Callable[..., Maintenance],
                                         get: Callable[..., Any]) -> None:
    schedule(NOW + dt.timedelta(minutes=30), NOW + dt.timedelta(minutes=40))
    etag = get("/maintenances.ics")["ETag"]

    clock.shift(dt.timedelta(hours=1))
    response = get("/maintenances.ics", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert b"STATUS:TENTATIVE" in response.content


def test_calendar_source_is_its_own_url(page: Page, get: Callable[..., Any]) -> None:
    response = get("/maintenances.ics")

    assert b"SOURCE;VALUE=URI:http://acme.localhost/maintenances.ics\r\n" in response.content
