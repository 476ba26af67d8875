"""Maintenances over the API: schedule, list, read, change, events, close and delete.

The clock is frozen at `NOW` (2026-11-03 12:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heliograph.domain.models import AuditEntry, Maintenance, Service
from tests.api.support import assert_error, audit_actions, page_record

pytestmark = pytest.mark.django_db

MAINTENANCE_KEYS = {"id", "title", "description", "starts_at", "ends_at", "status", "services",
                    "auto_transition", "started_at", "completed_at", "overdue", "events"}


def window(**changes: Any) -> dict[str, Any]:
    return {"title": "Database upgrade", "description": "Read-only for an hour.",
            "starts_at": "2026-11-05T02:00:00+01:00", "ends_at": "2026-11-05T03:00:00+01:00",
            **changes}


@pytest.fixture
def service(clock, add_service) -> Service:
    return add_service("Database")


@pytest.fixture
def scheduled(api, service) -> dict[str, Any]:
    response = api.post("/pages/acme/maintenances", window(services=[service.pk]))
    assert response.status_code == 201, response.content
    return response.json()


def test_maintenance_schedule(clock, api, page, service):
    response = api.post("/pages/acme/maintenances", window(services=[service.pk]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == MAINTENANCE_KEYS
    assert body["title"] == "Database upgrade"
    assert body["description"] == "Read-only for an hour."
    assert body["starts_at"] == "2026-11-05T01:00:00Z"
    assert body["ends_at"] == "2026-11-05T02:00:00Z"
    assert body["services"] == [service.pk]
    assert body["status"] == "scheduled"
    assert body["auto_transition"] is None
    assert body["started_at"] is None
    assert body["overdue"] is False
    assert body["events"] == []
    assert audit_actions(page)[-1] == "maintenance.schedule"


@pytest.mark.parametrize("ends_at", ["2026-11-05T01:59:00+01:00", "2026-11-05T02:00:00+01:00",
                                     "2026-11-05T01:00:00Z"])
def test_maintenance_ending_before_start_changes_nothing(clock, api, page, ends_at):
    before = page_record(page)

    response = api.post("/pages/acme/maintenances", window(ends_at=ends_at))

    body = assert_error(response, 422, "window_end_before_start", "ends_at")
    assert "after the start" in body["message"]
    assert page_record(page) == before


def test_maintenance_list_latest_window_first(clock, api):
    api.post("/pages/acme/maintenances", window(title="Early"))
    late = api.post("/pages/acme/maintenances", window(
        title="Late", starts_at="2026-11-20T02:00:00Z", ends_at="2026-11-20T04:00:00Z")).json()
    api.post(f"/pages/acme/maintenances/{late['id']}/events", {"text": "Started early."})

    everything = api.get("/pages/acme/maintenances").json()
    started = api.get("/pages/acme/maintenances?status=in_progress").json()

    assert [item["title"] for item in everything["items"]] == ["Late", "Early"]
    assert everything["next_cursor"] is None
    assert [item["title"] for item in started["items"]] == ["Late"]


def test_maintenance_read(clock, api, scheduled):
    body = api.get(f"/pages/acme/maintenances/{scheduled['id']}").json()

    assert body == scheduled


def test_maintenance_update(clock, api, page, scheduled, add_service):
    website = add_service("Website")

    response = api.patch(f"/pages/acme/maintenances/{scheduled['id']}", {
        "title": "Database and website upgrade", "ends_at": "2026-11-05T04:00:00+01:00",
        "services": [website.pk], "auto_transition": True,
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Database and website upgrade"
    assert body["starts_at"] == "2026-11-05T01:00:00Z"
    assert body["ends_at"] == "2026-11-05T03:00:00Z"
    assert body["services"] == [website.pk]
    assert body["auto_transition"] is True
    entry = AuditEntry.objects.filter(page=page, action="maintenance.update").get()
    assert entry.before["ends_at"] == "2026-11-05T02:00:00+00:00"


def test_maintenance_update_end_before_start(clock, api, page, scheduled):
    before = page_record(page)

    response = api.patch(f"/pages/acme/maintenances/{scheduled['id']}",
                         {"starts_at": "2026-11-05T05:00:00Z"})

    assert_error(response, 422, "window_end_before_start", "ends_at")
    assert page_record(page) == before


def test_maintenance_completed_window_fixed(clock, api, page, scheduled):
    api.post(f"/pages/acme/maintenances/{scheduled['id']}/close", {})
    before = page_record(page)

    response = api.patch(f"/pages/acme/maintenances/{scheduled['id']}",
                         {"ends_at": "2026-11-05T05:00:00Z"})

    assert_error(response, 409, "maintenance_completed", "ends_at")
    assert page_record(page) == before


def test_maintenance_delete(clock, api, page, scheduled):
    response = api.delete(f"/pages/acme/maintenances/{scheduled['id']}")

    assert response.status_code == 204
    assert not Maintenance.objects.filter(pk=scheduled["id"]).exists()
    assert audit_actions(page)[-1] == "maintenance.delete"


def test_maintenance_event_starts_it(clock, api, page, scheduled):
    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events",
                        {"text": "Starting now."})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["started_at"] == "2026-11-03T12:00:00Z"
    assert [(e["status"], e["text"]) for e in body["events"]] == [("in_progress", "Starting now.")]
    assert audit_actions(page)[-1] == "maintenance.event.in_progress"


def test_maintenance_note_while_scheduled(clock, api, scheduled):
    body = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events",
                    {"text": "Moved by a day.", "status": "scheduled"}).json()

    assert body["status"] == "scheduled"
    assert body["started_at"] is None


def test_maintenance_back_to_scheduled_changes_nothing(clock, api, page, scheduled):
    api.post(f"/pages/acme/maintenances/{scheduled['id']}/events", {"text": "Started."})
    before = page_record(page)

    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events",
                        {"text": "Oops.", "status": "scheduled"})

    assert_error(response, 409, "maintenance_started", "status")
    assert page_record(page) == before


def test_maintenance_completed_event_closes(clock, api, scheduled):
    body = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events",
                    {"text": "All done.", "status": "completed"}).json()

    assert body["status"] == "completed"
    assert body["completed_at"] == "2026-11-03T12:00:00Z"


def test_maintenance_close(clock, api, page, scheduled):
    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/close", {"text": "Done."})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["events"][0]["text"] == "Done."
    assert audit_actions(page)[-1] == "maintenance.event.completed"


def test_maintenance_close_twice_changes_nothing(clock, api, page, scheduled):
    api.post(f"/pages/acme/maintenances/{scheduled['id']}/close", {})
    before = page_record(page)

    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/close", {})

    assert_error(response, 409, "maintenance_already_completed")
    assert page_record(page) == before


def test_maintenance_event_after_completion_changes_nothing(clock, api, page, scheduled):
    api.post(f"/pages/acme/maintenances/{scheduled['id']}/close", {})
    before = page_record(page)

    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events", {"text": "More."})

    assert_error(response, 409, "maintenance_completed")
    assert page_record(page) == before


def test_maintenance_event_in_future_changes_nothing(clock, api, page, scheduled):
    before = page_record(page)

    response = api.post(f"/pages/acme/maintenances/{scheduled['id']}/events",
                        {"text": "Later.", "at": "2026-11-03T13:00:00Z"})

    assert_error(response, 409, "event_in_future", "at")
    assert page_record(page) == before


def test_maintenance_overdue_when_window_passed(clock, api, scheduled):
    clock.move_to(dt.datetime(2026, 11, 6, 0, 0, tzinfo=dt.UTC))

    body = api.get(f"/pages/acme/maintenances/{scheduled['id']}").json()

    assert body["status"] == "scheduled"
    assert body["overdue"] is True
