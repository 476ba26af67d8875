"""Fixtures of the public page tests: a frozen clock, hosts, and incidents built in code."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import time_machine
from django.test import Client

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import State, Status
from tests.public.dom import Node, parse

# A Monday afternoon in Chicago (CDT, UTC-5); 2026-03-08 and 2026-11-01 are its DST changes.
NOW = dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC)
HOST = "acme.localhost"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at `NOW` before any data is made; tests move it with `shift`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    """The page under test, in a zone with DST and abbreviations: America/Chicago."""
    return make_page("acme", title="Acme", time_zone="America/Chicago")


@pytest.fixture
def get(client: Client) -> Callable[..., Any]:
    """Request `path` on the page's host (or `host`), returning the response."""

    def request(path: str, host: str = HOST, **headers: Any) -> Any:
        return client.get(path, HTTP_HOST=host, **headers)

    return request


@pytest.fixture
def get_dom(get: Callable[..., Any]) -> Callable[..., Node]:
    """Request `path`, check the response status (200 unless given), and return its HTML tree."""

    def request(path: str, host: str = HOST, status: int = 200) -> Node:
        response = get(path, host)
        assert response.status_code == status, response.content[:500]
        return parse(response.content)

    return request


def local(page: Page, year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """Return the aware datetime of a wall-clock time in the page's zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(page.time_zone))


@pytest.fixture
def open_incident(page: Page, actor: Actor) -> Callable[..., Incident]:
    def make(title: str = "API errors", *, on: Page | None = None,
             services: Sequence[Service] = (), state: State = State.PARTIAL_OUTAGE,
             text: str = "We are looking into it.", at: dt.datetime | None = None) -> Incident:
        return incidents.open_incident(
            on or page, title=title, text=text, state=state, status=Status.INVESTIGATING,
            services=services, at=at or NOW - dt.timedelta(hours=1), actor=actor,
        )

    return make


@pytest.fixture
def past_incident(page: Page, actor: Actor) -> Callable[..., Incident]:
    """Record a closed incident from `start` to `end` in one state."""

    def make(start: dt.datetime, end: dt.datetime, *, title: str = "Past outage",
             on: Page | None = None, services: Sequence[Service] = (),
             state: State = State.MAJOR_OUTAGE, text: str = "Something broke.") -> Incident:
        return incidents.backfill_incident(
            on or page, title=title, services=services, actor=actor,
            events=[
                PastEvent(at=start, status=Status.INVESTIGATING, text=text, state=state),
                PastEvent(at=end, status=Status.RESOLVED, text="Fixed."),
            ],
        )

    return make


@pytest.fixture
def schedule(page: Page, actor: Actor) -> Callable[..., Maintenance]:
    def make(start: dt.datetime, end: dt.datetime, *, title: str = "Database upgrade",
             on: Page | None = None, services: Sequence[Service] = (),
             description: str = "We upgrade the database.") -> Maintenance:
        return maintenances.schedule_maintenance(
            on or page, title=title, description=description, starts_at=start, ends_at=end,
            services=services, actor=actor,
        )

    return make
