"""GET|POST /api/v1/pages/{slug}/subscribers and DELETE .../subscribers/{id}."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain.models import AuditEntry, Page, Service
from heliograph.notifications.models import Subscriber
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def client(user: User, page: Page, *, write: bool = True) -> ApiClient:
    _, raw = ApiToken.issue(user, [page], can_write=write)
    return ApiClient(raw)


def test_editor_adds_confirmed_subscriber(
    editor: User, page: Page, add_service: Callable[..., Service]
) -> None:
    api_service = add_service("API")

    response = client(editor, page).post("/pages/acme/subscribers", {
        "kind": "email", "address": "ops@Example.com", "services": [api_service.pk],
    })

    assert response.status_code == 201
    body = response.json()
    assert body["address"] == "ops@example.com"
    assert body["services"] == [api_service.pk]
    assert body["confirmed"] is True
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is not None
    assert AuditEntry.objects.filter(action="subscriber.add").count() == 1


def test_empty_services_means_all(editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers",
                                         {"kind": "email", "address": "ops@example.com"})

    assert response.json()["services"] == []
    assert Subscriber.objects.get().all_services is True


def test_duplicate_address_conflicts(editor: User, page: Page) -> None:
    api = client(editor, page)
    api.post("/pages/acme/subscribers", {"kind": "email", "address": "ops@example.com"})

    response = api.post("/pages/acme/subscribers", {"kind": "email", "address": "OPS@example.com"})

    assert response.status_code == 409
    assert response.json()["code"] == "subscriber_exists"
    assert response.json()["field"] == "address"
    assert Subscriber.objects.count() == 1


def test_invalid_address_names_field(editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers",
                                         {"kind": "email", "address": "nope"})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_email"
    assert response.json()["field"] == "address"


def test_unknown_service_names_field(editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers",
                                         {"kind": "email", "address": "a@example.com",
                                          "services": [999]})

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_service"
    assert Subscriber.objects.count() == 0


def test_email_kind_rejects_url(editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers", {
        "kind": "email", "address": "ops@example.com", "url": "https://example.com/"})

    assert response.status_code == 422
    assert response.json()["field"] == "url"
    assert Subscriber.objects.count() == 0


def test_list_and_delete(editor: User, page: Page) -> None:
    api = client(editor, page)
    created = api.post("/pages/acme/subscribers",
                       {"kind": "email", "address": "ops@example.com"}).json()

    listed = api.get("/pages/acme/subscribers").json()
    deleted = api.delete(f"/pages/acme/subscribers/{created['id']}")

    assert [item["address"] for item in listed["items"]] == ["ops@example.com"]
    assert deleted.status_code == 204
    assert Subscriber.objects.count() == 0
    assert AuditEntry.objects.filter(action="subscriber.remove").count() == 1
    assert api.delete(f"/pages/acme/subscribers/{created['id']}").status_code == 404


def test_viewer_cannot_list(viewer: User, page: Page) -> None:
    response = client(viewer, page, write=False).get("/pages/acme/subscribers")

    assert response.status_code == 403


@pytest.mark.parametrize("service_id", [2**63, 2**70, -(2**70), 0])
def test_out_of_range_service_id(service_id: int, editor: User, page: Page) -> None:
    response = client(editor, page).post("/pages/acme/subscribers", {
        "kind": "email", "address": "ops@example.com", "services": [service_id],
    })

    assert response.status_code == 422
    assert response.json()["field"] == "services"
    assert response.json()["message"] == (
        f"No service with id {service_id} on this page: list the page's services for their ids."
    )
    assert not Subscriber.objects.exists()
