"""Drive one incident from open to close over HTTP and read back the page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

pytestmark = pytest.mark.django_db


def test_incident_open_update_close(api, add_service):
    api_service = add_service("API")
    database = add_service("Database")

    opened = api.post("/pages/acme/incidents", {
        "title": "Elevated errors", "text": "We are looking into it.",
        "state": "major_outage", "status": "investigating",
        "services": [api_service.pk, database.pk],
    })
    assert opened.status_code == 201, opened.content
    incident = opened.json()
    assert incident["state"] == "major_outage"
    assert len(incident["events"]) == 1

    status = api.get("/pages/acme/status").json()
    assert status["banner"] == {"message": "Elevated errors", "state": "major_outage",
                                "incidents": [incident["id"]]}
    assert {s["name"]: s["state"] for s in status["services"]} == {
        "API": "major_outage", "Database": "major_outage"}

    partial = api.post(f"/pages/acme/incidents/{incident['id']}/events", {
        "text": "Database recovered.", "state": "partial_outage", "status": "identified",
        "services": [api_service.pk],
    })
    assert partial.status_code == 201, partial.content
    states = {s["name"]: s["state"] for s in api.get("/pages/acme/status").json()["services"]}
    assert states == {"API": "partial_outage", "Database": "operational"}

    closed = api.post(f"/pages/acme/incidents/{incident['id']}/close", {"text": "Fixed."})
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["closed_at"] is not None
    assert [e["status"] for e in body["events"]] == ["resolved", "identified", "investigating"]

    again = api.post(f"/pages/acme/incidents/{incident['id']}/close", {})
    assert again.status_code == 409
    assert again.json()["code"] == "incident_already_closed"

    status = api.get("/pages/acme/status").json()
    assert status["banner"]["state"] == "operational"
    assert status["banner"]["message"] == "All systems operational"


def test_outages_after_backfill(api, add_service, page):
    service = add_service("API", start_date=dt.date(2026, 1, 1))
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        response = api.post("/pages/acme/incidents/backfill", {
            "title": "Night outage", "services": [service.pk],
            "events": [
                {"at": "2026-02-10T23:40:00+00:00", "state": "major_outage",
                 "status": "investigating", "text": "Down."},
                {"at": "2026-02-11T00:40:00+00:00", "status": "resolved", "text": "Up."},
            ],
        })
        assert response.status_code == 201, response.content
        figures = api.get("/pages/acme/outages?start=2026-02-10&end=2026-02-11").json()
    days = figures["services"][0]["days"]
    assert [d["major_outage"] for d in days] == [20, 40]
    assert [d["minutes"] for d in days] == [1440, 1440]
