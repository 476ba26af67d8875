"""The mapping rules: page indicator, incident impact, times and ids."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import DisplayState, State, Status
from heliograph.public.statuspage import format_time, incident_impact, page_indicator
from tests.statuspage.conftest import NOW, load_sample, real_summaries

OP = DisplayState.OPERATIONAL
DEGRADED = DisplayState.DEGRADED_PERFORMANCE
PARTIAL = DisplayState.PARTIAL_OUTAGE
MAJOR = DisplayState.MAJOR_OUTAGE
MAINTENANCE = DisplayState.UNDER_MAINTENANCE
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.mark.parametrize(("states", "indicator", "description"), [
    ([], "none", "All Systems Operational"),
    ([OP, OP], "none", "All Systems Operational"),
    ([OP, MAINTENANCE], "maintenance", "Service Under Maintenance"),
    ([MAINTENANCE], "maintenance", "Service Under Maintenance"),
    ([OP, DEGRADED], "minor", "Partially Degraded Service"),
    ([DEGRADED, DEGRADED], "minor", "Degraded System Service"),
    ([DEGRADED, MAINTENANCE], "minor", "Partially Degraded Service"),
    ([OP, PARTIAL], "minor", "Minor Service Outage"),
    ([PARTIAL], "major", "Partial System Outage"),
    ([PARTIAL, PARTIAL, PARTIAL], "major", "Partial System Outage"),
    ([PARTIAL, DEGRADED], "minor", "Minor Service Outage"),
    ([OP, MAJOR], "major", "Partial System Outage"),
    ([MAJOR, PARTIAL], "major", "Partial System Outage"),
    ([MAJOR], "critical", "Major System Outage"),
    ([MAJOR, MAJOR], "critical", "Major System Outage"),
])
def test_page_indicator_table(states: list[DisplayState], indicator: str,
                              description: str) -> None:
    assert page_indicator(states) == {"indicator": indicator, "description": description}


@pytest.mark.parametrize("path", real_summaries(), ids=lambda path: f"{path.parent.name}/"
                         f"{path.name}")
def test_page_indicator_matches_real_statuspage(path: Path) -> None:
    """Statuspage's status of each saved summary follows from its components' statuses."""
    summary = json.loads(path.read_text())
    states = [DisplayState(component["status"]) for component in summary["components"]
              if not component["group"]]

    assert page_indicator(states) == summary["status"]


def test_page_indicator_matches_discord_sample() -> None:
    summary = load_sample("summary.json")
    states = [DisplayState(component["status"]) for component in summary["components"]]

    assert page_indicator(states) == summary["status"]


display_states = st.lists(st.sampled_from(list(DisplayState)), max_size=12)


@given(display_states)
def test_page_indicator_none_only_when_all_operational(states: list[DisplayState]) -> None:
    result = page_indicator(states)

    assert (result["indicator"] == "none") == all(state is OP for state in states)


@given(display_states)
def test_page_indicator_maintenance_never_hides_outage(states: list[DisplayState]) -> None:
    result = page_indicator(states)
    troubled = {DEGRADED, PARTIAL, MAJOR} & set(states)

    if troubled:
        assert result["indicator"] in {"minor", "major", "critical"}
    if result["indicator"] == "maintenance":
        assert MAINTENANCE in states


@given(display_states)
def test_page_indicator_critical_only_when_all_major(states: list[DisplayState]) -> None:
    critical = page_indicator(states)["indicator"] == "critical"
    all_major = bool(states) and set(states) == {MAJOR}

    assert critical == all_major


@pytest.mark.parametrize(("states", "impact"), [
    ([State.OPERATIONAL], "none"),
    ([State.DEGRADED_PERFORMANCE, State.OPERATIONAL], "minor"),
    ([State.PARTIAL_OUTAGE, State.DEGRADED_PERFORMANCE, State.OPERATIONAL], "major"),
    ([State.DEGRADED_PERFORMANCE, State.MAJOR_OUTAGE, State.OPERATIONAL], "critical"),
])
def test_incident_impact_from_worst_state(states: list[State], impact: str) -> None:
    assert incident_impact(states) == impact


# --- Times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "moment", "text"), [
    ("UTC", dt.datetime(2026, 6, 15, 17, 0, 5, 123456, tzinfo=dt.UTC),
     "2026-06-15T17:00:05.123Z"),
    ("Etc/UTC", dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC), "2026-06-15T17:00:00.000Z"),
    ("America/Chicago", dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC),
     "2026-06-15T12:00:00.000-05:00"),
    ("America/Chicago", dt.datetime(2026, 1, 15, 17, 0, tzinfo=dt.UTC),
     "2026-01-15T11:00:00.000-06:00"),
    # 01:30 happens twice on 2026-11-01 in Chicago: first in CDT, then in CST.
    ("America/Chicago", dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),
     "2026-11-01T01:30:00.000-05:00"),
    ("America/Chicago", dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC),
     "2026-11-01T01:30:00.000-06:00"),
    ("Asia/Kolkata", dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC),
     "2026-06-15T22:30:00.000+05:30"),
    ("Europe/London", dt.datetime(2026, 1, 15, 17, 0, tzinfo=dt.UTC),
     "2026-01-15T17:00:00.000+00:00"),
    # UTC-00:44:30 has seconds, which RFC 3339 offsets cannot carry.
    ("Africa/Monrovia", dt.datetime(1971, 6, 1, 12, 0, tzinfo=dt.UTC),
     "1971-06-01T12:00:00.000Z"),
])
def test_format_time(zone: str, moment: dt.datetime, text: str) -> None:
    assert format_time(moment, zoneinfo.ZoneInfo(zone)) == text


zones = st.sampled_from(["UTC", "America/Chicago", "Europe/Berlin", "Australia/Lord_Howe",
                         "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns"])


@given(st.datetimes(min_value=dt.datetime(1971, 1, 2), max_value=dt.datetime(9998, 12, 30),
                    timezones=st.just(dt.UTC)), zones)
def test_format_time_round_trips(moment: dt.datetime, zone: str) -> None:
    text = format_time(moment, zoneinfo.ZoneInfo(zone))
    parsed = dt.datetime.fromisoformat(text)

    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# --- The page's status through the view ----------------------------------------------------


def test_status_of_page_without_services(page: Page, actor: Actor,
                                         get_json: Callable[..., Any]) -> None:
    incidents.open_incident(page, title="Everything is down", text="Down.",
                            state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                            services=[], actor=actor)

    status = get_json("status.json")["status"]

    assert status == {"indicator": "critical", "description": "Major System Outage"}


def test_incident_without_services_counts(page: Page, actor: Actor,
                                          get_json: Callable[..., Any]) -> None:
    pages.add_service(page, name="API", actor=actor)
    pages.add_service(page, name="Website", actor=actor)
    incidents.open_incident(page, title="Phones are down", text="Call us later.",
                            state=State.DEGRADED_PERFORMANCE, status=Status.INVESTIGATING,
                            services=[], actor=actor)

    status = get_json("status.json")["status"]

    assert status == {"indicator": "minor", "description": "Partially Degraded Service"}


def test_status_follows_services(page: Page, actor: Actor,
                                 get_json: Callable[..., Any]) -> None:
    api = pages.add_service(page, name="API", actor=actor)
    pages.add_service(page, name="Website", actor=actor)
    incident = incidents.open_incident(page, title="API down", text="Down.",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       services=[api], actor=actor,
                                       at=NOW - dt.timedelta(minutes=5))
    first = get_json("status.json")["status"]

    incidents.close_incident(incident, actor=actor)
    second = get_json("status.json")["status"]

    assert first == {"indicator": "major", "description": "Partial System Outage"}
    assert second == {"indicator": "none", "description": "All Systems Operational"}


def test_time_zone_is_iana_name(page: Page, get_json: Callable[..., Any]) -> None:
    document = get_json("status.json")

    assert document["page"]["time_zone"] == "America/Chicago"
    assert document["page"]["updated_at"].endswith("-05:00")
    assert zoneinfo.ZoneInfo(document["page"]["time_zone"]) == CHICAGO
