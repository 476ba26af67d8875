"""Webhook subscribers over the API: POST, GET and DELETE with `kind=webhook`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain.models import AuditEntry, Page, Service
from heliograph.notifications.models import WebhookSubscriber
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/heliograph"


def client(user: User, page: Page, *, write: bool = True) -> ApiClient:
    _, raw = ApiToken.issue(user, [page], can_write=write)
    return ApiClient(raw)


def test_editor_adds_webhook_secret_shown_once(
    editor: User, page: Page, add_service: Callable[..., Service]
) -> None:
    api_service = add_service("API")
    api = client(editor, page)

    response = api.post("/pages/acme/subscribers", {
        "kind": "webhook", "url": HOOK, "flavour": "slack", "services": [api_service.pk]})

    assert response.status_code == 201
    body = response.json()
    hook = WebhookSubscriber.objects.get()
    assert body["kind"] == "webhook"
    assert body["url"] == HOOK
    assert body["flavour"] == "slack"
    assert body["services"] == [api_service.pk]
    assert body["secret"] == hook.secret
    assert hook.secret.startswith("whsec_")
    assert AuditEntry.objects.filter(action="webhook.add").count() == 1
    assert hook.secret not in str(AuditEntry.objects.get(action="webhook.add").after)
    listed = api.get("/pages/acme/subscribers?kind=webhook").json()["items"]
    assert [item["url"] for item in listed] == [HOOK]
    assert listed[0]["secret"] is None
    assert api.get("/pages/acme/subscribers").json()["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "webhook"}, "url"),
    ({"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}, "url"),
    ({"kind": "webhook", "url": "http://0x7f.0.0.1/"}, "url"),
    ({"kind": "webhook", "url": "javascript:alert(1)"}, "url"),
    ({"kind": "webhook", "url": HOOK, "address": "ops@example.com"}, "address"),
    ({"kind": "webhook", "url": HOOK, "services": [999999]}, "services"),
])
def test_bad_webhook_names_field(editor: User, page: Page, body: dict[str, object],
                                 field: str) -> None:
    response = client(editor, page).post("/pages/acme/subscribers", body)

    assert response.status_code in (400, 422)
    assert response.json()["field"] == field
    assert WebhookSubscriber.objects.count() == 0


def test_unknown_flavour_rejected(editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers",
                                         {"kind": "webhook", "url": HOOK, "flavour": "teams"})

    assert response.status_code == 422
    assert "flavour" in response.content.decode()
    assert WebhookSubscriber.objects.count() == 0


def test_delete_webhook(editor: User, page: Page) -> None:
    api = client(editor, page)
    created = api.post("/pages/acme/subscribers", {"kind": "webhook", "url": HOOK}).json()

    wrong_kind = api.delete(f"/pages/acme/subscribers/{created['id']}")
    deleted = api.delete(f"/pages/acme/subscribers/{created['id']}?kind=webhook")

    assert wrong_kind.status_code == 404
    assert deleted.status_code == 204
    assert WebhookSubscriber.objects.count() == 0
    assert AuditEntry.objects.filter(action="webhook.remove").count() == 1


def test_viewer_cannot_add_webhook(viewer: User, page: Page) -> None:
    response = client(viewer, page).post("/pages/acme/subscribers",
                                         {"kind": "webhook", "url": HOOK})

    assert response.status_code in (403, 404)
    assert WebhookSubscriber.objects.count() == 0
