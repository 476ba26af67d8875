"""Cursor pagination: whole walks without duplicates or gaps, stable under writes, bad cursors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from tests.api.conftest import ApiClient
from tests.api.support import NOW, assert_error

pytestmark = pytest.mark.django_db


def open_many(page: Page, owner: Any, count: int, *, start: dt.datetime) -> list[int]:
    """Open `count` incidents, three to a minute, so that many share their opening time."""
    actor = Actor.of_user(owner)
    ids = []
    for index in range(count):
        incident = incidents.open_incident(
            page, title=f"Incident {index}", text="Down.", state=State.MAJOR_OUTAGE,
            status=Status.INVESTIGATING, at=start + dt.timedelta(minutes=index // 3), actor=actor,
        )
        ids.append(incident.pk)
    return ids


def walk(client: ApiClient, path: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Follow next_cursor to the end; return the items and the number of requests."""
    items: list[dict[str, Any]] = []
    cursor = None
    requests = 0
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        requests += 1
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, requests


def newest_first(page: Page) -> list[int]:
    return list(Incident.objects.filter(page=page).order_by("-opened_at", "-id")
                .values_list("pk", flat=True))


def test_incident_walk_limit_seven(clock, api, page, owner):
    open_many(page, owner, 120, start=NOW - dt.timedelta(days=2))

    items, requests = walk(api, "/pages/acme/incidents", 7)

    ids = [item["id"] for item in items]
    assert len(ids) == 120
    assert len(set(ids)) == 120
    assert ids == newest_first(page)
    assert requests == 18


def test_incident_walk_stable_when_added_midway(clock, api, page, owner):
    original = open_many(page, owner, 120, start=NOW - dt.timedelta(days=2))
    seen: list[int] = []
    cursor = None
    for step in range(100):
        query = "limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(f"/pages/acme/incidents?{query}").json()
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if step == 3:
            # Newer incidents land before the cursor, so this walk does not return them.
            clock.shift(dt.timedelta(minutes=1))
            open_many(page, owner, 5, start=NOW)
        if cursor is None:
            break

    assert len(seen) == len(set(seen))
    assert seen == original[::-1]


def test_incident_walk_survives_deleted_cursor_row(clock, api, page, owner):
    open_many(page, owner, 20, start=NOW - dt.timedelta(days=2))
    first = api.get("/pages/acme/incidents?limit=7").json()
    last_seen = first["items"][-1]["id"]

    incidents.delete_incident(Incident.objects.get(pk=last_seen), actor=Actor.of_user(owner))
    rest, _ = walk_from(api, "/pages/acme/incidents", 7, first["next_cursor"])

    assert [item["id"] for item in first["items"] + rest] == (
        [item["id"] for item in first["items"]] + newest_first(page)[6:]
    )


def walk_from(client: ApiClient, path: str, limit: int,
              cursor: str | None) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    requests = 0
    while cursor:
        body = client.get(f"{path}?limit={limit}&cursor={cursor}").json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        requests += 1
    return items, requests


def test_incident_walk_filtered_by_status(clock, api, page, owner):
    ids = open_many(page, owner, 30, start=NOW - dt.timedelta(days=2))
    for incident_id in ids[::2]:
        incidents.close_incident(Incident.objects.get(pk=incident_id), actor=Actor.of_user(owner))

    closed, _ = walk(api, "/pages/acme/incidents?status=closed", 4)

    assert sorted(item["id"] for item in closed) == sorted(ids[::2])


def test_default_and_largest_limit(clock, api, page, owner):
    open_many(page, owner, 210, start=NOW - dt.timedelta(days=3))

    default = api.get("/pages/acme/incidents").json()
    largest = api.get("/pages/acme/incidents?limit=200").json()

    assert len(default["items"]) == 50
    assert default["next_cursor"] is not None
    assert len(largest["items"]) == 200


def test_service_walk_with_equal_positions(clock, api, page, add_service):
    for index in range(11):
        add_service(f"Service {index}", position=index % 3)

    items, _ = walk(api, "/pages/acme/services", 2)

    assert [(item["position"], item["id"]) for item in items] == sorted(
        (item["position"], item["id"]) for item in items)
    assert len({item["id"] for item in items}) == 11


def test_maintenance_walk(clock, api, page, owner):
    actor = Actor.of_user(owner)
    for index in range(15):
        starts = NOW + dt.timedelta(days=index % 4)
        maintenances.schedule_maintenance(page, title=f"M{index}", description="",
                                          starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                                          actor=actor)

    items, _ = walk(api, "/pages/acme/maintenances", 4)

    assert len({item["id"] for item in items}) == 15
    assert [item["starts_at"] for item in items] == sorted(
        (item["starts_at"] for item in items), reverse=True)


def test_page_walk(clock, api_for, owner, page):
    created = [pages.create_page(f"page-{index:02}", title="P", owner=owner,
                                 actor=Actor.of_user(owner)) for index in range(9)]
    client = api_for(owner, [page, *created])

    items, _ = walk(client, "/pages", 2)

    assert [item["slug"] for item in items] == ["acme"] + [f"page-{i:02}" for i in range(9)]


def test_audit_walk(clock, api, page, add_service):
    for index in range(12):
        add_service(f"Service {index}")

    items, _ = walk(api, "/pages/acme/audit", 5)

    assert len(items) == 13
    assert len({item["id"] for item in items}) == 13


def encode(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-base64!", "YWJj", encode({"at": 1}), encode([1]), encode([1, 2, 3]),
    encode(["2026-11-01T00:00:00+00:00", "7"]), encode(["2026-11-01T00:00:00+00:00", True]),
    encode(["2026-11-01T00:00:00", 7]), encode(["yesterday", 7]),
    encode(["2026-11-01T00:00:00+00:00", 2**63]),
    encode(["0001-01-01T00:00:00+14:00", 7]), encode(["9999-12-31T23:59:59-14:00", 7]),
])
def test_invalid_incident_cursor_is_422(clock, api, page, owner, cursor):
    open_many(page, owner, 3, start=NOW - dt.timedelta(days=1))

    response = api.get(f"/pages/acme/incidents?cursor={cursor}")

    body = assert_error(response, 422, "invalid_cursor", "cursor")
    assert "next_cursor" in body["message"]


@pytest.mark.parametrize("cursor", [encode(["ac\x00me"]), encode([5]), encode([None])])
def test_invalid_page_cursor_is_422(api, cursor):
    assert_error(api.get(f"/pages?cursor={cursor}"), 422, "invalid_cursor", "cursor")


def test_cursor_of_other_list_is_422(clock, api, page, owner, add_service):
    open_many(page, owner, 3, start=NOW - dt.timedelta(days=1))
    cursor = api.get("/pages/acme/incidents?limit=1").json()["next_cursor"]

    assert_error(api.get(f"/pages/acme/services?cursor={cursor}"), 422, "invalid_cursor",
                 "cursor")
