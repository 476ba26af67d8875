"""`?title_prefix=` on the incident and maintenance lists, which the CLI names objects by."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from tests.api.support import NOW, assert_error

pytestmark = pytest.mark.django_db


def open_titled(page: Page, actor: Actor, *titles: str) -> list[int]:
    return [
        incidents.open_incident(page, title=title, text="Down.", state=State.MAJOR_OUTAGE,
                                status=Status.INVESTIGATING, services=[], actor=actor).pk
        for title in titles
    ]


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["items"])


def test_incident_prefix_ignores_case(api, page, actor):
    open_titled(page, actor, "Database down", "database slow", "API errors")

    response = api.get("/pages/acme/incidents?title_prefix=DATA")

    assert titles(response) == ["Database down", "database slow"]


def test_incident_prefix_is_a_prefix(api, page, actor):
    open_titled(page, actor, "Slow database", "Database slow")

    response = api.get("/pages/acme/incidents?title_prefix=database")

    assert titles(response) == ["Database slow"]


def test_incident_prefix_wildcards_literal(api, page, actor):
    open_titled(page, actor, "100% packet loss", "100 errors", "A_B", "AXB")

    assert titles(api.get("/pages/acme/incidents?title_prefix=" + quote("100%"))) == \
        ["100% packet loss"]
    assert titles(api.get("/pages/acme/incidents?title_prefix=A_")) == ["A_B"]


def test_incident_prefix_with_status(api, page, actor):
    closed, _ = open_titled(page, actor, "Database down", "Database slow")
    incidents.close_incident(Incident.objects.get(pk=closed), text="Up.", actor=actor)

    response = api.get("/pages/acme/incidents?title_prefix=data&status=open")

    assert titles(response) == ["Database slow"]


def test_incident_prefix_blank_lists_all(api, page, actor):
    open_titled(page, actor, "Database down", "API errors")

    assert len(titles(api.get("/pages/acme/incidents?title_prefix=%20"))) == 2


def test_incident_prefix_of_other_page_hidden(api, page, actor, outsider):
    other = Page.objects.get(slug="other")
    open_titled(other, Actor.of_user(outsider), "Database secret")

    assert titles(api.get("/pages/acme/incidents?title_prefix=data")) == []


def test_incident_prefix_control_character(api, page):
    response = api.get("/pages/acme/incidents?title_prefix=a%00b")

    assert_error(response, 422, "invalid_character", "title_prefix")


def test_incident_prefix_too_long(api, page):
    response = api.get("/pages/acme/incidents?title_prefix=" + "a" * 301)

    assert_error(response, 422, "invalid", "title_prefix")


def test_incident_prefix_walk_with_cursor(api, page, actor):
    open_titled(page, actor, *[f"Database {number}" for number in range(5)], "API")

    first = api.get("/pages/acme/incidents?title_prefix=data&limit=3").json()
    rest = api.get("/pages/acme/incidents?title_prefix=data&limit=3&cursor="
                   + first["next_cursor"]).json()

    found = [item["title"] for item in first["items"] + rest["items"]]
    assert sorted(found) == [f"Database {number}" for number in range(5)]
    assert rest["next_cursor"] is None


def test_maintenance_prefix(api, page, actor):
    start = NOW + dt.timedelta(days=3)
    for title in ("Database upgrade", "database migration", "Network work"):
        maintenances.schedule_maintenance(page, title=title, description="", starts_at=start,
                                          ends_at=start + dt.timedelta(hours=1), services=[],
                                          actor=actor)

    response = api.get("/pages/acme/maintenances?title_prefix=Data&status=scheduled")

    assert titles(response) == ["Database upgrade", "database migration"]
