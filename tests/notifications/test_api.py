"""GET /api/v1/pages/{slug}/incidents/{id}/deliveries."""

from __future__ import annotations

import pytest

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import sending
from heliograph.notifications.channels import TemporaryFailure
from tests.api.conftest import ApiClient
from tests.notifications.conftest import ScriptedChannel

pytestmark = pytest.mark.django_db


def client(user: User, pages: list[Page], *, write: bool = False) -> ApiClient:
    _, raw = ApiToken.issue(user, pages, can_write=write)
    return ApiClient(raw)


@pytest.fixture
def incident(page: Page, actor: Actor, scripted: ScriptedChannel) -> Incident:
    scripted.people = ["ann"]
    scripted.failures = [TemporaryFailure("421 busy")]
    incident = incidents.open_incident(
        page, title="Login errors", text="Looking into it.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, actor=actor,
    )
    sending.send_due()
    return incident


def url(incident: Incident, slug: str = "acme") -> str:
    return f"/pages/{slug}/incidents/{incident.pk}/deliveries"


def test_list_returns_deliveries_with_attempts(
    viewer: User, page: Page, incident: Incident
) -> None:
    response = client(viewer, [page]).get(url(incident))

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["channel"] == "scripted"
    assert item["recipient"] == "ann@example.com"
    assert item["kind"] == "incident.event"
    assert item["event_id"] == incident.latest_event_id
    assert item["status"] == "pending"
    assert item["attempt_count"] == 1
    assert item["last_error"] == "TemporaryFailure: 421 busy"
    [attempt] = item["attempts"]
    assert attempt["outcome"] == "retry"
    assert attempt["error"] == "TemporaryFailure: 421 busy"
    assert attempt["duration_ms"] >= 0


def test_list_pages_with_cursor(
    owner: User, page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    scripted.people = [f"person{n}" for n in range(5)]
    incident = incidents.open_incident(
        page, title="Errors", text="Looking.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, actor=actor,
    )
    api = client(owner, [page])

    first = api.get(url(incident) + "?limit=3").json()
    second = api.get(url(incident) + f"?limit=3&cursor={first['next_cursor']}").json()

    assert len(first["items"]) == 3
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(set(ids)) == 5


def test_outsider_gets_404(outsider: User, page: Page, incident: Incident) -> None:
    other = Page.objects.get(slug="other")
    api = client(outsider, [other])

    assert api.get(url(incident)).status_code == 404
    assert api.get(url(incident, "other")).status_code == 404


def test_unknown_incident_gets_404(owner: User, page: Page, incident: Incident) -> None:
    response = client(owner, [page]).get(f"/pages/acme/incidents/{incident.pk + 1}/deliveries")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_missing_token_gets_401(page: Page, incident: Incident) -> None:
    assert ApiClient(None).get(url(incident)).status_code == 401


def test_openapi_lists_route(owner: User, page: Page) -> None:
    document = client(owner, [page]).get("/api/v1/openapi.json").json()

    assert "/api/v1/pages/{slug}/incidents/{incident_id}/deliveries" in document["paths"]
