"""The list of the user's pages and the creation of a page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from heliograph.console import once
from heliograph.domain.models import AuditEntry, Membership, Page, Role
from tests.console.page_support import client_for, field_error, form_token, input_value, text_of

pytestmark = pytest.mark.django_db

HOME = reverse("console:home")
NEW = reverse("console:new-page")


def create(user: Any, **data: str) -> Any:
    client = client_for(user)
    token = form_token(client.get(NEW))
    return client, client.post(NEW, {once.FIELD: token, **data})


def test_home_lists_only_own_pages(page: Page, owner: Any, outsider: Any) -> None:
    response = client_for(owner).get(HOME)

    assert response.status_code == 200
    text = text_of(response)
    assert "Acme" in text
    assert "acme · Owner" in text
    assert "Other" not in text


def test_home_counts_open_incidents(page: Page, owner: Any, actor: Any) -> None:
    from heliograph.domain import incidents

    incidents.open_incident(page, title="Slow", text="Looking", state="partial_outage",
                            status="investigating", actor=actor)

    assert "1 open incident" in text_of(client_for(owner).get(HOME))


def test_home_anonymous_goes_to_login(db: None) -> None:
    response = client_for(None).get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/console/")


def test_home_on_page_host_is_not_found(page: Page, owner: Any) -> None:
    client = client_for(owner)

    assert client.get(HOME, HTTP_HOST="acme.localhost").status_code == 404


def test_create_page_makes_user_owner(owner: Any) -> None:
    _, response = create(owner, title="Beta Corp", slug="beta", time_zone="Europe/Zurich")

    assert response.status_code == 302
    assert response["Location"] == reverse("console:dashboard", args=["beta"])
    page = Page.objects.get(slug="beta")
    assert page.title == "Beta Corp"
    assert page.time_zone == "Europe/Zurich"
    assert Membership.objects.get(page=page).user == owner
    assert Membership.objects.get(page=page).role == Role.OWNER
    assert AuditEntry.objects.filter(page=page, action="page.create").count() == 1


def test_create_page_derives_slug_from_title(owner: Any) -> None:
    _, response = create(owner, title="Zürich Trams & Buses", slug="", time_zone="UTC")

    assert response.status_code == 302
    assert Page.objects.filter(slug="zurich-trams-buses").exists()


def test_create_page_taken_slug_keeps_input(page: Page, owner: Any) -> None:
    _, response = create(owner, title="Second Acme", slug="acme", time_zone="Europe/Paris")

    assert response.status_code == 422
    assert "already taken" in field_error(response, "id_slug")
    assert input_value(response, "title") == "Second Acme"
    assert input_value(response, "slug") == "acme"
    assert input_value(response, "time_zone") == "Europe/Paris"
    assert Page.objects.count() == 1


def test_create_page_reserved_slug_rejected(owner: Any) -> None:
    _, response = create(owner, title="Admin", slug="admin", time_zone="UTC")

    assert response.status_code == 422
    assert "reserved" in field_error(response, "id_slug")
    assert not Page.objects.filter(slug="admin").exists()


def test_create_page_unknown_zone_suggests_names(owner: Any) -> None:
    _, response = create(owner, title="Beta", slug="beta", time_zone="Zurich")

    assert response.status_code == 422
    error = field_error(response, "id_time_zone")
    assert "not an IANA time zone name" in error
    assert "Europe/Zurich" in error
    assert not Page.objects.filter(slug="beta").exists()


def test_create_page_zone_case_is_corrected(owner: Any) -> None:
    create(owner, title="Beta", slug="beta", time_zone="america/new_york")

    assert Page.objects.get(slug="beta").time_zone == "America/New_York"


def test_create_page_form_offers_every_zone(owner: Any) -> None:
    markup = client_for(owner).get(NEW).content.decode()

    assert 'list="time-zones"' in markup
    assert '<option value="Europe/Zurich">' in markup
    assert '<option value="Pacific/Chatham">' in markup


def test_create_page_resent_post_creates_one(owner: Any) -> None:
    client = client_for(owner)
    data = {once.FIELD: form_token(client.get(NEW)), "title": "Beta", "slug": "beta",
            "time_zone": "UTC"}

    first = client.post(NEW, data)
    second = client.post(NEW, data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Page.objects.filter(slug="beta").count() == 1


def test_create_page_needs_csrf_token(owner: Any) -> None:
    client = client_for(owner, enforce_csrf=True)
    token = form_token(client.get(NEW))

    response = client.post(NEW, {once.FIELD: token, "title": "Beta", "slug": "beta",
                                 "time_zone": "UTC"})

    assert response.status_code == 403
    assert not Page.objects.filter(slug="beta").exists()
