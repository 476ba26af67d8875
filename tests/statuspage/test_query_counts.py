"""The number of queries of each endpoint does not grow with the number of incidents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.statuspage.conftest import API, ENDPOINTS, HOST, NOW, BusyPage

# The endpoints' queries, with a margin for a new prefetch; the exact counts are compared
# between a small and a large history below.
MAX_QUERIES = 25


def count_queries(client: Client, endpoint: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + endpoint, HTTP_HOST=HOST)
    assert response.status_code == 200, endpoint
    return len(captured)


def add_history(page: Page, services: list[Service], actor: Actor, count: int,
                offset: int) -> None:
    """Add `count` incidents (every third one open, with a partial fix) and maintenances."""
    for index in range(count):
        start = NOW - dt.timedelta(days=offset + index, hours=3)
        if index % 3 == 2:
            incident = incidents.open_incident(
                page, title=f"Open {offset + index}", text="Down.", state=State.MAJOR_OUTAGE,
                status=Status.INVESTIGATING, services=services,
                at=NOW - dt.timedelta(minutes=offset + index + 5), actor=actor,
            )
            incidents.post_event(incident, text="Partly fixed.", state=State.PARTIAL_OUTAGE,
                                 status=Status.IDENTIFIED, services=services[:1], actor=actor)
        else:
            incidents.backfill_incident(page, title=f"Past {offset + index}",
                                        services=services, actor=actor, events=[
                incidents.PastEvent(at=start, status=Status.INVESTIGATING, text="Down.",
                                    state=State.MAJOR_OUTAGE),
                incidents.PastEvent(at=start + dt.timedelta(hours=1), status=Status.RESOLVED,
                                    text="Up."),
            ])
        upcoming = maintenances.schedule_maintenance(
            page, title=f"Work {offset + index}", description="Work.",
            starts_at=NOW + dt.timedelta(days=offset + index),
            ends_at=NOW + dt.timedelta(days=offset + index, hours=1), services=services,
            actor=actor,
        )
        maintenances.post_event(upcoming, text="Note.", status=MaintenanceStatus.SCHEDULED,
                                actor=actor)
        if index % 2:
            active = maintenances.schedule_maintenance(
                page, title=f"Running {offset + index}", description="Work.",
                starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=1),
                services=services, actor=actor,
            )
            maintenances.post_event(active, text="Started.", actor=actor)


@pytest.fixture
def grow(busy: BusyPage, actor: Actor) -> Callable[[int, int], None]:
    services = [busy.api, busy.website, busy.database]

    def add(count: int, offset: int) -> None:
        add_history(busy.page, services, actor, count, offset)

    return add


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_query_count_independent_of_history(endpoint: str, grow: Callable[[int, int], None],
                                            client: Client) -> None:
    grow(2, 1)
    small = count_queries(client, endpoint)

    grow(40, 3)
    large = count_queries(client, endpoint)

    assert large == small
    assert large <= MAX_QUERIES


def test_not_modified_reads_no_content(busy: BusyPage, client: Client) -> None:
    etag = client.get(API + "summary.json", HTTP_HOST=HOST)["ETag"]

    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + "summary.json", HTTP_HOST=HOST, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    # Only the page is read, through its host name.
    assert len(captured) == 1
