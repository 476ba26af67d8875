"""Pages on the Runstatus API: list, create, read, change and delete, with each persona."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Membership, Page, Role, Service
from heliograph.domain.vocab import State, Status
from heliograph.runstatus.models import Credential
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/runstatus"
PAGE_KEYS = {
    "id", "url", "created", "subdomain", "title", "ok_text", "time_zone", "domain", "dark_theme",
    "support_email", "twitter_username", "logo", "header_background", "gradient_start",
    "gradient_end", "title_color", "state", "public_url", "services_url", "incidents_url",
    "maintenances_url",
}


def test_list_pages_shape(api: RunstatusClient, page: Page) -> None:
    response = api.get("/pages")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    [listed] = body["results"]
    assert set(listed) == PAGE_KEYS
    assert listed["id"] == page.pk
    assert listed["url"] == f"{BASE}/pages/acme"
    assert listed["services_url"] == f"{BASE}/pages/acme/services"
    assert listed["incidents_url"] == f"{BASE}/pages/acme/incidents"
    assert listed["maintenances_url"] == f"{BASE}/pages/acme/maintenances"
    assert listed["public_url"] == "http://acme.localhost:8000/"
    assert listed["created"].endswith("Z")
    assert listed["state"] == "operational"


def test_list_pages_follows_roles(client_for: Callable[..., RunstatusClient], page: Page,
                                  editor: User, viewer: User, outsider: User,
                                  owner: User) -> None:
    """Editors and owners see the page; a viewer and an outsider do not."""
    def listed(user: User) -> list[str]:
        return [item["subdomain"] for item in client_for(user).get("/pages").json()["results"]]

    seen = {"owner": listed(owner), "editor": listed(editor), "viewer": listed(viewer),
            "outsider": listed(outsider)}

    assert seen == {"owner": ["acme"], "editor": ["acme"], "viewer": [], "outsider": ["other"]}


def test_list_pages_of_restricted_key(client_for: Callable[..., RunstatusClient],
                                      make_page: Callable[..., Page], owner: User) -> None:
    acme, beta = make_page("acme"), make_page("beta")
    restricted = client_for(owner, [beta])

    listed = [item["subdomain"] for item in restricted.get("/pages").json()["results"]]

    assert acme.slug not in listed
    assert listed == ["beta"]


def test_page_state_follows_banner(api: RunstatusClient, page: Page, actor: Actor) -> None:
    incidents.open_incident(page, title="Slow", text="Slow.", state=State.DEGRADED_PERFORMANCE,
                            status=Status.INVESTIGATING, actor=actor)

    listed = api.get("/pages").json()["results"][0]
    detail = api.get("/pages/acme").json()

    assert listed["state"] == "degraded_performance"
    assert detail["state"] == "degraded_performance"


def test_page_detail_embeds_lists(api: RunstatusClient, page: Page, actor: Actor,
                                  add_service: Callable[..., Service]) -> None:
    api_service = add_service("API")
    incident = incidents.open_incident(page, title="Errors", text="Errors.",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       services=[api_service], actor=actor)

    response = api.get("/pages/acme")

    body = response.json()
    assert set(body) == PAGE_KEYS | {"services", "incidents", "maintenances"}
    assert body["services"] == [{"url": f"{BASE}/pages/acme/services/{api_service.pk}",
                                 "name": "API", "state": "major_outage"}]
    assert [item["id"] for item in body["incidents"]] == [incident.pk]
    assert body["incidents"][0]["end_date"] is None
    assert body["maintenances"] == []


def test_page_detail_embeds_every_open_incident(api: RunstatusClient, page: Page,
                                                actor: Actor) -> None:
    """Open incidents are embedded even when more than the recent ones closed after them."""
    first = incidents.open_incident(page, title="Long one", text="x", state=State.PARTIAL_OUTAGE,
                                    status=Status.INVESTIGATING, actor=actor)
    for number in range(21):
        later = incidents.open_incident(page, title=f"Short {number}", text="x",
                                        state=State.PARTIAL_OUTAGE,
                                        status=Status.INVESTIGATING, actor=actor)
        incidents.close_incident(later, actor=actor)

    embedded = api.get("/pages/acme").json()["incidents"]

    assert len(embedded) == 21
    assert embedded[-1]["id"] == first.pk
    assert embedded[-1]["end_date"] is None


def test_page_colours_and_theme(api: RunstatusClient, page: Page, actor: Actor) -> None:
    pages.update_page(page, {"header_background": "#102030", "header_text_color": "#ffffff",
                             "theme": "dark", "custom_domain": "status.acme.test",
                             "support_email": "help@acme.test", "twitter_username": "acme"},
                      actor=actor)

    body = api.get("/pages/acme").json()

    assert body["header_background"] == "16,32,48,1"
    assert body["gradient_start"] == "16,32,48,1"
    assert body["title_color"] == "255,255,255,1"
    assert body["dark_theme"] is True
    assert body["domain"] == "status.acme.test"
    assert body["public_url"] == "http://status.acme.test/"
    assert body["support_email"] == "help@acme.test"
    assert body["twitter_username"] == "acme"


def test_create_page_owned_by_key_user(api: RunstatusClient, owner: User) -> None:
    response = api.post("/pages", {"name": "ignored", "subdomain": "beta"})

    assert response.status_code == 201
    body = response.json()
    assert body["subdomain"] == "beta"
    assert body["title"] == "beta"
    assert body["url"] == f"{BASE}/pages/beta"
    assert body["services"] == []
    created = Page.objects.get(slug="beta")
    assert Membership.objects.get(page=created).user == owner
    assert Membership.objects.get(page=created).role == Role.OWNER
    assert AuditEntry.objects.filter(page=created, action="page.create").exists()
    assert "Runstatus key" in AuditEntry.objects.get(page=created).actor_label


def test_create_page_with_settings(api: RunstatusClient) -> None:
    response = api.post("/pages", {"subdomain": "beta", "title": "Beta status",
                                   "ok_text": "Fine", "time_zone": "Europe/Zurich",
                                   "dark_theme": True, "title_color": "0,0,0,1"})

    assert response.status_code == 201
    created = Page.objects.get(slug="beta")
    assert created.title == "Beta status"
    assert created.default_status_message == "Fine"
    assert created.time_zone == "Europe/Zurich"
    assert created.theme == "dark"
    assert created.header_text_color == "#000000"


def test_create_page_joins_restricted_key(client_for: Callable[..., RunstatusClient],
                                          page: Page, owner: User) -> None:
    restricted = client_for(owner, [page])

    restricted.post("/pages", {"subdomain": "beta"})

    credential = Credential.objects.get(key=restricted.key)
    assert sorted(credential.pages.values_list("slug", flat=True)) == ["acme", "beta"]
    assert restricted.get("/pages/beta").status_code == 200


def test_create_page_needs_subdomain(api: RunstatusClient) -> None:
    response = api.post("/pages", {"title": "No subdomain"})

    assert response.status_code == 400
    assert response.json() == {"subdomain": ["This field is required."]}


@pytest.mark.parametrize(("subdomain", "fragment"), [
    ("acme", "already taken"),
    ("Not A Slug", "not a valid slug"),
    ("runstatus", "reserved"),
])
def test_create_page_bad_subdomain(api: RunstatusClient, page: Page, subdomain: str,
                                   fragment: str) -> None:
    response = api.post("/pages", {"subdomain": subdomain})

    assert response.status_code == 400
    assert list(response.json()) == ["subdomain"]
    assert fragment in response.json()["subdomain"][0]
    assert Page.objects.count() == 1


def test_create_page_lists_every_bad_field(api: RunstatusClient) -> None:
    response = api.post("/pages", {"subdomain": 5, "dark_theme": "yes",
                                   "header_background": "300,0,0,1"})

    assert response.status_code == 400
    assert set(response.json()) == {"subdomain", "dark_theme", "header_background"}


def test_update_page_fields(api: RunstatusClient, page: Page) -> None:
    response = api.patch("/pages/acme", {"title": "Acme Status", "ok_text": "All good",
                                         "domain": "status.acme.test",
                                         "time_zone": "America/Chicago",
                                         "header_background": "#0A0B0C"})

    assert response.status_code == 200
    assert response.json()["title"] == "Acme Status"
    page.refresh_from_db()
    assert page.title == "Acme Status"
    assert page.default_status_message == "All good"
    assert page.custom_domain == "status.acme.test"
    assert page.time_zone == "America/Chicago"
    assert page.header_background == "#0a0b0c"
    entry = AuditEntry.objects.filter(page=page, action="page.update").get()
    assert entry.after["title"] == "Acme Status"


def test_update_page_clears_domain(api: RunstatusClient, page: Page, actor: Actor) -> None:
    pages.update_page(page, {"custom_domain": "status.acme.test"}, actor=actor)

    api.patch("/pages/acme", {"domain": None})

    page.refresh_from_db()
    assert page.custom_domain is None


def test_update_page_light_theme(api: RunstatusClient, page: Page, actor: Actor) -> None:
    pages.update_page(page, {"theme": "dark"}, actor=actor)

    api.patch("/pages/acme", {"dark_theme": False})

    page.refresh_from_db()
    assert page.theme == "light"


def test_update_page_ignores_read_only_fields(api: RunstatusClient, page: Page) -> None:
    body = api.get("/pages/acme").json()
    body["title"] = "Renamed"

    response = api.patch("/pages/acme", body)

    assert response.status_code == 200
    page.refresh_from_db()
    assert page.title == "Renamed"


def test_update_page_subdomain_immutable(api: RunstatusClient, page: Page) -> None:
    response = api.patch("/pages/acme", {"subdomain": "renamed", "title": "New"})

    assert response.status_code == 400
    assert "cannot change" in response.json()["subdomain"][0]
    page.refresh_from_db()
    assert page.slug == "acme"
    assert page.title == "Acme"


@pytest.mark.parametrize(("body", "field"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"domain": "not a domain"}, "domain"),
    ({"ok_text": ""}, "ok_text"),
    ({"title": "x" * 201}, "title"),
    ({"support_email": "nope"}, "support_email"),
    ({"header_background": "10,20,30,0.5"}, "header_background"),
])
def test_update_page_rejects_bad_value(api: RunstatusClient, page: Page, body: dict[str, Any],
                                       field: str) -> None:
    response = api.patch("/pages/acme", body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    page.refresh_from_db()
    assert page.time_zone == "UTC"
    assert page.title == "Acme"


def test_update_page_needs_owner(client_for: Callable[..., RunstatusClient], page: Page,
                                 editor: User) -> None:
    response = client_for(editor).patch("/pages/acme", {"title": "Mine"})

    assert response.status_code == 403
    assert "owner role" in response.json()["detail"]
    page.refresh_from_db()
    assert page.title == "Acme"


def test_delete_page(api: RunstatusClient, page: Page) -> None:
    response = api.delete("/pages/acme")

    assert response.status_code == 204
    assert response.content == b""
    assert not Page.objects.filter(slug="acme").exists()


def test_delete_page_needs_owner(client_for: Callable[..., RunstatusClient], page: Page,
                                 editor: User) -> None:
    response = client_for(editor).delete("/pages/acme")

    assert response.status_code == 403
    assert Page.objects.filter(slug="acme").exists()


def test_editor_reads_page(client_for: Callable[..., RunstatusClient], page: Page,
                           editor: User) -> None:
    assert client_for(editor).get("/pages/acme").status_code == 200


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_page_not_managed_forbidden(client_for: Callable[..., RunstatusClient], page: Page,
                                    request: pytest.FixtureRequest, persona: str) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).get("/pages/acme")

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}


def test_restricted_key_forbidden_elsewhere(client_for: Callable[..., RunstatusClient],
                                            make_page: Callable[..., Page],
                                            owner: User) -> None:
    make_page("acme")
    beta = make_page("beta")

    response = client_for(owner, [beta]).get("/pages/acme")

    assert response.status_code == 403
    assert "restricted" in response.json()["detail"]


def test_restricted_key_with_deleted_pages_manages_nothing(
        client_for: Callable[..., RunstatusClient], make_page: Callable[..., Page],
        owner: User) -> None:
    make_page("acme")
    beta = make_page("beta")
    restricted = client_for(owner, [beta])
    beta.delete()

    assert restricted.get("/pages").json()["count"] == 0
    assert restricted.get("/pages/acme").status_code == 403


def test_unknown_page_not_found(api: RunstatusClient, page: Page) -> None:
    response = api.get("/pages/nothing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_trailing_slash_accepted(api: RunstatusClient, page: Page) -> None:
    assert api.get("/pages/acme/").status_code == 200
    assert api.get("/pages/").status_code == 200


def test_maintenance_state_reported_operational(api: RunstatusClient, page: Page,
                                                actor: Actor,
                                                add_service: Callable[..., Service]) -> None:
    """Runstatus knew four states; a service under maintenance is reported operational."""
    database = add_service("Database")
    now = timezone.now()
    work = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1), services=[database], actor=actor)
    maintenances.post_event(work, text="Started.", actor=actor)

    body = api.get("/pages/acme").json()

    assert body["services"][0]["state"] == "operational"
    assert body["state"] == "operational"
    assert body["maintenances"][0]["status"] == "in-progress"
