"""Pages over the API: list, create, read, change and delete, with their audit entries."""

from __future__ import annotations

import pytest

from heliograph.domain.models import AuditEntry, Incident, Membership, Page, Service
from tests.api.support import assert_error, audit_actions, page_record

pytestmark = pytest.mark.django_db

PAGE_KEYS = {
    "slug", "title", "default_status_message", "time_zone", "banner_color_rule", "theme",
    "language", "custom_domain", "header_background", "header_text_color", "main_site_url",
    "support_email", "is_private", "auto_maintenance", "subscriptions_enabled", "public_url",
    "role", "created_at", "updated_at",
}


def test_page_list_shape(api):
    response = api.get("/pages")

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert len(body["items"]) == 1
    assert set(body["items"][0]) == PAGE_KEYS
    assert body["items"][0]["slug"] == "acme"


def test_page_create(api, owner):
    response = api.post("/pages", {
        "slug": "globex", "title": "Globex", "time_zone": "Australia/Sydney",
        "banner_color_rule": "worst", "theme": "dark", "language": "de",
        "header_background": "#112233", "custom_domain": "Status.Globex.Example.",
        "default_status_message": "Alles in Ordnung",
    })

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PAGE_KEYS
    assert body["slug"] == "globex"
    assert body["time_zone"] == "Australia/Sydney"
    assert body["banner_color_rule"] == "worst"
    assert body["theme"] == "dark"
    assert body["language"] == "de"
    assert body["header_background"] == "#112233"
    assert body["custom_domain"] == "status.globex.example"
    assert body["public_url"] == "http://status.globex.example/"
    assert body["role"] == "owner"
    created = Page.objects.get(slug="globex")
    assert Membership.objects.get(page=created).user == owner
    assert audit_actions(created) == ["page.create"]


def test_page_create_defaults(api):
    body = api.post("/pages", {"slug": "initech", "title": "Initech"}).json()

    assert body["time_zone"] == "UTC"
    assert body["default_status_message"] == "All systems operational"
    assert body["banner_color_rule"] == "first_opened"
    assert body["custom_domain"] is None
    assert body["public_url"].startswith("http://initech.")


def test_page_create_read_only_token_is_403(api_for, owner, page):
    client = api_for(owner, [page], write=False)

    response = client.post("/pages", {"slug": "globex", "title": "Globex"})

    body = assert_error(response, 403, "forbidden", None)
    assert "read-only" in body["message"]
    assert not Page.objects.filter(slug="globex").exists()


def test_page_read(api, page):
    body = api.get("/pages/acme").json()

    assert body["slug"] == "acme"
    assert body["title"] == "Acme"
    assert body["role"] == "owner"


def test_page_role_shown_to_editor(api_for, editor, page):
    assert api_for(editor, [page]).get("/pages/acme").json()["role"] == "editor"


def test_page_update_records_change(api, page):
    response = api.patch("/pages/acme", {
        "title": "Acme Corp", "time_zone": "Europe/Berlin", "is_private": True,
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Acme Corp"
    assert body["time_zone"] == "Europe/Berlin"
    assert body["is_private"] is True
    entry = AuditEntry.objects.filter(page=page, action="page.update").get()
    assert entry.before == {"title": "Acme", "time_zone": "UTC", "is_private": False}
    assert entry.after == {"title": "Acme Corp", "time_zone": "Europe/Berlin", "is_private": True}
    assert entry.actor_label.startswith("owner@example.com via API token hg_")


def test_page_update_keeps_left_out_keys(api, page):
    api.patch("/pages/acme", {"default_status_message": "Fine", "theme": "light"})

    body = api.patch("/pages/acme", {"theme": "dark"}).json()

    assert body["default_status_message"] == "Fine"
    assert body["theme"] == "dark"


def test_page_update_without_change_writes_no_audit(api, page):
    before = AuditEntry.objects.filter(page=page).count()

    response = api.patch("/pages/acme", {"title": "Acme"})

    assert response.status_code == 200
    assert AuditEntry.objects.filter(page=page).count() == before


def test_page_custom_domain_cleared_with_null(api, page):
    api.patch("/pages/acme", {"custom_domain": "status.acme.example"})

    body = api.patch("/pages/acme", {"custom_domain": None}).json()

    assert body["custom_domain"] is None
    assert Page.objects.get(pk=page.pk).custom_domain is None


def test_page_custom_domain_taken(api, page, outsider):
    other = Page.objects.get(slug="other")
    other.custom_domain = "status.shared.example"
    other.save()
    before = page_record(page)

    response = api.patch("/pages/acme", {"custom_domain": "status.shared.example"})

    assert_error(response, 409, "domain_taken", "custom_domain")
    assert page_record(page) == before


def test_page_slug_change_keeps_token(api, page):
    response = api.patch("/pages/acme", {"slug": "acme-corp"})

    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "acme-corp"
    assert api.get("/pages/acme-corp").status_code == 200
    assert_error(api.get("/pages/acme"), 404, "not_found")


def test_page_slug_change_to_taken(api, page, outsider):
    before = page_record(page)

    response = api.patch("/pages/acme", {"slug": "other"})

    assert_error(response, 409, "slug_taken", "slug")
    assert page_record(page) == before


def test_page_delete_removes_everything(api, page, add_service):
    service = add_service("API")
    api.post("/pages/acme/incidents", {
        "title": "Down", "text": "Down.", "state": "major_outage", "status": "investigating",
        "services": [service.pk],
    })

    response = api.delete("/pages/acme")

    assert response.status_code == 204
    assert response.content == b""
    assert not Page.objects.filter(slug="acme").exists()
    assert not Service.objects.filter(pk=service.pk).exists()
    assert not Incident.objects.exists()
    assert_error(api.get("/pages/acme"), 404, "not_found")


def test_page_delete_by_editor_is_403(api_for, editor, page):
    response = api_for(editor, [page]).delete("/pages/acme")

    body = assert_error(response, 403, "forbidden", None)
    assert "owner" in body["message"]
    assert Page.objects.filter(slug="acme").exists()


def test_audit_log_lists_changes_newest_first(api, page, add_service):
    api.post("/pages/acme/services", {"name": "API"})
    api.patch("/pages/acme", {"title": "Acme Corp"})

    body = api.get("/pages/acme/audit").json()

    actions = [item["action"] for item in body["items"]]
    assert actions == ["page.update", "service.add", "page.create"]
    assert body["items"][0]["before"] == {"title": "Acme"}
    assert body["items"][0]["object_type"] == "page"


def test_audit_log_filters_by_prefix(api, page):
    api.post("/pages/acme/services", {"name": "API"})

    body = api.get("/pages/acme/audit?action=service.").json()

    assert [item["action"] for item in body["items"]] == ["service.add"]


def test_audit_log_for_owner_read_token(api_for, owner, page):
    response = api_for(owner, [page], write=False).get("/pages/acme/audit")

    assert response.status_code == 200
    assert [item["action"] for item in response.json()["items"]] == ["page.create"]
