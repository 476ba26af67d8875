"""The status a page shows: banner, service states, open incidents and maintenances.

The clock is frozen at `NOW` (2026-11-03 12:00 UTC) and moved where the order of events matters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heliograph.domain.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(clock, add_service) -> dict[str, Service]:
    return {name: add_service(name) for name in ["API", "Database", "Website"]}


def open_incident(api, title: str, state: str, services: list[Service], **extra: Any) -> int:
    response = api.post("/pages/acme/incidents", {
        "title": title, "text": f"{title}.", "state": state, "status": "investigating",
        "services": [service.pk for service in services], **extra,
    })
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def status(api) -> dict[str, Any]:
    response = api.get("/pages/acme/status")
    assert response.status_code == 200, response.content
    return dict(response.json())


def states(api) -> dict[str, str]:
    return {item["name"]: item["state"] for item in status(api)["services"]}


def test_status_shape(api, services):
    body = status(api)

    assert {"banner", "services", "incidents", "maintenances"} <= set(body)
    assert {"message", "state"} <= set(body["banner"])
    assert [set(item) >= {"id", "name", "state"} for item in body["services"]] == [True] * 3
    assert body["time_zone"] == "UTC"


def test_banner_without_incident_is_default_green(api, services):
    api.patch("/pages/acme", {"default_status_message": "Everything works"})

    body = status(api)

    assert body["banner"]["message"] == "Everything works"
    assert body["banner"]["state"] == "operational"
    assert body["incidents"] == []
    assert set(states(api).values()) == {"operational"}


def test_banner_two_incidents_first_opened_colour(clock, api, services):
    first = open_incident(api, "Slow API", "degraded_performance", [services["API"]],
                          at="2026-11-03T10:00:00Z")
    second = open_incident(api, "Database down", "major_outage", [services["Database"]],
                           at="2026-11-03T11:00:00Z")

    body = status(api)

    assert body["banner"]["message"] == "Slow API · Database down"
    assert body["banner"]["state"] == "degraded_performance"
    assert body["banner"]["incidents"] == [first, second]
    assert [(item["id"], item["title"], item["state"], item["status"])
            for item in body["incidents"]] == [
        (first, "Slow API", "degraded_performance", "investigating"),
        (second, "Database down", "major_outage", "investigating"),
    ]


def test_banner_worst_colour_when_page_says_so(clock, api, services):
    api.patch("/pages/acme", {"banner_color_rule": "worst"})
    open_incident(api, "Slow API", "degraded_performance", [services["API"]],
                  at="2026-11-03T10:00:00Z")
    open_incident(api, "Database down", "major_outage", [services["Database"]],
                  at="2026-11-03T11:00:00Z")

    assert status(api)["banner"]["state"] == "major_outage"


def test_banner_follows_latest_event_state(clock, api, services):
    incident = open_incident(api, "Errors", "major_outage", [services["API"]])
    api.post(f"/pages/acme/incidents/{incident}/events",
             {"text": "Better.", "state": "degraded_performance", "status": "monitoring"})

    assert status(api)["banner"]["state"] == "degraded_performance"
    assert states(api)["API"] == "degraded_performance"


def test_service_state_worst_of_open_incidents(clock, api, services):
    open_incident(api, "Slow", "degraded_performance", [services["API"]])
    open_incident(api, "Down", "partial_outage", [services["API"], services["Website"]])

    assert states(api) == {"API": "partial_outage", "Database": "operational",
                           "Website": "partial_outage"}


def test_resolving_keeps_service_of_other_open_incident(clock, api, services):
    """Resolving one incident returns a service to operational only if no other open incident
    affects it."""
    first = open_incident(api, "API errors", "major_outage", [services["API"]])
    second = open_incident(api, "Slow everything", "degraded_performance",
                           [services["API"], services["Website"]])

    api.post(f"/pages/acme/incidents/{first}/close", {})

    assert states(api) == {"API": "degraded_performance", "Database": "operational",
                           "Website": "degraded_performance"}

    api.post(f"/pages/acme/incidents/{second}/close", {})

    assert states(api) == {"API": "operational", "Database": "operational",
                           "Website": "operational"}
    assert status(api)["banner"]["state"] == "operational"


def schedule(api, services: list[Service], starts_at: str, ends_at: str,
             title: str = "Upgrade") -> int:
    response = api.post("/pages/acme/maintenances", {
        "title": title, "starts_at": starts_at, "ends_at": ends_at,
        "services": [service.pk for service in services],
    })
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_maintenances_active_and_upcoming_listed(clock, api, services):
    active = schedule(api, [services["Database"]], "2026-11-03T11:00:00Z",
                      "2026-11-03T13:00:00Z", "Now")
    upcoming = schedule(api, [services["API"]], "2026-11-10T01:00:00Z",
                        "2026-11-10T02:00:00Z", "Soon")
    schedule(api, [services["API"]], "2027-03-10T01:00:00Z", "2027-03-10T02:00:00Z", "Far")
    done = schedule(api, [services["API"]], "2026-11-04T01:00:00Z", "2026-11-04T02:00:00Z")
    api.post(f"/pages/acme/maintenances/{active}/events", {"text": "Started."})
    api.post(f"/pages/acme/maintenances/{done}/close", {"text": "Cancelled."})

    body = status(api)

    assert [(item["id"], item["title"], item["status"]) for item in body["maintenances"]] == [
        (active, "Now", "in_progress"), (upcoming, "Soon", "scheduled")]
    assert states(api)["Database"] == "under_maintenance"


def test_maintenance_never_hides_open_incident(clock, api, services):
    maintenance = schedule(api, [services["Database"]], "2026-11-03T11:00:00Z",
                           "2026-11-03T13:00:00Z")
    api.post(f"/pages/acme/maintenances/{maintenance}/events", {"text": "Started."})
    open_incident(api, "Replica lag", "partial_outage", [services["Database"]])

    assert states(api)["Database"] == "partial_outage"

    clock.shift(dt.timedelta(minutes=10))
    api.post(f"/pages/acme/maintenances/{maintenance}/close", {"text": "Done."})

    assert states(api)["Database"] == "partial_outage"
    assert status(api)["banner"]["state"] == "partial_outage"


def test_completed_maintenance_returns_service(clock, api, services):
    maintenance = schedule(api, [services["Database"]], "2026-11-03T11:00:00Z",
                           "2026-11-03T13:00:00Z")
    api.post(f"/pages/acme/maintenances/{maintenance}/events", {"text": "Started."})

    api.post(f"/pages/acme/maintenances/{maintenance}/close", {})

    assert states(api)["Database"] == "operational"
    assert status(api)["maintenances"] == []
