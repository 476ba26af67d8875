"""Maintenances and their events on the Runstatus API, with the hyphenated `in-progress`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from heliograph.accounts.models import User
from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/runstatus/pages/acme/maintenances"
NOW = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)
MAINTENANCE_KEYS = {"id", "url", "created", "title", "description", "start_date", "end_date",
                    "services", "status", "events", "events_url", "real_time"}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def services(add_service: Callable[..., Service]) -> list[Service]:
    return [add_service("Database"), add_service("API")]


def scheduled(api: RunstatusClient, **changes: Any) -> Any:
    body = {"title": "Database upgrade", "description": "PostgreSQL 17.",
            "start_date": "2026-03-29T01:00:00Z", "end_date": "2026-03-29T03:00:00Z",
            "services": ["Database"]} | changes
    return api.post("/pages/acme/maintenances", body)


def test_schedule_maintenance(api: RunstatusClient, page: Page,
                              services: list[Service]) -> None:
    response = scheduled(api)

    assert response.status_code == 201
    body = response.json()
    maintenance = Maintenance.objects.get(page=page)
    assert set(body) == MAINTENANCE_KEYS
    assert body["url"] == f"{BASE}/{maintenance.pk}"
    assert body["events_url"] == f"{BASE}/{maintenance.pk}/events"
    assert body["created"] == "2026-03-28T12:00:00Z"
    assert body["start_date"] == "2026-03-29T01:00:00Z"
    assert body["end_date"] == "2026-03-29T03:00:00Z"
    assert body["services"] == ["Database"]
    assert body["status"] == "scheduled"
    assert body["events"] == []
    assert body["real_time"] is True
    assert maintenance.starts_at == dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)
    assert AuditEntry.objects.filter(page=page, action="maintenance.schedule").exists()


@pytest.mark.parametrize(("start", "expected"), [
    ("2026-03-29T01:00:00", dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)),
    ("2026-03-29T01:00:00.500000", dt.datetime(2026, 3, 29, 1, 0, 0, 500000, tzinfo=dt.UTC)),
    ("2026-03-29T03:00:00+02:00", dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)),
    ("2026-03-29T02:00:00+0100", dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)),
])
def test_schedule_time_forms(api: RunstatusClient, page: Page, start: str,
                             expected: dt.datetime) -> None:
    """Times without an offset are UTC; the SDK sends naive `isoformat()` values."""
    response = scheduled(api, start_date=start, services=[])

    assert response.status_code == 201
    assert Maintenance.objects.get().starts_at == expected


@pytest.mark.parametrize(("status", "expected", "events"), [
    ("in-progress", MaintenanceStatus.IN_PROGRESS, 1),
    ("in_progress", MaintenanceStatus.IN_PROGRESS, 1),
    ("completed", MaintenanceStatus.COMPLETED, 1),
    ("scheduled", MaintenanceStatus.SCHEDULED, 0),
])
def test_schedule_with_status(api: RunstatusClient, page: Page, services: list[Service],
                              status: str, expected: MaintenanceStatus, events: int) -> None:
    response = scheduled(api, status=status)

    assert response.status_code == 201
    maintenance = Maintenance.objects.get()
    assert maintenance.status == expected
    assert maintenance.events.count() == events
    assert response.json()["status"] == expected.value.replace("_", "-")


@pytest.mark.parametrize(("changes", "field", "fragment"), [
    ({"end_date": "2026-03-29T00:00:00Z"}, "end_date", "give an end after the start"),
    ({"start_date": "tomorrow"}, "start_date", "not a date and time"),
    ({"start_date": "2026-03-29"}, "start_date", "not a date and time"),
    ({"status": "running"}, "status", "scheduled, in-progress, completed"),
    ({"services": ["Nope"]}, "services", "No service named 'Nope'"),
    ({"title": ""}, "title", "must not be blank"),
])
def test_schedule_rejects(api: RunstatusClient, page: Page, services: list[Service],
                          changes: dict[str, Any], field: str, fragment: str) -> None:
    response = scheduled(api, **changes)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert fragment in response.json()[field][0]
    assert not Maintenance.objects.exists()


def test_schedule_lists_missing_fields(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/maintenances", {})

    assert response.status_code == 400
    assert set(response.json()) == {"title", "start_date", "end_date"}


def test_list_maintenances_latest_first(api: RunstatusClient, page: Page,
                                        actor: Actor) -> None:
    early = maintenances.schedule_maintenance(
        page, title="Early", description="", starts_at=NOW + dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=1, hours=1), actor=actor)
    late = maintenances.schedule_maintenance(
        page, title="Late", description="", starts_at=NOW + dt.timedelta(days=3),
        ends_at=NOW + dt.timedelta(days=3, hours=1), actor=actor)

    body = api.get("/pages/acme/maintenances").json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [late.pk, early.pk]


def test_event_without_status_starts(api: RunstatusClient, page: Page,
                                     services: list[Service]) -> None:
    maintenance_id = scheduled(api).json()["id"]

    response = api.post(f"/pages/acme/maintenances/{maintenance_id}/events",
                        {"text": "We have started."})

    assert response.status_code == 201
    assert response.json() == {"created": "2026-03-28T12:00:00Z", "text": "We have started.",
                               "status": "in-progress"}
    assert Maintenance.objects.get().status == MaintenanceStatus.IN_PROGRESS


def test_event_scheduled_adds_note(api: RunstatusClient, page: Page,
                                   services: list[Service]) -> None:
    """The exoscale SDK sends the current status when none is given."""
    maintenance_id = scheduled(api).json()["id"]

    response = api.post(f"/pages/acme/maintenances/{maintenance_id}/events",
                        {"text": "Moved by an hour.", "status": "scheduled"})

    assert response.status_code == 201
    assert Maintenance.objects.get().status == MaintenanceStatus.SCHEDULED


def test_event_back_to_scheduled_rejected(api: RunstatusClient, page: Page,
                                          services: list[Service]) -> None:
    maintenance_id = scheduled(api, status="in-progress").json()["id"]

    response = api.post(f"/pages/acme/maintenances/{maintenance_id}/events",
                        {"text": "Oops.", "status": "scheduled"})

    assert response.status_code == 400
    assert "already in progress" in response.json()["status"][0]


def test_completed_event_closes(api: RunstatusClient, page: Page,
                                services: list[Service]) -> None:
    maintenance_id = scheduled(api).json()["id"]

    response = api.post(f"/pages/acme/maintenances/{maintenance_id}/events",
                        {"text": "Done.", "status": "completed"})

    assert response.status_code == 201
    assert response.json()["status"] == "completed"
    assert Maintenance.objects.get().status == MaintenanceStatus.COMPLETED
    again = api.post(f"/pages/acme/maintenances/{maintenance_id}/events", {"text": "More."})
    assert again.status_code == 400
    assert "completed" in again.json()["detail"]


def test_list_maintenance_events(api: RunstatusClient, page: Page, services: list[Service],
                                 clock: time_machine.Traveller) -> None:
    maintenance_id = scheduled(api).json()["id"]
    api.post(f"/pages/acme/maintenances/{maintenance_id}/events", {"text": "Started."})
    clock.shift(60)
    api.post(f"/pages/acme/maintenances/{maintenance_id}/events",
             {"text": "Done.", "status": "completed"})

    body = api.get(f"/pages/acme/maintenances/{maintenance_id}/events").json()

    assert body["count"] == 2
    assert [(event["text"], event["status"]) for event in body["results"]] == [
        ("Done.", "completed"), ("Started.", "in-progress")]


def test_update_maintenance(api: RunstatusClient, page: Page, services: list[Service]) -> None:
    maintenance_id = scheduled(api).json()["id"]

    response = api.patch(f"/pages/acme/maintenances/{maintenance_id}", {
        "title": "Database and API upgrade", "description": "Both.",
        "start_date": "2026-03-29T02:00:00Z", "end_date": "2026-03-29T05:00:00Z",
        "services": ["Database", "API"],
    })

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Database and API upgrade"
    assert body["start_date"] == "2026-03-29T02:00:00Z"
    assert body["services"] == ["Database", "API"]
    maintenance = Maintenance.objects.get()
    assert maintenance.ends_at == dt.datetime(2026, 3, 29, 5, tzinfo=dt.UTC)
    assert maintenance.description == "Both."
    assert AuditEntry.objects.filter(page=page, action="maintenance.update").exists()


def test_update_window_end_before_start(api: RunstatusClient, page: Page,
                                        services: list[Service]) -> None:
    maintenance_id = scheduled(api).json()["id"]

    response = api.patch(f"/pages/acme/maintenances/{maintenance_id}",
                         {"end_date": "2026-03-28T00:00:00Z"})

    assert response.status_code == 400
    assert list(response.json()) == ["end_date"]
    assert Maintenance.objects.get().ends_at == dt.datetime(2026, 3, 29, 3, tzinfo=dt.UTC)


def test_update_completed_window_rejected(api: RunstatusClient, page: Page,
                                          services: list[Service]) -> None:
    maintenance_id = scheduled(api, status="completed").json()["id"]

    response = api.patch(f"/pages/acme/maintenances/{maintenance_id}",
                         {"start_date": "2026-03-29T02:00:00Z"})

    assert response.status_code == 400
    assert "completed maintenance" in response.json()["start_date"][0]


def test_completed_maintenance_sent_back_renamed(api: RunstatusClient, page: Page,
                                                 services: list[Service]) -> None:
    """Unchanged window and services are no change, even on a completed maintenance."""
    maintenance_id = scheduled(api, status="completed").json()["id"]
    body = api.get(f"/pages/acme/maintenances/{maintenance_id}").json()

    response = api.patch(f"/pages/acme/maintenances/{maintenance_id}",
                         body | {"title": "Database upgrade (done)"})

    assert response.status_code == 200, response.content
    maintenance = Maintenance.objects.get()
    assert maintenance.title == "Database upgrade (done)"
    assert maintenance.starts_at == dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)
    assert list(maintenance.services.values_list("name", flat=True)) == ["Database"]


def test_completed_maintenance_window_still_fixed(api: RunstatusClient, page: Page,
                                                  services: list[Service]) -> None:
    maintenance_id = scheduled(api, status="completed").json()["id"]
    body = api.get(f"/pages/acme/maintenances/{maintenance_id}").json()

    response = api.patch(f"/pages/acme/maintenances/{maintenance_id}",
                         body | {"end_date": "2026-03-29T04:00:00Z"})

    assert response.status_code == 400
    assert "completed maintenance" in response.json()["end_date"][0]
    assert Maintenance.objects.get().ends_at == dt.datetime(2026, 3, 29, 3, tzinfo=dt.UTC)


def test_delete_maintenance(api: RunstatusClient, page: Page, services: list[Service]) -> None:
    maintenance_id = scheduled(api).json()["id"]

    response = api.delete(f"/pages/acme/maintenances/{maintenance_id}")

    assert response.status_code == 204
    assert not Maintenance.objects.exists()
    assert AuditEntry.objects.filter(page=page, action="maintenance.delete").exists()


def test_editor_deletes_maintenance(client_for: Callable[..., RunstatusClient], page: Page,
                                    editor: User, services: list[Service]) -> None:
    editor_api = client_for(editor)
    maintenance_id = scheduled(editor_api).json()["id"]

    assert editor_api.delete(f"/pages/acme/maintenances/{maintenance_id}").status_code == 204


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_maintenances_forbidden_without_write_role(client_for: Callable[..., RunstatusClient],
                                                   page: Page, actor: Actor, persona: str,
                                                   request: pytest.FixtureRequest) -> None:
    work = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=NOW + dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=2), actor=actor)
    stranger = client_for(request.getfixturevalue(persona))
    path = f"/pages/acme/maintenances/{work.pk}"

    assert stranger.get("/pages/acme/maintenances").status_code == 403
    assert scheduled(stranger, services=[]).status_code == 403
    assert stranger.get(path).status_code == 403
    assert stranger.patch(path, {"title": "Mine"}).status_code == 403
    assert stranger.post(f"{path}/events", {"text": "x"}).status_code == 403
    assert stranger.delete(path).status_code == 403
    assert Maintenance.objects.get().title == "Upgrade"


def test_unknown_maintenance_not_found(api: RunstatusClient, page: Page) -> None:
    assert api.get("/pages/acme/maintenances/12345").status_code == 404
    assert api.post("/pages/acme/maintenances/12345/events", {"text": "x"}).status_code == 404
