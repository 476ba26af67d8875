"""Services over the API: list with states, add, read, change and remove."""

from __future__ import annotations

import datetime as dt

import pytest

from heliograph.domain.models import AuditEntry, Incident, Service, ServiceGroup
from tests.api.support import assert_error, audit_actions, page_record

pytestmark = pytest.mark.django_db

SERVICE_KEYS = {"id", "name", "description", "group", "position", "start_date", "state",
                "created_at"}


def test_service_add(clock, api, page):
    response = api.post("/pages/acme/services", {
        "name": "API", "description": "The public REST API.", "group": "Backend",
    })

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SERVICE_KEYS
    assert body["name"] == "API"
    assert body["description"] == "The public REST API."
    assert body["group"] == "Backend"
    assert body["position"] == 0
    assert body["start_date"] == "2026-11-03"
    assert body["state"] == "operational"
    assert Service.objects.get(pk=body["id"]).page == page
    assert audit_actions(page)[-2:] == ["group.add", "service.add"]


def test_service_start_date_is_local_today(clock, make_page, api_for, owner):
    """At 14:00 UTC it is already the next day in Sydney (UTC+11 in November)."""
    clock.move_to(dt.datetime(2026, 11, 3, 14, 0, tzinfo=dt.UTC))
    sydney = make_page("sydney", time_zone="Australia/Sydney")
    client = api_for(owner, [sydney])

    body = client.post("/pages/sydney/services", {"name": "API"}).json()

    assert body["start_date"] == "2026-11-04"


def test_service_start_date_given(api):
    body = api.post("/pages/acme/services", {"name": "API", "start_date": "2025-01-31"}).json()

    assert body["start_date"] == "2025-01-31"


def test_service_positions_follow_order(api):
    names = ["API", "Website", "Database"]
    for name in names:
        api.post("/pages/acme/services", {"name": name})

    listed = api.get("/pages/acme/services").json()["items"]

    assert [item["name"] for item in listed] == names
    assert [item["position"] for item in listed] == [0, 1, 2]


def test_service_group_reused_ignoring_case(api, page):
    first = api.post("/pages/acme/services", {"name": "API", "group": "Backend"}).json()
    second = api.post("/pages/acme/services", {"name": "Database", "group": "backend"}).json()

    assert first["group"] == second["group"] == "Backend"
    assert ServiceGroup.objects.filter(page=page).count() == 1


def test_service_group_reused_outside_ascii(api, page):
    api.post("/pages/acme/services", {"name": "API", "group": "Zürich"})
    second = api.post("/pages/acme/services", {"name": "Database", "group": "Zürich"})

    assert second.status_code == 201, second.content
    assert second.json()["group"] == "Zürich"
    assert ServiceGroup.objects.filter(page=page).count() == 1


def test_service_list_shows_states(api, add_service):
    api_service = add_service("API")
    add_service("Website")
    api.post("/pages/acme/incidents", {
        "title": "Slow", "text": "Slow.", "state": "degraded_performance",
        "status": "investigating", "services": [api_service.pk],
    })

    listed = api.get("/pages/acme/services").json()

    assert listed["next_cursor"] is None
    assert {item["name"]: item["state"] for item in listed["items"]} == {
        "API": "degraded_performance", "Website": "operational"}


def test_service_read(api, add_service):
    service = add_service("API", description="REST.")

    body = api.get(f"/pages/acme/services/{service.pk}").json()

    assert body["id"] == service.pk
    assert body["name"] == "API"
    assert body["description"] == "REST."
    assert body["group"] is None
    assert body["state"] == "operational"


def test_service_update_records_change(api, page, add_service):
    service = add_service("API", start_date=dt.date(2026, 1, 1))

    response = api.patch(f"/pages/acme/services/{service.pk}", {
        "name": "Public API", "description": "v2", "group": "Backend", "position": 5,
        "start_date": "2025-06-01",
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Public API"
    assert body["description"] == "v2"
    assert body["group"] == "Backend"
    assert body["position"] == 5
    assert body["start_date"] == "2025-06-01"
    entry = AuditEntry.objects.filter(page=page, action="service.update").get()
    assert entry.before["name"] == "API"
    assert entry.after["name"] == "Public API"
    assert entry.after["start_date"] == "2025-06-01"


def test_service_group_removed_by_null_or_empty(api, add_service):
    service = add_service("API")
    for value in [None, ""]:
        api.patch(f"/pages/acme/services/{service.pk}", {"group": "Backend"})

        body = api.patch(f"/pages/acme/services/{service.pk}", {"group": value}).json()

        assert body["group"] is None


def test_service_update_keeps_left_out_keys(api, add_service):
    service = add_service("API", description="REST.")

    body = api.patch(f"/pages/acme/services/{service.pk}", {"position": 3}).json()

    assert body["name"] == "API"
    assert body["description"] == "REST."


@pytest.mark.parametrize("field", ["name", "position", "start_date"])
def test_service_update_null_rejected(api, page, add_service, field):
    service = add_service("API")
    before = page_record(page)

    response = api.patch(f"/pages/acme/services/{service.pk}", {field: None})

    body = assert_error(response, 422, "invalid", field)
    assert "must not be null" in body["message"]
    assert page_record(page) == before


def test_service_remove_keeps_incidents(api, page, add_service):
    service = add_service("API")
    opened = api.post("/pages/acme/incidents", {
        "title": "Down", "text": "Down.", "state": "major_outage", "status": "investigating",
        "services": [service.pk],
    }).json()

    response = api.delete(f"/pages/acme/services/{service.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Service.objects.filter(pk=service.pk).exists()
    assert Incident.objects.get(pk=opened["id"]).services.count() == 0
    assert api.get(f"/pages/acme/incidents/{opened['id']}").json()["services"] == []
    assert audit_actions(page)[-1] == "service.remove"
    assert_error(api.get(f"/pages/acme/services/{service.pk}"), 404, "not_found")
