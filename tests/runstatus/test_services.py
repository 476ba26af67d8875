"""Services on the Runstatus API: list, add, read and remove, by persona."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from heliograph.accounts.models import User
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Incident, Page, Service
from heliograph.domain.vocab import State, Status
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/runstatus/pages/acme/services"


def test_list_services_in_page_order(api: RunstatusClient, page: Page, actor: Actor,
                                     add_service: Callable[..., Service]) -> None:
    api_service, website = add_service("API"), add_service("Website")
    incidents.open_incident(page, title="Slow", text="x", state=State.PARTIAL_OUTAGE,
                            status=Status.IDENTIFIED, services=[website], actor=actor)

    response = api.get("/pages/acme/services")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {"url": f"{BASE}/{api_service.pk}", "name": "API", "state": "operational"},
        {"url": f"{BASE}/{website.pk}", "name": "Website", "state": "partial_outage"},
    ]


def test_add_service(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/services", {"name": "Database"})

    assert response.status_code == 201
    service = Service.objects.get(page=page)
    assert response.json() == {"url": f"{BASE}/{service.pk}", "name": "Database",
                               "state": "operational"}
    assert AuditEntry.objects.filter(page=page, action="service.add").exists()


def test_add_service_needs_name(api: RunstatusClient, page: Page) -> None:
    response = api.post("/pages/acme/services", {})

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_add_duplicate_service_rejected(api: RunstatusClient, page: Page,
                                        add_service: Callable[..., Service]) -> None:
    add_service("API")

    response = api.post("/pages/acme/services", {"name": "api"})

    assert response.status_code == 400
    assert "already exists" in response.json()["name"][0]
    assert Service.objects.filter(page=page).count() == 1


def test_get_service(api: RunstatusClient, page: Page,
                     add_service: Callable[..., Service]) -> None:
    service = add_service("API")

    response = api.get(f"/pages/acme/services/{service.pk}")

    assert response.status_code == 200
    assert response.json() == {"url": f"{BASE}/{service.pk}", "name": "API",
                               "state": "operational"}


def test_service_url_is_followable(api: RunstatusClient, page: Page) -> None:
    """Clients delete a service through the `url` they were given."""
    url = api.post("/pages/acme/services", {"name": "API"}).json()["url"]

    assert api.get(url).status_code == 200
    assert api.delete(url).status_code == 204


def test_remove_service_keeps_incidents(api: RunstatusClient, page: Page, actor: Actor,
                                        add_service: Callable[..., Service]) -> None:
    service = add_service("API")
    incident = incidents.open_incident(page, title="Down", text="x", state=State.MAJOR_OUTAGE,
                                       status=Status.INVESTIGATING, services=[service],
                                       actor=actor)

    response = api.delete(f"/pages/acme/services/{service.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Service.objects.filter(pk=service.pk).exists()
    assert Incident.objects.get(pk=incident.pk).services.count() == 0
    assert AuditEntry.objects.filter(page=page, action="service.remove").exists()


@pytest.mark.parametrize("service_id", ["999999", "abc", "99999999999999999999999"])
def test_unknown_service_not_found(api: RunstatusClient, page: Page, service_id: str) -> None:
    assert api.get(f"/pages/acme/services/{service_id}").status_code == 404
    assert api.delete(f"/pages/acme/services/{service_id}").status_code == 404


def test_service_of_other_page_not_found(api: RunstatusClient, page: Page,
                                         make_page: Callable[..., Page],
                                         add_service: Callable[..., Service]) -> None:
    beta = make_page("beta")
    theirs = add_service("API", on=beta)

    assert api.get(f"/pages/acme/services/{theirs.pk}").status_code == 404
    assert api.delete(f"/pages/acme/services/{theirs.pk}").status_code == 404
    assert Service.objects.filter(pk=theirs.pk).exists()


def test_editor_manages_services(client_for: Callable[..., RunstatusClient], page: Page,
                                 editor: User) -> None:
    editor_api = client_for(editor)

    created = editor_api.post("/pages/acme/services", {"name": "API"})

    assert created.status_code == 201
    assert editor_api.delete(created.json()["url"]).status_code == 204


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_services_forbidden_without_write_role(client_for: Callable[..., RunstatusClient],
                                               page: Page, request: pytest.FixtureRequest,
                                               persona: str,
                                               add_service: Callable[..., Service]) -> None:
    service = add_service("API")
    stranger = client_for(request.getfixturevalue(persona))

    assert stranger.get("/pages/acme/services").status_code == 403
    assert stranger.post("/pages/acme/services", {"name": "Mine"}).status_code == 403
    assert stranger.delete(f"/pages/acme/services/{service.pk}").status_code == 403
    assert list(Service.objects.filter(page=page).values_list("name", flat=True)) == ["API"]
