"""Outage figures per service and per local day of the page's time zone.

The clock is frozen at `NOW` (2026-11-03 12:00 UTC); incidents are recorded with backfill, with
their times written in the page's local offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain.models import Page, Service
from tests.api.conftest import ApiClient
from tests.api.support import local

pytestmark = pytest.mark.django_db

DAY_KEYS = {"date", "minutes", "degraded_performance", "partial_outage", "major_outage",
            "uptime", "no_data"}


@pytest.fixture
def zoned(clock, make_page, api_for, owner, add_service) -> Callable[..., tuple[ApiClient,
                                                                                 Service]]:
    """Return a client and a service on a new page in the given zone."""

    def make(zone: str) -> tuple[ApiClient, Service]:
        slug = zone.lower().replace("/", "-").replace("_", "-")
        created = make_page(slug, time_zone=zone)
        service = add_service("API", on=created, start_date=dt.date(2026, 1, 1))
        return api_for(owner, [created]), service

    return make


def backfill(client: ApiClient, slug: str, services: list[Service],
             *spans: tuple[str, str, str]) -> None:
    """Record one incident per (state, start, end) span."""
    for state, start, end in spans:
        response = client.post(f"/pages/{slug}/incidents/backfill", {
            "title": f"{state} from {start}", "services": [s.pk for s in services],
            "events": [
                {"at": start, "state": state, "status": "investigating", "text": "Down."},
                {"at": end, "status": "resolved", "text": "Up."},
            ],
        })
        assert response.status_code == 201, response.content


def outages(client: ApiClient, slug: str, start: str, end: str) -> dict[str, Any]:
    response = client.get(f"/pages/{slug}/outages?start={start}&end={end}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def days_of(body: dict[str, Any], name: str = "API") -> dict[str, dict[str, Any]]:
    service = next(item for item in body["services"] if item["name"] == name)
    return {day["date"]: day for day in service["days"]}


def test_outages_shape(zoned):
    client, service = zoned("UTC")
    page = Page.objects.get(pk=service.page_id)
    backfill(client, page.slug, [service], ("major_outage", "2026-10-10T10:00:00Z",
                                            "2026-10-10T11:30:00Z"))

    body = outages(client, page.slug, "2026-10-09", "2026-10-10")

    assert body["time_zone"] == "UTC"
    assert body["start"] == "2026-10-09"
    assert body["end"] == "2026-10-10"
    assert [set(item) >= {"id", "name", "days"} for item in body["services"]] == [True]
    assert body["services"][0]["id"] == service.pk
    day = days_of(body)["2026-10-10"]
    assert set(day) == DAY_KEYS
    assert day == {"date": "2026-10-10", "minutes": 1440, "degraded_performance": 0,
                   "partial_outage": 0, "major_outage": 90, "uptime": 0.9375, "no_data": False}
    assert days_of(body)["2026-10-09"]["uptime"] == 1.0


def test_outages_count_on_local_day_sydney(zoned):
    """07:00 to 08:30 in Sydney (UTC+11 in October) is 20:00 to 21:30 UTC the day before."""
    client, service = zoned("Australia/Sydney")
    backfill(client, "australia-sydney", [service],
             ("major_outage", local("Australia/Sydney", 2026, 10, 20, 7),
              local("Australia/Sydney", 2026, 10, 20, 8, 30)))

    days = days_of(outages(client, "australia-sydney", "2026-10-19", "2026-10-21"))

    assert days["2026-10-19"]["major_outage"] == 0
    assert days["2026-10-20"]["major_outage"] == 90
    assert days["2026-10-21"]["major_outage"] == 0


def test_outages_split_at_local_midnight(zoned):
    client, service = zoned("America/New_York")
    backfill(client, "america-new-york", [service],
             ("partial_outage", local("America/New_York", 2026, 10, 10, 23, 40),
              local("America/New_York", 2026, 10, 11, 0, 40)))

    days = days_of(outages(client, "america-new-york", "2026-10-10", "2026-10-11"))

    assert days["2026-10-10"]["partial_outage"] == 20
    assert days["2026-10-11"]["partial_outage"] == 40


@pytest.mark.parametrize(("spans", "expected"), [
    ([("major_outage", "10:00", "10:30"), ("major_outage", "10:00", "10:30")],
     {"major_outage": 30, "partial_outage": 0}),
    ([("major_outage", "10:00", "10:45"), ("major_outage", "10:15", "11:00")],
     {"major_outage": 60, "partial_outage": 0}),
    ([("partial_outage", "10:00", "11:00"), ("major_outage", "10:20", "10:50")],
     {"major_outage": 30, "partial_outage": 30}),
    ([("degraded_performance", "09:00", "12:00"), ("partial_outage", "10:00", "11:00")],
     {"degraded_performance": 120, "partial_outage": 60}),
])
def test_outages_overlap_counted_once(zoned, spans, expected):
    client, service = zoned("UTC")
    backfill(client, "utc", [service], *[
        (state, f"2026-10-10T{start}:00Z", f"2026-10-10T{end}:00Z") for state, start, end in spans
    ])

    day = days_of(outages(client, "utc", "2026-10-10", "2026-10-10"))["2026-10-10"]

    for state, minutes in expected.items():
        assert day[state] == minutes, state


def test_outages_clipped_to_window(zoned):
    client, service = zoned("UTC")
    backfill(client, "utc", [service],
             ("major_outage", "2026-10-09T22:00:00Z", "2026-10-10T02:00:00Z"))

    body = outages(client, "utc", "2026-10-10", "2026-10-11")

    assert [day["date"] for day in body["services"][0]["days"]] == ["2026-10-10", "2026-10-11"]
    assert days_of(body)["2026-10-10"]["major_outage"] == 120


def test_outages_open_incident_counts_until_now(zoned):
    client, service = zoned("UTC")
    client.post("/pages/utc/incidents", {
        "title": "Down", "text": "Down.", "state": "major_outage", "status": "investigating",
        "services": [service.pk], "at": "2026-11-03T10:30:00Z",
    })

    days = days_of(outages(client, "utc", "2026-11-03", "2026-11-04"))

    assert days["2026-11-03"]["major_outage"] == 90
    assert days["2026-11-04"]["no_data"] is True
    assert days["2026-11-04"]["uptime"] is None


def test_outages_berlin_dst_day_lengths(zoned):
    client, _service = zoned("Europe/Berlin")

    body = outages(client, "europe-berlin", "2026-03-28", "2026-03-30")
    autumn = outages(client, "europe-berlin", "2026-10-24", "2026-10-26")

    assert [day["minutes"] for day in body["services"][0]["days"]] == [1440, 1380, 1440]
    assert [day["minutes"] for day in autumn["services"][0]["days"]] == [1440, 1500, 1440]


def test_outages_over_dst_change_in_elapsed_minutes(zoned):
    """01:30 CET to 03:30 CEST is one real hour, and 02:30 CEST to 02:30 CET is another."""
    client, service = zoned("Europe/Berlin")
    backfill(client, "europe-berlin", [service],
             ("major_outage", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"),
             ("major_outage", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"))

    spring = days_of(outages(client, "europe-berlin", "2026-03-29", "2026-03-29"))
    autumn = days_of(outages(client, "europe-berlin", "2026-10-25", "2026-10-25"))

    assert spring["2026-03-29"]["major_outage"] == 60
    assert spring["2026-03-29"]["uptime"] == pytest.approx(1 - 60 / 1380)
    assert autumn["2026-10-25"]["major_outage"] == 60
    assert autumn["2026-10-25"]["uptime"] == pytest.approx(1 - 60 / 1500)


def test_outages_no_data_before_service_existed(clock, make_page, api_for, owner):
    clock.move_to(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    created = make_page("young")
    client = api_for(owner, [created])
    service_id = client.post("/pages/young/services", {"name": "API"}).json()["id"]
    clock.move_to(dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC))

    days = days_of(outages(client, "young", "2026-10-30", "2026-11-03"))

    assert [days[d]["no_data"] for d in sorted(days)] == [True, True, False, False, False]
    assert [days[d]["uptime"] for d in sorted(days)] == [None, None, 1.0, 1.0, 1.0]
    assert client.get(f"/pages/young/services/{service_id}").json()["start_date"] == "2026-11-01"


def test_outages_backfill_before_start_date_gives_data(clock, make_page, api_for, owner):
    created = make_page("young")
    client = api_for(owner, [created])
    service = Service.objects.get(pk=client.post("/pages/young/services",
                                                 {"name": "API"}).json()["id"])
    assert service.start_date == dt.date(2026, 11, 3)

    backfill(client, "young", [service],
             ("major_outage", "2026-10-31T10:00:00Z", "2026-10-31T11:00:00Z"))

    days = days_of(outages(client, "young", "2026-10-30", "2026-11-01"))
    assert days["2026-10-30"]["no_data"] is True
    assert days["2026-10-31"]["no_data"] is False
    assert days["2026-10-31"]["major_outage"] == 60
    assert days["2026-11-01"]["uptime"] == 1.0


def test_outages_service_uptime_over_window(zoned):
    client, service = zoned("UTC")
    backfill(client, "utc", [service],
             ("partial_outage", "2026-10-10T00:00:00Z", "2026-10-10T02:24:00Z"))

    body = outages(client, "utc", "2026-10-10", "2026-10-11")

    assert body["services"][0]["uptime"] == pytest.approx(1 - 144 / 2880)


def test_outages_default_range_is_ninety_days(zoned):
    client, _service = zoned("Australia/Sydney")

    response = client.get("/pages/australia-sydney/outages")

    body = response.json()
    assert body["end"] == "2026-11-03"
    assert body["start"] == "2026-08-06"
    assert len(body["services"][0]["days"]) == 90


def test_outages_longest_range_accepted(zoned):
    client, _service = zoned("UTC")

    response = client.get("/pages/utc/outages?start=2025-10-01&end=2026-11-04")

    assert response.status_code == 200
    assert len(response.json()["services"][0]["days"]) == 400
