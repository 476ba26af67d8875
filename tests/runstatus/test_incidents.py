"""Incidents and their events on the Runstatus API, through the domain's rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from heliograph.accounts.models import User
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Incident, Page, Service
from heliograph.domain.vocab import State, Status
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/runstatus/pages/acme/incidents"
NOW = dt.datetime(2026, 10, 25, 0, 30, 0, 250000, tzinfo=dt.UTC)
INCIDENT_KEYS = {"id", "url", "title", "services", "state", "status", "status_text",
                 "start_date", "end_date", "events", "events_url", "post_mortem", "real_time"}


@pytest.fixture
def services(add_service: Callable[..., Service]) -> list[Service]:
    return [add_service("API"), add_service("Website")]


def opened(api: RunstatusClient, **changes: Any) -> Any:
    body = {"title": "API errors", "status_text": "Some requests fail.",
            "state": "partial_outage", "status": "investigating", "services": ["API"]} | changes
    return api.post("/pages/acme/incidents", body)


def test_open_incident(api: RunstatusClient, page: Page, services: list[Service]) -> None:
    with time_machine.travel(NOW, tick=False):
        response = opened(api)

    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(page=page)
    assert set(body) == INCIDENT_KEYS
    assert body["id"] == incident.pk
    assert body["url"] == f"{BASE}/{incident.pk}"
    assert body["events_url"] == f"{BASE}/{incident.pk}/events"
    assert body["services"] == ["API"]
    assert body["state"] == "partial_outage"
    assert body["status"] == "investigating"
    assert body["status_text"] == "Some requests fail."
    assert body["start_date"] == "2026-10-25T00:30:00.250000Z"
    assert body["end_date"] is None
    assert body["post_mortem"] is None
    assert body["real_time"] is True
    assert body["events"] == [{"created": "2026-10-25T00:30:00.250000Z",
                               "text": "Some requests fail.", "status": "investigating",
                               "state": "partial_outage"}]
    assert list(incident.services.all()) == services[:1]
    assert AuditEntry.objects.filter(page=page, action="incident.open").exists()


def test_open_incident_names_services_any_case(api: RunstatusClient, page: Page,
                                               services: list[Service]) -> None:
    response = opened(api, services=["website", "\uff21\uff30\uff29", "Website"])

    assert response.status_code == 201
    assert response.json()["services"] == ["API", "Website"]


def test_open_incident_without_services(api: RunstatusClient, page: Page) -> None:
    response = opened(api, services=[])

    assert response.status_code == 201
    assert response.json()["services"] == []


def test_open_incident_unknown_service(api: RunstatusClient, page: Page,
                                       services: list[Service]) -> None:
    response = opened(api, services=["API", "Billing"])

    assert response.status_code == 400
    [message] = response.json()["services"]
    assert "No service named 'Billing'" in message
    assert "API, Website" in message
    assert not Incident.objects.exists()


def test_open_incident_lists_missing_fields(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/incidents", {"services": "API"})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"title", "status_text", "state", "status", "services"}
    assert body["title"] == ["This field is required."]


@pytest.mark.parametrize(("changes", "field", "fragment"), [
    ({"state": "operational"}, "state", "cannot open as operational"),
    ({"status": "resolved"}, "status", "cannot open as resolved"),
    ({"state": "broken"}, "state", "not a valid state"),
    ({"status": "done"}, "status", "not a valid status"),
    ({"title": "   "}, "title", "must not be blank"),
    ({"title": "x" * 301}, "title", "maximum is 300"),
    ({"status_text": ""}, "status_text", "must not be blank"),
    ({"status_text": "x" * 20_001}, "status_text", "status_text is 20001 characters long"),
])
def test_open_incident_rejects(api: RunstatusClient, page: Page, services: list[Service],
                               changes: dict[str, Any], field: str, fragment: str) -> None:
    response = opened(api, **changes)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert fragment in response.json()[field][0]
    assert not Incident.objects.exists()


def test_list_incidents_newest_first(api: RunstatusClient, page: Page, actor: Actor) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        older = incidents.open_incident(page, title="Older", text="x",
                                        state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                        actor=actor)
        clock.shift(60)
        newer = incidents.open_incident(page, title="Newer", text="x",
                                        state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                        actor=actor)
        clock.shift(60)
        incidents.post_event(older, text="Later news", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

        body = api.get("/pages/acme/incidents").json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    assert [event["text"] for event in body["results"][1]["events"]] == ["Later news", "x"]


def test_get_incident(api: RunstatusClient, page: Page, actor: Actor) -> None:
    incident = incidents.open_incident(page, title="Down", text="x", state=State.MAJOR_OUTAGE,
                                       status=Status.INVESTIGATING, actor=actor)

    response = api.get(f"/pages/acme/incidents/{incident.pk}")

    assert response.status_code == 200
    assert response.json()["title"] == "Down"


def test_backfilled_incident_not_real_time(api: RunstatusClient, page: Page,
                                           actor: Actor) -> None:
    start = NOW - dt.timedelta(days=2)
    incident = incidents.backfill_incident(page, title="Past", services=[], actor=actor, events=[
        incidents.PastEvent(at=start, status=Status.INVESTIGATING, text="Broke.",
                            state=State.MAJOR_OUTAGE),
        incidents.PastEvent(at=start + dt.timedelta(hours=1), status=Status.RESOLVED,
                            text="Fixed."),
    ])

    body = api.get(f"/pages/acme/incidents/{incident.pk}").json()

    assert body["real_time"] is False
    assert body["end_date"] == "2026-10-23T01:30:00.250000Z"
    assert body["status_text"] == "Fixed."


def test_post_event(api: RunstatusClient, page: Page, services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.post(f"/pages/acme/incidents/{incident_id}/events",
                        {"text": "Found it.", "status": "identified", "state": "major_outage"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"created", "text", "status", "state"}
    assert body["text"] == "Found it."
    incident = Incident.objects.get(pk=incident_id)
    assert incident.status == Status.IDENTIFIED
    assert incident.state == State.MAJOR_OUTAGE
    assert AuditEntry.objects.filter(page=page, action="incident.event").exists()


def test_post_event_keeps_missing_state_and_status(api: RunstatusClient, page: Page,
                                                   services: list[Service]) -> None:
    incident_id = opened(api, state="major_outage", status="identified").json()["id"]

    response = api.post(f"/pages/acme/incidents/{incident_id}/events", {"text": "Still on it."})

    assert response.status_code == 201
    assert response.json()["state"] == "major_outage"
    assert response.json()["status"] == "identified"


def test_resolved_event_closes_incident(api: RunstatusClient, page: Page,
                                        services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.post(f"/pages/acme/incidents/{incident_id}/events",
                        {"text": "Fixed.", "status": "resolved"})

    assert response.status_code == 201
    assert response.json()["state"] == "operational"
    incident = Incident.objects.get(pk=incident_id)
    assert incident.closed_at is not None
    body = api.get(f"/pages/acme/incidents/{incident_id}").json()
    assert body["end_date"] is not None
    assert body["status"] == "resolved"
    assert body["events"][0]["text"] == "Fixed."
    assert AuditEntry.objects.filter(page=page, action="incident.close").exists()


def test_resolved_event_must_be_operational(api: RunstatusClient, page: Page,
                                            services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.post(f"/pages/acme/incidents/{incident_id}/events",
                        {"text": "Fixed?", "status": "resolved", "state": "major_outage"})

    assert response.status_code == 400
    assert "must be operational" in response.json()["state"][0]
    assert Incident.objects.get(pk=incident_id).closed_at is None


def test_event_on_closed_incident_rejected(api: RunstatusClient, page: Page,
                                           services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]
    api.post(f"/pages/acme/incidents/{incident_id}/events", {"text": "Fixed.",
                                                             "status": "resolved"})

    response = api.post(f"/pages/acme/incidents/{incident_id}/events",
                        {"text": "Again", "status": "investigating", "state": "major_outage"})

    assert response.status_code == 400
    assert "closed" in response.json()["detail"]
    assert Incident.objects.get(pk=incident_id).events.count() == 2


def test_post_event_needs_text(api: RunstatusClient, page: Page,
                               services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.post(f"/pages/acme/incidents/{incident_id}/events", {"status": "monitoring"})

    assert response.status_code == 400
    assert response.json() == {"text": ["This field is required."]}


def test_list_events_newest_first(api: RunstatusClient, page: Page, actor: Actor) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        incident = incidents.open_incident(page, title="Down", text="First",
                                           state=State.MAJOR_OUTAGE,
                                           status=Status.INVESTIGATING, actor=actor)
        clock.shift(30)
        incidents.post_event(incident, text="Second", state=State.PARTIAL_OUTAGE,
                             status=Status.MONITORING, actor=actor)

        body = api.get(f"/pages/acme/incidents/{incident.pk}/events").json()

    assert body["count"] == 2
    assert [event["text"] for event in body["results"]] == ["Second", "First"]
    assert body["results"][0]["created"] == "2026-10-25T00:30:30.250000Z"


def test_update_incident_title_and_services(api: RunstatusClient, page: Page,
                                            services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.patch(f"/pages/acme/incidents/{incident_id}",
                         {"title": "API and website errors", "services": ["API", "Website"]})

    assert response.status_code == 200
    assert response.json()["title"] == "API and website errors"
    assert response.json()["services"] == ["API", "Website"]
    incident = Incident.objects.get(pk=incident_id)
    assert sorted(incident.services.values_list("name", flat=True)) == ["API", "Website"]
    assert AuditEntry.objects.filter(page=page, action="incident.update").exists()


def test_update_incident_post_mortem(api: RunstatusClient, page: Page,
                                     services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    written = api.patch(f"/pages/acme/incidents/{incident_id}", {"post_mortem": "# Cause"})
    cleared = api.patch(f"/pages/acme/incidents/{incident_id}", {"post_mortem": None})

    assert written.json()["post_mortem"] == "# Cause"
    assert cleared.json()["post_mortem"] is None


def test_update_closed_incident_services_rejected(api: RunstatusClient, page: Page,
                                                  services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]
    api.post(f"/pages/acme/incidents/{incident_id}/events", {"text": "Fixed.",
                                                             "status": "resolved"})

    response = api.patch(f"/pages/acme/incidents/{incident_id}", {"services": ["Website"]})

    assert response.status_code == 400
    assert "closed incident" in response.json()["services"][0]


def test_closed_incident_sent_back_with_post_mortem(api: RunstatusClient, page: Page,
                                                    services: list[Service]) -> None:
    """A client reads a closed incident, adds a post-mortem and sends the object back."""
    incident_id = opened(api).json()["id"]
    api.post(f"/pages/acme/incidents/{incident_id}/events", {"text": "Fixed.",
                                                             "status": "resolved"})
    body = api.get(f"/pages/acme/incidents/{incident_id}").json()

    response = api.patch(f"/pages/acme/incidents/{incident_id}",
                         body | {"post_mortem": "# Cause\nA bad deploy."})

    assert response.status_code == 200, response.content
    assert response.json()["services"] == ["API"]
    incident = Incident.objects.get(pk=incident_id)
    assert incident.post_mortem == "# Cause\nA bad deploy."
    assert list(incident.services.values_list("name", flat=True)) == ["API"]


def test_delete_incident(api: RunstatusClient, page: Page, services: list[Service]) -> None:
    incident_id = opened(api).json()["id"]

    response = api.delete(f"/pages/acme/incidents/{incident_id}")

    assert response.status_code == 204
    assert not Incident.objects.filter(pk=incident_id).exists()
    assert AuditEntry.objects.filter(page=page, action="incident.delete").exists()


def test_delete_incident_needs_owner(client_for: Callable[..., RunstatusClient], page: Page,
                                     editor: User, services: list[Service]) -> None:
    editor_api = client_for(editor)
    incident_id = opened(editor_api).json()["id"]

    response = editor_api.delete(f"/pages/acme/incidents/{incident_id}")

    assert response.status_code == 403
    assert "owner role" in response.json()["detail"]
    assert Incident.objects.filter(pk=incident_id).exists()


def test_editor_runs_incident(client_for: Callable[..., RunstatusClient], page: Page,
                              editor: User, services: list[Service]) -> None:
    editor_api = client_for(editor)
    incident_id = opened(editor_api).json()["id"]

    resolved = editor_api.post(f"/pages/acme/incidents/{incident_id}/events",
                               {"text": "Fixed.", "status": "resolved"})

    assert resolved.status_code == 201
    entry = AuditEntry.objects.filter(page=page, action="incident.close").get()
    assert entry.actor_label.startswith("editor@example.com via Runstatus key hgrs_")


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_incidents_forbidden_without_write_role(client_for: Callable[..., RunstatusClient],
                                                page: Page, actor: Actor, persona: str,
                                                request: pytest.FixtureRequest) -> None:
    incident = incidents.open_incident(page, title="Down", text="x", state=State.MAJOR_OUTAGE,
                                       status=Status.INVESTIGATING, actor=actor)
    stranger = client_for(request.getfixturevalue(persona))
    path = f"/pages/acme/incidents/{incident.pk}"

    assert stranger.get("/pages/acme/incidents").status_code == 403
    assert opened(stranger, services=[]).status_code == 403
    assert stranger.get(path).status_code == 403
    assert stranger.patch(path, {"title": "Mine"}).status_code == 403
    assert stranger.post(f"{path}/events", {"text": "x"}).status_code == 403
    assert stranger.delete(path).status_code == 403
    assert Incident.objects.get().title == "Down"


def test_incident_of_other_page_not_found(api: RunstatusClient, page: Page,
                                          outsider: User) -> None:
    other = Page.objects.get(slug="other")
    theirs = incidents.open_incident(other, title="Theirs", text="x", state=State.MAJOR_OUTAGE,
                                     status=Status.INVESTIGATING, actor=Actor.of_user(outsider))

    assert api.get(f"/pages/acme/incidents/{theirs.pk}").status_code == 404
    assert api.post(f"/pages/acme/incidents/{theirs.pk}/events",
                    {"text": "x"}).status_code == 404
    assert api.delete(f"/pages/acme/incidents/{theirs.pk}").status_code == 404
    assert Incident.objects.get(pk=theirs.pk).events.count() == 1
