"""A page's audit log: access, the readable diff, filters and paging."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from heliograph.api.models import ApiToken
from heliograph.console.audit_views import PER_PAGE, diff
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from tests.console.page_support import HOST, client_for, text_of

pytestmark = pytest.mark.django_db

AUDIT = reverse("console:audit", args=["acme"])


def entry_count(response: Any) -> int:
    return response.content.decode().count('<li class="audit-entry">')


@pytest.mark.parametrize("persona", ["owner", "editor"])
def test_audit_open_to_owner_and_editor(page: Page, persona: str,
                                        request: pytest.FixtureRequest) -> None:
    response = client_for(request.getfixturevalue(persona)).get(AUDIT)

    assert response.status_code == 200
    assert "page.create" in text_of(response)


def test_audit_forbidden_to_viewer(page: Page, viewer: Any) -> None:
    assert client_for(viewer).get(AUDIT).status_code == 403


def test_audit_hidden_from_outsider(page: Page, outsider: Any) -> None:
    assert client_for(outsider).get(AUDIT).status_code == 404


def test_audit_shows_changed_keys_only(page: Page, owner: Any, actor: Actor,
                                       add_service: Callable[..., Service]) -> None:
    service = add_service("API", description="Public API")
    pages.update_service(service, {"name": "Public API"}, actor=actor)

    response = client_for(owner).get(AUDIT + "?action=service.")

    text = text_of(response)
    assert "service.update owner@example.com" in text
    assert "name API Public API" in text
    assert "4 other fields unchanged." in text
    assert re.search(r"<del>API</del>", response.content.decode())
    assert re.search(r"<ins>Public API</ins>", response.content.decode())


def test_audit_shows_who_and_when_in_page_zone(page: Page, owner: Any, actor: Actor) -> None:
    pages.update_page(page, {"time_zone": "America/Chicago"}, actor=actor)
    with time_machine.travel(dt.datetime(2026, 7, 1, 15, 30, 5, tzinfo=dt.UTC), tick=False):
        pages.update_page(page, {"title": "Acme Status"}, actor=Actor.of_user(owner, "console"))

    text = text_of(client_for(owner).get(AUDIT))

    assert "page.update owner@example.com via console 2026-07-01 10:30:05 CDT" in text
    assert "title Acme Acme Status" in text
    assert "Times are in America/Chicago." in text


def test_audit_includes_api_changes(page: Page, owner: Any) -> None:
    _, raw = ApiToken.issue(owner, [page], can_write=True, name="ci")
    Client(HTTP_HOST=HOST).patch(
        "/api/v1/pages/acme", data={"title": "From the API"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    text = text_of(client_for(owner).get(AUDIT))

    assert "owner@example.com via API token" in text
    assert "title Acme From the API" in text


def test_audit_filters_by_action(page: Page, owner: Any, actor: Actor,
                                 add_service: Callable[..., Service]) -> None:
    add_service("API")
    pages.update_page(page, {"title": "Renamed"}, actor=actor)

    response = client_for(owner).get(AUDIT + "?action=service.")

    text = text_of(response)
    assert "service.add" in text
    assert "page.update" not in text
    assert entry_count(response) == 1


def test_audit_filters_by_actor(page: Page, owner: Any, editor: Any,
                                add_service: Callable[..., Service]) -> None:
    pages.add_service(page, name="By editor", actor=Actor.of_user(editor, "console"))
    add_service("By owner")

    response = client_for(owner).get(AUDIT + "?actor=EDITOR@example.com")

    text = text_of(response)
    assert "By editor" in text
    assert "By owner" not in text


def test_audit_unknown_action_filter_ignored(page: Page, owner: Any) -> None:
    response = client_for(owner).get(AUDIT + "?action=<script>")

    assert response.status_code == 200
    assert "page.create" in text_of(response)
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_audit_pages_keep_filters(page: Page, owner: Any, actor: Actor) -> None:
    for number in range(PER_PAGE + 5):
        pages.update_page(page, {"title": f"Title {number}"}, actor=actor)

    first = client_for(owner).get(AUDIT + "?action=page.")
    second = client_for(owner).get(AUDIT + "?action=page.&page=2")

    assert entry_count(first) == PER_PAGE
    assert 'href="?action=page.&amp;page=2"' in first.content.decode()
    assert entry_count(second) == 6
    assert "Page 2 of 2" in text_of(second)
    assert "Title 0" in text_of(second)
    assert "page.create" in text_of(second)


def test_diff_of_creation_lists_every_key() -> None:
    changes, unchanged = diff(None, {"name": "API", "position": 0})

    assert [(change.key, change.kind, change.after) for change in changes] == [
        ("name", "added", "API"), ("position", "added", "0"),
    ]
    assert unchanged == 0


def test_diff_of_removal_and_values() -> None:
    changes, unchanged = diff({"a": True, "b": None, "c": [1, 2], "d": ""},
                              {"a": False, "c": [1, 2], "d": "x"})

    assert [(change.key, change.kind, change.before, change.after) for change in changes] == [
        ("a", "changed", "yes", "no"), ("b", "removed", "(none)", ""),
        ("d", "changed", "(empty)", "x"),
    ]
    assert unchanged == 1


def test_diff_shows_times_in_zone() -> None:
    changes, _ = diff({"ends_at": "2026-07-01T15:30:00+00:00"},
                      {"ends_at": "2026-07-01T16:30:00+00:00"}, zoneinfo.ZoneInfo("Europe/Zurich"))

    assert changes[0].before == "2026-07-01 17:30:00 CEST"
    assert changes[0].after == "2026-07-01 18:30:00 CEST"
