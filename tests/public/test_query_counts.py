"""The number of queries of each view stays the same as the history grows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.public.conftest import NOW


def count_queries(get: Callable[..., Any], path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(path)
    assert response.status_code == 200, path
    return len(captured)


def add_history(count: int, services: list[Service], actor: Actor,
                open_incident: Callable[..., Incident], past_incident: Callable[..., Incident],
                schedule: Callable[..., Maintenance], offset: int) -> None:
    """Add `count` incidents (every fourth one open) and as many completed maintenances."""
    for index in range(count):
        start = NOW - dt.timedelta(days=offset + index, hours=3)
        if index % 4 == 3:
            incident = open_incident(f"Open {offset + index}", services=services,
                                     at=NOW - dt.timedelta(minutes=offset + index + 5))
            incidents.post_event(incident, text="More.", state=State.MAJOR_OUTAGE,
                                 status=Status.IDENTIFIED, services=services[:1], actor=actor)
        else:
            past_incident(start, start + dt.timedelta(hours=2), title=f"Past {offset + index}",
                          services=services)
        maintenance = schedule(start, start + dt.timedelta(hours=1), services=services)
        maintenances.close_maintenance(maintenance, actor=actor)


@pytest.fixture
def grow(page: Page, actor: Actor, add_service: Callable[..., Service],
         open_incident: Callable[..., Incident], past_incident: Callable[..., Incident],
         schedule: Callable[..., Maintenance]) -> Callable[[int, int], None]:
    group = pages.add_group(page, name="Core", actor=actor)
    services = [
        add_service("API", group=group, start_date=dt.date(2025, 1, 1)),
        add_service("Website", start_date=dt.date(2025, 1, 1)),
    ]
    upcoming = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=1),
                        services=services)
    maintenances.post_event(upcoming, text="Soon.", status=MaintenanceStatus.SCHEDULED, actor=actor)
    # One open incident from the start, so that no view skips a prefetch on an empty list.
    open_incident("First", services=services, at=NOW - dt.timedelta(minutes=1))

    def add(count: int, offset: int) -> None:
        add_history(count, services, actor, open_incident, past_incident, schedule, offset)

    return add


@pytest.mark.parametrize("path", ["/", "/live", "/history", "/maintenances", "/favicon.svg"])
def test_query_count_constant_for_list_views(
    grow: Callable[[int, int], None], get: Callable[..., Any], path: str
) -> None:
    grow(1, 1)
    with_two = count_queries(get, path)

    grow(38, 2)
    with_forty = count_queries(get, path)

    assert with_forty == with_two


def test_query_count_constant_for_incident_page(
    page: Page, actor: Actor, grow: Callable[[int, int], None],
    open_incident: Callable[..., Incident], get: Callable[..., Any]
) -> None:
    incident = open_incident("Long one", services=list(page.services.all()),
                             at=NOW - dt.timedelta(hours=10))
    with_one = count_queries(get, f"/incidents/{incident.pk}")

    for minutes in range(39):
        incidents.post_event(incident, text=f"Update {minutes}", state=State.PARTIAL_OUTAGE,
                             status=Status.MONITORING, services=list(page.services.all())[:1],
                             at=NOW - dt.timedelta(hours=9, minutes=-minutes), actor=actor)
    with_forty = count_queries(get, f"/incidents/{incident.pk}")

    assert with_forty == with_one


def test_query_count_constant_for_maintenance_page(
    page: Page, actor: Actor, grow: Callable[[int, int], None],
    schedule: Callable[..., Maintenance], get: Callable[..., Any]
) -> None:
    maintenance = schedule(NOW - dt.timedelta(hours=5), NOW + dt.timedelta(hours=5),
                           services=list(page.services.all()))
    maintenances.post_event(maintenance, text="Started.", at=NOW - dt.timedelta(hours=5),
                            actor=actor)
    with_one = count_queries(get, f"/maintenances/{maintenance.pk}")

    for minutes in range(39):
        maintenances.post_event(maintenance, text=f"Step {minutes}",
                                at=NOW - dt.timedelta(hours=4, minutes=-minutes), actor=actor)
    with_forty = count_queries(get, f"/maintenances/{maintenance.pk}")

    assert with_forty == with_one


def test_query_count_of_front_page_is_small(grow: Callable[[int, int], None],
                                            get: Callable[..., Any]) -> None:
    grow(39, 1)

    # Host lookup 1; services, groups, open incidents and maintenances 7; figures 4 for the
    # days computed from events, plus the stored days' watermark and rows 2.
    assert count_queries(get, "/") <= 14
