"""Lists on the Runstatus API: counts, absolute `next` and `previous` links, page sizes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page, Service
from heliograph.domain.vocab import State, Status
from heliograph.runstatus.pagination import PAGE_SIZE
from tests.runstatus.support import RunstatusClient, follow_all

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def open_many(page: Page, actor: Actor, count: int) -> list[Incident]:
    """Open `count` incidents one minute apart, oldest first."""
    opened = []
    with time_machine.travel(NOW - dt.timedelta(minutes=count), tick=False) as clock:
        for number in range(count):
            opened.append(incidents.open_incident(
                page, title=f"Incident {number}", text="x", state=State.PARTIAL_OUTAGE,
                status=Status.INVESTIGATING, actor=actor))
            clock.shift(60)
    return opened


def test_follow_next_reads_every_incident(api: RunstatusClient, page: Page,
                                          actor: Actor) -> None:
    opened = open_many(page, actor, 45)

    results, requests = follow_all(api, "/pages/acme/incidents")

    assert requests == 3
    assert [item["id"] for item in results] == [incident.pk for incident in reversed(opened)]


def test_links_are_absolute(api: RunstatusClient, page: Page, actor: Actor) -> None:
    open_many(page, actor, PAGE_SIZE + 1)

    first = api.get("/pages/acme/incidents").json()
    second = api.get(first["next"]).json()

    assert first["count"] == PAGE_SIZE + 1
    assert first["previous"] is None
    assert first["next"] == "http://127.0.0.1:8000/runstatus/pages/acme/incidents?page=2"
    assert second["previous"] == "http://127.0.0.1:8000/runstatus/pages/acme/incidents"
    assert second["next"] is None
    assert len(second["results"]) == 1


def test_page_size_kept_in_links(api: RunstatusClient, page: Page, actor: Actor) -> None:
    open_many(page, actor, 5)

    body = api.get("/pages/acme/incidents?page_size=2&page=2").json()

    assert len(body["results"]) == 2
    assert parse_qs(urlsplit(body["next"]).query) == {"page": ["3"], "page_size": ["2"]}
    assert parse_qs(urlsplit(body["previous"]).query) == {"page_size": ["2"]}


def test_empty_list_has_one_page(api: RunstatusClient, page: Page) -> None:
    body = api.get("/pages/acme/incidents").json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("query", ["page=3", "page=0", "page=abc", "page=-1",
                                   "page=99999999999999999999999", "page=%201", "page=1.0",
                                   "page=%D9%A1", "page=%C2%B2"])
def test_invalid_page_not_found(api: RunstatusClient, page: Page, actor: Actor,
                                query: str) -> None:
    open_many(page, actor, 3)

    response = api.get(f"/pages/acme/incidents?{query}")

    assert response.status_code == 404
    assert "Invalid page" in response.json()["detail"]


@pytest.mark.parametrize("size", ["0", "101", "ten", "²"])
def test_invalid_page_size_rejected(api: RunstatusClient, page: Page, size: str) -> None:
    response = api.get(f"/pages/acme/incidents?page_size={size}")

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


def test_follow_next_for_services_and_events(api: RunstatusClient, page: Page, actor: Actor,
                                             add_service: Callable[..., Service]) -> None:
    for number in range(25):
        add_service(f"Service {number:02d}")
    incident = incidents.open_incident(page, title="Long", text="event 0",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       actor=actor)
    for number in range(1, 23):
        incidents.post_event(incident, text=f"event {number}", state=State.MAJOR_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

    services, _ = follow_all(api, "/pages/acme/services")
    events, _ = follow_all(api, f"/pages/acme/incidents/{incident.pk}/events")

    assert [item["name"] for item in services] == [f"Service {n:02d}" for n in range(25)]
    assert [item["text"] for item in events] == [f"event {n}" for n in reversed(range(23))]


@hypothesis_settings(max_examples=8, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=0, max_value=12), size=st.integers(min_value=1, max_value=5))
def test_pages_cover_list_once(api: RunstatusClient, page: Page, actor: Actor, count: int,
                               size: int) -> None:
    """Whatever the sizes, following `next` yields each incident once, newest first."""
    Incident.objects.filter(page=page).delete()
    opened = open_many(page, actor, count)

    results, requests = follow_all(api, f"/pages/acme/incidents?page_size={size}")

    assert [item["id"] for item in results] == [incident.pk for incident in reversed(opened)]
    assert requests == max(1, -(-count // size))
