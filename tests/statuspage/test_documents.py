"""What each endpoint lists, for a page with open incidents, partial fixes and maintenances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.statuspage.conftest import NOW, BusyPage

GetJson = Callable[..., Any]


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def test_page_object(busy: BusyPage, get_json: GetJson) -> None:
    page = get_json("summary.json")["page"]

    assert page == {
        "id": f"page-{busy.page.pk}",
        "name": "Acme",
        "url": "http://acme.localhost:8000",
        "time_zone": "America/Chicago",
        "updated_at": page["updated_at"],
    }
    assert page["updated_at"] == "2026-06-15T12:00:00.000-05:00"


def test_components_layout(busy: BusyPage, get_json: GetJson) -> None:
    components = get_json("components.json")["components"]
    group = next(item for item in components if item["group"])

    assert [(item["name"], item["position"]) for item in components] == [
        ("Core", 1), ("API", 1), ("Website", 2), ("Database", 2), ("Background jobs", 3),
    ]
    assert group["components"] == [f"service-{busy.api.pk}", f"service-{busy.website.pk}"]
    assert by_id(components)[f"service-{busy.api.pk}"]["group_id"] == group["id"]
    assert by_id(components)[f"service-{busy.database.pk}"]["group_id"] is None


def test_component_fields(busy: BusyPage, get_json: GetJson) -> None:
    api = by_id(get_json("components.json")["components"])[f"service-{busy.api.pk}"]

    assert api["description"] == "The REST API."
    assert api["start_date"] == "2026-01-01"
    assert api["showcase"] is True
    assert api["only_show_if_degraded"] is False
    assert api["page_id"] == f"page-{busy.page.pk}"
    assert api["created_at"] == "2026-06-15T12:00:00.000-05:00"


def test_component_statuses(busy: BusyPage, get_json: GetJson) -> None:
    statuses = {item["name"]: item["status"] for item in get_json("components.json")["components"]}

    assert statuses == {
        "Core": "partial_outage",
        "API": "partial_outage",
        "Website": "degraded_performance",
        "Database": "operational",
        "Background jobs": "under_maintenance",
    }


def test_summary_status(busy: BusyPage, get_json: GetJson) -> None:
    assert get_json("summary.json")["status"] == {
        "indicator": "minor", "description": "Minor Service Outage",
    }


def test_summary_lists_open_incidents_newest_first(busy: BusyPage, get_json: GetJson) -> None:
    summary = get_json("summary.json")

    assert names(summary["incidents"]) == ["API errors", "Login failures"]
    assert summary["incidents"] == get_json("incidents/unresolved.json")["incidents"]


def test_open_incident(busy: BusyPage, get_json: GetJson) -> None:
    incident = get_json("incidents/unresolved.json")["incidents"][0]
    pk = busy.open_incident.pk

    assert incident["id"] == f"incident-{pk}"
    assert incident["status"] == "identified"
    assert incident["impact"] == "major"
    assert incident["shortlink"] == f"http://acme.localhost:8000/incidents/{pk}"
    assert incident["started_at"] == "2026-06-15T10:30:00.000-05:00"
    assert incident["created_at"] == "2026-06-15T12:00:00.000-05:00"
    assert incident["resolved_at"] is None
    assert incident["monitoring_at"] is None
    assert names(incident["components"]) == ["API"]
    assert incident["components"][0]["status"] == "partial_outage"


def test_updates_newest_first(busy: BusyPage, get_json: GetJson) -> None:
    incident = get_json("incidents/unresolved.json")["incidents"][0]
    updates = incident["incident_updates"]

    assert [update["body"] for update in updates] == [
        "A bad deploy; rolling back.", "Some requests fail.",
    ]
    assert [update["status"] for update in updates] == ["identified", "investigating"]
    assert [update["display_at"] for update in updates] == [
        "2026-06-15T11:00:00.000-05:00", "2026-06-15T10:30:00.000-05:00",
    ]
    assert all(update["incident_id"] == incident["id"] for update in updates)
    assert updates[1]["affected_components"] == [{
        "code": f"service-{busy.api.pk}", "name": "API",
        "old_status": "operational", "new_status": "partial_outage",
    }]
    assert updates[0]["affected_components"][0]["old_status"] == "partial_outage"


def test_partial_fix_lists_fixed_and_remaining(busy: BusyPage, get_json: GetJson) -> None:
    incident = by_id(get_json("incidents.json")["incidents"])[
        f"incident-{busy.partial_fix_incident.pk}"
    ]
    latest, first = incident["incident_updates"]

    assert [(item["name"], item["old_status"], item["new_status"])
            for item in first["affected_components"]] == [
        ("API", "operational", "partial_outage"),
        ("Website", "operational", "partial_outage"),
    ]
    assert [(item["name"], item["old_status"], item["new_status"])
            for item in latest["affected_components"]] == [
        ("API", "partial_outage", "operational"),
        ("Website", "partial_outage", "degraded_performance"),
    ]
    assert incident["monitoring_at"] == "2026-06-15T10:00:00.000-05:00"
    assert incident["impact"] == "major"


def test_closed_incident(busy: BusyPage, get_json: GetJson) -> None:
    incident = by_id(get_json("incidents.json")["incidents"])[
        f"incident-{busy.closed_incident.pk}"
    ]
    resolved = incident["incident_updates"][0]

    assert incident["status"] == "resolved"
    assert incident["resolved_at"] == "2026-06-15T08:00:00.000-05:00"
    assert incident["monitoring_at"] == "2026-06-15T07:00:00.000-05:00"
    assert incident["impact"] == "minor"
    assert resolved["status"] == "resolved"
    assert [(item["name"], item["old_status"], item["new_status"])
            for item in resolved["affected_components"]] == [
        ("Database", "operational", "operational"),
    ]
    assert [(item["old_status"], item["new_status"])
            for item in incident["incident_updates"][1]["affected_components"]] == [
        ("degraded_performance", "operational"),
    ]


def test_backfilled_incident_dated_from_start(busy: BusyPage, get_json: GetJson) -> None:
    incident = by_id(get_json("incidents.json")["incidents"])[
        f"incident-{busy.backfilled_incident.pk}"
    ]
    first = incident["incident_updates"][-1]

    assert incident["created_at"] == "2026-01-10T08:00:00.000-06:00"
    assert incident["started_at"] == "2026-01-10T08:00:00.000-06:00"
    assert incident["resolved_at"] == "2026-01-10T09:30:00.000-06:00"
    assert incident["impact"] == "critical"
    assert first["display_at"] == "2026-01-10T08:00:00.000-06:00"
    assert first["created_at"] == "2026-06-15T12:00:00.000-05:00"


def test_incidents_listed_newest_first(busy: BusyPage, get_json: GetJson) -> None:
    assert names(get_json("incidents.json")["incidents"]) == [
        "API errors", "Login failures", "Slow queries", "Database failover",
    ]


def test_incidents_limited_to_fifty(page: Page, actor: Actor, get_json: GetJson) -> None:
    for index in range(53):
        start = NOW - dt.timedelta(days=index + 1)
        incidents.backfill_incident(page, title=f"Outage {index}", services=[], actor=actor,
                                    events=[
            incidents.PastEvent(at=start, status=Status.INVESTIGATING, text="Down.",
                                state=State.MAJOR_OUTAGE),
            incidents.PastEvent(at=start + dt.timedelta(hours=1), status=Status.RESOLVED,
                                text="Up."),
        ])

    listed = names(get_json("incidents.json")["incidents"])

    assert listed == [f"Outage {index}" for index in range(50)]


def test_edited_event_changes_updated_at(busy: BusyPage, actor: Actor,
                                         get_json: GetJson, clock: Any) -> None:
    event = busy.closed_incident.events.order_by("at").first()
    assert event is not None
    clock.shift(dt.timedelta(minutes=10))
    incidents.edit_event_text(event, text="Queries were slow.", actor=actor)

    incident = by_id(get_json("incidents.json")["incidents"])[
        f"incident-{busy.closed_incident.pk}"
    ]
    oldest = incident["incident_updates"][-1]

    assert oldest["body"] == "Queries were slow."
    assert oldest["updated_at"] == "2026-06-15T12:10:00.000-05:00"
    assert incident["updated_at"] == "2026-06-15T12:10:00.000-05:00"


# --- Maintenances --------------------------------------------------------------------------


def test_active_maintenances(busy: BusyPage, get_json: GetJson) -> None:
    active = get_json("scheduled-maintenances/active.json")["scheduled_maintenances"]

    assert names(active) == ["Queue upgrade"]
    assert active[0]["status"] == "in_progress"
    assert active[0]["impact"] == "maintenance"
    assert active[0]["components"][0]["status"] == "under_maintenance"
    assert active[0]["scheduled_for"] == "2026-06-15T11:00:00.000-05:00"
    assert active[0]["scheduled_until"] == "2026-06-15T13:00:00.000-05:00"
    assert active[0]["shortlink"] == (
        f"http://acme.localhost:8000/maintenances/{busy.active_maintenance.pk}"
    )


def test_maintenance_updates(busy: BusyPage, get_json: GetJson) -> None:
    active = get_json("scheduled-maintenances/active.json")["scheduled_maintenances"][0]
    started, description = active["incident_updates"]
    pk = busy.active_maintenance.pk

    assert description["id"] == f"maintenance-{pk}-description"
    assert description["status"] == "scheduled"
    assert description["body"] == "We upgrade the job queue."
    assert [(item["old_status"], item["new_status"])
            for item in description["affected_components"]] == [("operational", "operational")]
    assert started["status"] == "in_progress"
    assert started["body"] == "Started."
    assert [(item["old_status"], item["new_status"])
            for item in started["affected_components"]] == [
        ("operational", "under_maintenance"),
    ]


def test_upcoming_maintenances(busy: BusyPage, get_json: GetJson) -> None:
    upcoming = get_json("scheduled-maintenances/upcoming.json")["scheduled_maintenances"]

    assert names(upcoming) == ["Network work", "Data centre move"]
    assert upcoming[0]["status"] == "scheduled"
    assert names(upcoming[0]["components"]) == ["API", "Database"]
    assert upcoming[1]["incident_updates"][0]["affected_components"] is None


def test_summary_maintenances_within_horizon(busy: BusyPage, get_json: GetJson) -> None:
    listed = get_json("summary.json")["scheduled_maintenances"]

    assert names(listed) == ["Queue upgrade", "Network work"]


def test_all_maintenances_latest_first(busy: BusyPage, get_json: GetJson) -> None:
    listed = get_json("scheduled-maintenances.json")["scheduled_maintenances"]

    assert names(listed) == [
        "Data centre move", "Network work", "Queue upgrade", "Forgotten work", "Disk swap",
    ]


def test_completed_maintenance(busy: BusyPage, get_json: GetJson) -> None:
    listed = by_id(get_json("scheduled-maintenances.json")["scheduled_maintenances"])
    completed = listed[f"maintenance-{busy.completed_maintenance.pk}"]
    done, started, _ = completed["incident_updates"]

    assert completed["status"] == "completed"
    assert completed["resolved_at"] == "2026-06-13T11:00:00.000-05:00"
    assert completed["started_at"] == completed["created_at"]
    assert done["status"] == "completed"
    assert [(item["old_status"], item["new_status"])
            for item in done["affected_components"]] == [("under_maintenance", "operational")]
    assert started["status"] == "in_progress"


def test_maintenance_indicator_without_incidents(page: Page, actor: Actor,
                                                 add_service: Callable[..., Any],
                                                 get_json: GetJson) -> None:
    jobs = add_service("Background jobs")
    add_service("API")
    maintenance = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=NOW - dt.timedelta(minutes=5),
        ends_at=NOW + dt.timedelta(hours=1), services=[jobs], actor=actor,
    )
    maintenances.post_event(maintenance, text="Started.", status=MaintenanceStatus.IN_PROGRESS,
                            actor=actor)

    summary = get_json("summary.json")

    assert summary["status"] == {"indicator": "maintenance",
                                 "description": "Service Under Maintenance"}
    assert summary["scheduled_maintenances"][0]["incident_updates"][-1]["body"] == ""


def test_empty_page(page: Page, get_json: GetJson) -> None:
    summary = get_json("summary.json")

    assert summary["components"] == []
    assert summary["incidents"] == []
    assert summary["scheduled_maintenances"] == []
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_incident_without_services(page: Page, actor: Actor, get_json: GetJson) -> None:
    incidents.open_incident(page, title="Phones down", text="Call us later.",
                            state=State.DEGRADED_PERFORMANCE, status=Status.INVESTIGATING,
                            services=[], actor=actor)

    listed = get_json("incidents/unresolved.json")["incidents"][0]

    assert listed["components"] == []
    assert listed["impact"] == "minor"
    assert listed["incident_updates"][0]["affected_components"] is None


def test_ids_survive_new_slug_and_name(busy: BusyPage, actor: Actor, get_json: GetJson) -> None:
    before = get_json("summary.json")
    pages.update_page(busy.page, {"slug": "acme-corp"}, actor=actor)
    pages.update_service(busy.api, {"name": "Public API"}, actor=actor)

    after = get_json("summary.json", host="acme-corp.localhost")

    assert after["page"]["id"] == before["page"]["id"]
    assert [item["id"] for item in after["components"]] == [
        item["id"] for item in before["components"]
    ]
    assert [item["id"] for item in after["incidents"]] == [
        item["id"] for item in before["incidents"]
    ]
    assert after["page"]["url"] == "http://acme-corp.localhost:8000"
