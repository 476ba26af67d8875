"""Incidents over the API: open, list, read, events, close, backfill, correct and delete.

The clock is frozen at `NOW` (2026-11-03 12:00 UTC) wherever times matter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heliograph.domain.models import AuditEntry, Incident, IncidentEvent, Service
from tests.api.support import assert_error, audit_actions, page_record

pytestmark = pytest.mark.django_db

INCIDENT_KEYS = {"id", "title", "state", "status", "services", "opened_at", "closed_at",
                 "backfilled", "post_mortem", "events"}
EVENT_KEYS = {"id", "at", "state", "status", "text", "services", "posted_at", "edited_at"}


def open_body(**changes: Any) -> dict[str, Any]:
    return {"title": "Elevated errors", "text": "We are looking into it.",
            "state": "major_outage", "status": "investigating", **changes}


@pytest.fixture
def services(clock, add_service) -> list[Service]:
    return [add_service("API", start_date=dt.date(2026, 1, 1)),
            add_service("Database", start_date=dt.date(2026, 1, 1))]


@pytest.fixture
def opened(api, services) -> dict[str, Any]:
    response = api.post("/pages/acme/incidents",
                        open_body(services=[s.pk for s in services],
                                  at="2026-11-03T11:00:00Z"))
    assert response.status_code == 201, response.content
    return response.json()


def event(api, incident_id: int, **body: Any) -> Any:
    return api.post(f"/pages/acme/incidents/{incident_id}/events", body)


# Open


def test_incident_open(clock, api, page, services):
    response = api.post("/pages/acme/incidents", open_body(services=[services[0].pk]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == INCIDENT_KEYS
    assert body["title"] == "Elevated errors"
    assert body["state"] == "major_outage"
    assert body["status"] == "investigating"
    assert body["services"] == [services[0].pk]
    assert body["opened_at"] == "2026-11-03T12:00:00Z"
    assert body["closed_at"] is None
    assert body["backfilled"] is False
    assert len(body["events"]) == 1
    assert set(body["events"][0]) == EVENT_KEYS
    assert body["events"][0]["text"] == "We are looking into it."
    assert body["events"][0]["services"] == [services[0].pk]
    assert audit_actions(page)[-1] == "incident.open"


def test_incident_open_earlier_time_with_offset(clock, api, services):
    body = api.post("/pages/acme/incidents",
                    open_body(at="2026-11-03T10:30:00+01:00")).json()

    assert body["opened_at"] == "2026-11-03T09:30:00Z"
    assert body["events"][0]["at"] == "2026-11-03T09:30:00Z"


def test_incident_open_before_start_date_moves_it(clock, api, page, add_service):
    service = add_service("API")
    assert service.start_date == dt.date(2026, 11, 3)

    api.post("/pages/acme/incidents",
             open_body(services=[service.pk], at="2026-10-30T23:00:00Z"))

    assert api.get(f"/pages/acme/services/{service.pk}").json()["start_date"] == "2026-10-30"


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"state": "operational"}, "opening_state_operational", "state"),
    ({"status": "resolved"}, "opening_status_resolved", "status"),
    ({"at": "2026-11-03T12:00:01Z"}, "event_in_future", "at"),
    ({"title": "  "}, "required", "title"),
])
def test_incident_open_rejected_changes_nothing(clock, api, page, services, changes, code,
                                                field):
    before = page_record(page)

    response = api.post("/pages/acme/incidents", open_body(**changes))

    body = assert_error(response, 409 if code.startswith(("opening", "event")) else 422,
                        code, field)
    assert body["message"]
    assert page_record(page) == before


# List and read


def test_incident_list_newest_first(clock, api, services):
    first = api.post("/pages/acme/incidents", open_body(title="First",
                                                        at="2026-11-03T08:00:00Z")).json()
    second = api.post("/pages/acme/incidents", open_body(title="Second",
                                                         at="2026-11-03T09:00:00Z")).json()
    api.post(f"/pages/acme/incidents/{first['id']}/close", {})

    everything = api.get("/pages/acme/incidents").json()
    still_open = api.get("/pages/acme/incidents?status=open").json()
    closed = api.get("/pages/acme/incidents?status=closed").json()

    assert [item["title"] for item in everything["items"]] == ["Second", "First"]
    assert everything["items"][0]["events"] is None
    assert [item["id"] for item in still_open["items"]] == [second["id"]]
    assert [item["id"] for item in closed["items"]] == [first["id"]]


def test_incident_read_events_newest_first(clock, api, opened):
    event(api, opened["id"], text="Found it.", state="partial_outage", status="identified")

    body = api.get(f"/pages/acme/incidents/{opened['id']}").json()

    assert [e["status"] for e in body["events"]] == ["identified", "investigating"]
    assert body["state"] == "partial_outage"


# Events


def test_incident_event_posted(clock, api, page, opened):
    response = event(api, opened["id"], text="Fix deployed.", state="degraded_performance",
                     status="monitoring")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == EVENT_KEYS
    assert body["state"] == "degraded_performance"
    assert body["status"] == "monitoring"
    assert body["at"] == "2026-11-03T12:00:00Z"
    assert body["services"] == opened["services"]
    assert audit_actions(page)[-1] == "incident.event"


def test_incident_resolved_event_closes(clock, api, opened):
    response = event(api, opened["id"], text="Fixed.", state="operational", status="resolved")

    assert response.status_code == 201, response.content
    body = api.get(f"/pages/acme/incidents/{opened['id']}").json()
    assert body["closed_at"] == "2026-11-03T12:00:00Z"
    assert body["status"] == "resolved"
    assert body["state"] == "operational"


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"state": "major_outage", "status": "resolved"}, 409, "resolved_not_operational", "state"),
    ({"state": "major_outage", "status": "identified", "at": "2026-11-03T10:59:00Z"},
     409, "event_before_previous", "at"),
    ({"state": "major_outage", "status": "identified", "at": "2026-11-03T12:00:01Z"},
     409, "event_in_future", "at"),
    ({"state": "major_outage", "status": "identified", "services": [999_999]},
     422, "unknown_service", "services"),
])
def test_incident_event_rejected_changes_nothing(clock, api, page, opened, body, status, code,
                                                 field):
    before = page_record(page)

    response = event(api, opened["id"], text="Update.", **body)

    assert_error(response, status, code, field)
    assert page_record(page) == before


def test_incident_event_dated_between(clock, api, opened):
    response = event(api, opened["id"], text="Earlier note.", state="major_outage",
                     status="identified", at="2026-11-03T11:30:00+00:00")

    assert response.status_code == 201, response.content
    assert response.json()["at"] == "2026-11-03T11:30:00Z"


def test_incident_post_to_closed_changes_nothing(clock, api, page, opened):
    api.post(f"/pages/acme/incidents/{opened['id']}/close", {})
    before = page_record(page)

    response = event(api, opened["id"], text="More.", state="major_outage",
                     status="identified")

    body = assert_error(response, 409, "incident_closed")
    assert "closed" in body["message"]
    assert page_record(page) == before


# Services of events


def test_event_services_override_incident(clock, api, services, opened):
    api_service, database = services

    event(api, opened["id"], text="Database recovered.", state="partial_outage",
          status="identified", services=[api_service.pk])

    body = api.get(f"/pages/acme/incidents/{opened['id']}").json()
    assert body["services"] == sorted([api_service.pk, database.pk])
    assert [e["services"] for e in body["events"]] == [
        [api_service.pk], sorted([api_service.pk, database.pk])]
    states = {s["name"]: s["state"] for s in api.get("/pages/acme/status").json()["services"]}
    assert states == {"API": "partial_outage", "Database": "operational"}


def test_incident_services_change_applies_to_events_without_own(clock, api, add_service,
                                                                 services, opened):
    api_service, _database = services
    website = add_service("Website", start_date=dt.date(2026, 1, 1))
    event(api, opened["id"], text="Only the API now.", state="partial_outage",
          status="identified", services=[api_service.pk])
    event(api, opened["id"], text="Still working on it.", state="partial_outage",
          status="monitoring")

    response = api.patch(f"/pages/acme/incidents/{opened['id']}",
                         {"services": [website.pk]})

    assert response.status_code == 200, response.content
    events = response.json()["events"]
    assert [e["text"] for e in events] == [
        "Still working on it.", "Only the API now.", "We are looking into it."]
    assert [e["services"] for e in events] == [[website.pk], [api_service.pk], [website.pk]]
    states = {s["name"]: s["state"] for s in api.get("/pages/acme/status").json()["services"]}
    assert states == {"API": "operational", "Database": "operational",
                      "Website": "partial_outage"}
    figures = api.get("/pages/acme/outages?start=2026-11-03&end=2026-11-03").json()
    major = {s["name"]: s["days"][0]["major_outage"] for s in figures["services"]}
    assert major == {"API": 0, "Database": 0, "Website": 60}


# Change, correct, delete


def test_incident_update_title_and_post_mortem(clock, api, page, opened):
    response = api.patch(f"/pages/acme/incidents/{opened['id']}",
                         {"title": "Checkout errors", "post_mortem": "A bad deploy."})

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Checkout errors"
    assert response.json()["post_mortem"] == "A bad deploy."
    entry = AuditEntry.objects.filter(page=page, action="incident.update").get()
    assert entry.before["title"] == "Elevated errors"
    assert entry.after["title"] == "Checkout errors"


def test_incident_services_of_closed_incident_fixed(clock, api, page, services, opened):
    api.post(f"/pages/acme/incidents/{opened['id']}/close", {})
    before = page_record(page)

    response = api.patch(f"/pages/acme/incidents/{opened['id']}",
                         {"services": [services[0].pk]})

    assert_error(response, 409, "incident_closed", "services")
    assert page_record(page) == before


def test_incident_event_text_corrected(clock, api, page, opened):
    api.post(f"/pages/acme/incidents/{opened['id']}/close", {})
    event_id = opened["events"][0]["id"]
    clock.shift(dt.timedelta(minutes=5))

    response = api.patch(f"/pages/acme/incidents/{opened['id']}/events/{event_id}",
                         {"text": "We are investigating errors on checkout."})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "We are investigating errors on checkout."
    assert body["edited_at"] == "2026-11-03T12:05:00Z"
    assert body["at"] == "2026-11-03T11:00:00Z"
    entry = AuditEntry.objects.filter(page=page, action="incident.event.edit").get()
    assert entry.before == {"text": "We are looking into it."}


def test_incident_delete_by_owner(clock, api, page, opened):
    response = api.delete(f"/pages/acme/incidents/{opened['id']}")

    assert response.status_code == 204
    assert not Incident.objects.filter(pk=opened["id"]).exists()
    assert not IncidentEvent.objects.filter(incident_id=opened["id"]).exists()
    entry = AuditEntry.objects.filter(page=page, action="incident.delete").get()
    assert entry.before["title"] == "Elevated errors"
    assert entry.before["events"][0]["text"] == "We are looking into it."


def test_incident_delete_by_editor_is_403(clock, api_for, editor, page, opened):
    before = page_record(page)

    response = api_for(editor, [page]).delete(f"/pages/acme/incidents/{opened['id']}")

    assert_error(response, 403, "forbidden", None)
    assert page_record(page) == before


# Close


def test_incident_close(clock, api, page, opened):
    response = api.post(f"/pages/acme/incidents/{opened['id']}/close", {"text": "Fixed."})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["closed_at"] == "2026-11-03T12:00:00Z"
    assert body["state"] == "operational"
    assert body["status"] == "resolved"
    assert body["events"][0]["text"] == "Fixed."
    assert audit_actions(page)[-1] == "incident.close"


def test_incident_close_without_body(clock, api, opened):
    response = api.client.post(f"/api/v1/pages/acme/incidents/{opened['id']}/close", data=b"",
                               content_type="application/json", headers=api.headers)

    assert response.status_code == 200, response.content
    assert response.json()["events"][0]["text"] == "This incident has been resolved."


def test_incident_close_earlier(clock, api, opened):
    body = api.post(f"/pages/acme/incidents/{opened['id']}/close",
                    {"at": "2026-11-03T11:45:00Z"}).json()

    assert body["closed_at"] == "2026-11-03T11:45:00Z"


def test_incident_close_twice_changes_nothing(clock, api, page, opened):
    api.post(f"/pages/acme/incidents/{opened['id']}/close", {})
    before = page_record(page)

    response = api.post(f"/pages/acme/incidents/{opened['id']}/close", {})

    assert_error(response, 409, "incident_already_closed")
    assert page_record(page) == before


def test_incident_close_before_last_event_changes_nothing(clock, api, page, opened):
    before = page_record(page)

    response = api.post(f"/pages/acme/incidents/{opened['id']}/close",
                        {"at": "2026-11-03T10:00:00Z"})

    assert_error(response, 409, "event_before_previous", "at")
    assert page_record(page) == before


# Backfill


def backfill_events(*rows: tuple[str, str | None, str]) -> list[dict[str, Any]]:
    events = []
    for at, state, status in rows:
        item = {"at": at, "status": status, "text": f"{status} at {at}"}
        if state is not None:
            item["state"] = state
        events.append(item)
    return events


def test_incident_backfill(clock, api, page, services):
    response = api.post("/pages/acme/incidents/backfill", {
        "title": "Night outage", "services": [services[0].pk],
        "events": backfill_events(
            ("2026-10-10T23:40:00Z", "major_outage", "investigating"),
            ("2026-10-11T00:10:00Z", "partial_outage", "identified"),
            ("2026-10-11T00:40:00Z", None, "resolved"),
        ),
    })

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["backfilled"] is True
    assert body["opened_at"] == "2026-10-10T23:40:00Z"
    assert body["closed_at"] == "2026-10-11T00:40:00Z"
    assert body["state"] == "operational"
    assert body["status"] == "resolved"
    assert [e["state"] for e in body["events"]] == [
        "operational", "partial_outage", "major_outage"]
    assert audit_actions(page)[-1] == "incident.backfill"


@pytest.mark.parametrize(("rows", "status", "code", "field"), [
    ([("2026-10-10T23:40:00Z", "major_outage", "investigating"),
      ("2026-10-11T00:40:00Z", "major_outage", "monitoring")],
     409, "backfill_not_resolved", "events.1.status"),
    ([("2026-10-11T00:40:00Z", "major_outage", "investigating"),
      ("2026-10-10T23:40:00Z", None, "resolved")],
     409, "event_out_of_order", "events.1.at"),
    ([("2026-10-10T23:40:00Z", "major_outage", "resolved"),
      ("2026-10-11T00:40:00Z", None, "resolved")],
     409, "resolved_before_end", "events.0.status"),
    ([("2026-10-10T23:40:00Z", "operational", "investigating"),
      ("2026-10-11T00:40:00Z", None, "resolved")],
     409, "opening_state_operational", "events.0.state"),
    ([("2026-10-10T23:40:00Z", None, "investigating"),
      ("2026-10-11T00:40:00Z", None, "resolved")],
     422, "required", "events.0.state"),
    ([("2026-11-03T11:00:00Z", "major_outage", "investigating"),
      ("2026-11-03T12:30:00Z", None, "resolved")],
     409, "event_in_future", "events.1.at"),
])
def test_incident_backfill_rejected_changes_nothing(clock, api, page, services, rows, status,
                                                    code, field):
    before = page_record(page)

    response = api.post("/pages/acme/incidents/backfill", {
        "title": "Night outage", "services": [services[0].pk], "events": backfill_events(*rows),
    })

    assert_error(response, status, code, field)
    assert page_record(page) == before


def test_incident_backfill_needs_events(clock, api, page):
    response = api.post("/pages/acme/incidents/backfill",
                        {"title": "Nothing", "services": [], "events": []})

    assert_error(response, 422, "invalid", "events")


def test_incident_backfill_moves_start_date_back(clock, api, add_service):
    service = add_service("API")
    assert service.start_date == dt.date(2026, 11, 3)

    api.post("/pages/acme/incidents/backfill", {
        "title": "Old outage", "services": [service.pk],
        "events": backfill_events(("2026-08-01T10:00:00Z", "major_outage", "investigating"),
                                  ("2026-08-01T11:00:00Z", None, "resolved")),
    })

    assert api.get(f"/pages/acme/services/{service.pk}").json()["start_date"] == "2026-08-01"
