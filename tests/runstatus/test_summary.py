"""The public `api.json` of a page: what Runstatus served without a credential."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from heliograph.domain.vocab import State, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(page: Page, actor: Actor, add_service: Callable[..., Service]) -> dict[str, Any]:
    """The page with two services, an open and a closed incident, and four maintenances."""
    now = timezone.now()
    api, database = add_service("API"), add_service("Database")
    still_open = incidents.open_incident(page, title="API errors", text="Failing.",
                                         state=State.PARTIAL_OUTAGE,
                                         status=Status.IDENTIFIED, services=[api], actor=actor)
    closed = incidents.open_incident(page, title="Old", text="x", state=State.MAJOR_OUTAGE,
                                     status=Status.INVESTIGATING, actor=actor)
    incidents.close_incident(closed, actor=actor)

    def window(title: str, start_hours: float, end_hours: float) -> Any:
        return maintenances.schedule_maintenance(
            page, title=title, description="Work.", services=[database], actor=actor,
            starts_at=now + dt.timedelta(hours=start_hours),
            ends_at=now + dt.timedelta(hours=end_hours))

    upcoming = window("Upcoming", 24, 26)
    running = window("Running", -1, 1)
    maintenances.post_event(running, text="Started.", actor=actor)
    done = window("Done", -5, -4)
    maintenances.close_maintenance(done, actor=actor)
    window("Overdue", -3, -2)
    return {"incident": still_open, "upcoming": upcoming, "running": running}


def test_summary_shape(filled: dict[str, Any]) -> None:
    response = Client().get("/p/acme/api.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "incidents", "upcoming_maintenances", "url"}
    assert body["url"] == "http://acme.localhost:8000/"
    assert body["status"] == {"API": {"state": "partial_outage"},
                              "Database": {"state": "operational"}}
    [incident] = body["incidents"]
    assert incident["id"] == filled["incident"].pk
    assert incident["url"] == f"http://acme.localhost:8000/incidents/{filled['incident'].pk}"
    assert "events_url" not in incident
    assert incident["status_text"] == "Failing."
    assert incident["start_date"].endswith("Z")
    assert [item["title"] for item in body["upcoming_maintenances"]] == ["Running", "Upcoming"]
    assert [item["status"] for item in body["upcoming_maintenances"]] == ["in-progress",
                                                                         "scheduled"]
    assert body["upcoming_maintenances"][1]["url"] == (
        f"http://acme.localhost:8000/maintenances/{filled['upcoming'].pk}")


def test_summary_needs_no_credential_and_allows_any_origin(filled: dict[str, Any]) -> None:
    response = Client().get("/p/acme/api.json", headers={"Origin": "https://elsewhere.test"})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_summary_at_page_host(filled: dict[str, Any]) -> None:
    response = Client(HTTP_HOST="acme.localhost").get("/api.json")

    assert response.status_code == 200
    assert "API" in response.json()["status"]


def test_summary_of_private_page_not_found(page: Page, actor: Actor) -> None:
    pages.update_page(page, {"is_private": True}, actor=actor)

    assert Client().get("/p/acme/api.json").status_code == 404


def test_summary_of_unknown_page_not_found(db: None) -> None:
    assert Client().get("/p/nothing/api.json").status_code == 404


def test_summary_revalidates_with_etag(filled: dict[str, Any], page: Page, actor: Actor) -> None:
    client = Client()
    first = client.get("/p/acme/api.json")

    unchanged = client.get("/p/acme/api.json", headers={"If-None-Match": first["ETag"]})
    incidents.close_incident(filled["incident"], actor=actor)
    changed = client.get("/p/acme/api.json", headers={"If-None-Match": first["ETag"]})

    assert first["Cache-Control"] == "no-cache"
    assert unchanged.status_code == 304
    assert unchanged["Access-Control-Allow-Origin"] == "*"
    assert changed.status_code == 200
    assert changed.json()["incidents"] == []
    assert changed["ETag"] != first["ETag"]


def test_summary_rejects_post(filled: dict[str, Any]) -> None:
    response = Client().post("/p/acme/api.json")

    assert response.status_code == 405


def test_summary_reports_maintenance_as_operational(filled: dict[str, Any]) -> None:
    """Database is under maintenance; Runstatus had no such state."""
    body = Client().get("/p/acme/api.json").json()

    assert body["status"]["Database"] == {"state": "operational"}


def test_summary_keeps_hostile_names_as_data(page: Page, actor: Actor,
                                             add_service: Callable[..., Service]) -> None:
    name = '</script><img src=x onerror="alert(1)">'
    add_service(name)

    response = Client().get("/p/acme/api.json")

    assert response.json()["status"] == {name: {"state": "operational"}}
    assert response["X-Content-Type-Options"] == "nosniff"
