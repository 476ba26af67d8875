"""Fixtures of the Statuspage API tests: a frozen clock, a page in Chicago, and a busy page.

Tests that run a live server keep the real clock, because their clients run in real time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status

# A Monday afternoon in Chicago (CDT, UTC-05:00).
NOW = dt.datetime(2026, 6, 15, 17, 0, tzinfo=dt.UTC)
HOST = "acme.localhost"
API = "/api/v2/"
ENDPOINTS = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
REPOSITORY = Path(__file__).resolve().parents[2]
REAL_DATA = REPOSITORY.parent / "shared" / "data" / "real"
SAMPLES = REAL_DATA / "discord-status-doc-samples" / "api" / "v2"


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller | None]:
    """Freeze the clock at `NOW`, except in tests that serve real clients on a live server."""
    if "live_server" in request.fixturenames:
        yield None
        return
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    return make_page("acme", title="Acme", time_zone="America/Chicago")


@pytest.fixture
def get_json(client: Client) -> Callable[..., Any]:
    """Request an endpoint on a host, check that it returns 200 with JSON, and parse it."""

    def request(endpoint: str, host: str = HOST, prefix: str = "") -> Any:
        response = client.get(f"{prefix}{API}{endpoint}", HTTP_HOST=host)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)

    return request


def load_sample(name: str) -> Any:
    """Return a response published by a real Statuspage page (discordstatus.com), by path."""
    path = SAMPLES / name
    if not path.exists():
        pytest.fail(f"The Statuspage sample {path} is missing: these tests read the real "
                    "responses kept beside the repository in shared/data/real.", pytrace=False)
    return json.loads(path.read_text())


def real_summaries() -> list[Path]:
    """Return the `summary.json` files saved from 16 real Statuspage pages, with snapshots."""
    found = sorted(
        path for path in REAL_DATA.glob("outages-*/**/*summary*.json")
        if "reconstructed" not in path.name
    )
    if not found:
        pytest.fail(f"No real summary.json files under {REAL_DATA}: these tests read the data "
                    "kept beside the repository in shared/data/real.", pytrace=False)
    return found


@dataclass
class BusyPage:
    """A page with groups, open and closed incidents, and maintenances in every status."""

    page: Page
    api: Service
    website: Service
    database: Service
    jobs: Service
    open_incident: Incident
    partial_fix_incident: Incident
    closed_incident: Incident
    backfilled_incident: Incident
    active_maintenance: Maintenance
    upcoming_maintenance: Maintenance
    distant_maintenance: Maintenance
    overdue_maintenance: Maintenance
    completed_maintenance: Maintenance


def build_busy_page(page: Page, actor: Actor, now: dt.datetime) -> BusyPage:
    """Fill `page` with a realistic state at `now`; every time lies before `now`.

    - group "Core" contains API and Website; Database and Background jobs are ungrouped;
    - open: "API errors" (API, partial outage, identified after a first update), and a
      partial fix on API and Website that left only Website degraded;
    - closed: a database outage opened and resolved today, and a backfilled one from January;
    - maintenances: Background jobs in progress, one tomorrow, one in 90 days, one overdue,
      one completed.
    """
    hour = dt.timedelta(hours=1)
    core = pages.add_group(page, name="Core", actor=actor)
    api = pages.add_service(page, name="API", group=core, actor=actor,
                            description="The REST API.", start_date=dt.date(2026, 1, 1))
    website = pages.add_service(page, name="Website", group=core, actor=actor,
                                start_date=dt.date(2026, 1, 1))
    database = pages.add_service(page, name="Database", actor=actor,
                                 start_date=dt.date(2026, 1, 1))
    jobs = pages.add_service(page, name="Background jobs", actor=actor,
                             start_date=dt.date(2026, 1, 1))

    backfilled = incidents.backfill_incident(
        page, title="Database failover", services=[database], actor=actor,
        events=[
            PastEvent(at=dt.datetime(2026, 1, 10, 14, 0, tzinfo=dt.UTC),
                      status=Status.INVESTIGATING, text="Writes fail.",
                      state=State.MAJOR_OUTAGE),
            PastEvent(at=dt.datetime(2026, 1, 10, 15, 30, tzinfo=dt.UTC),
                      status=Status.RESOLVED, text="Failed over."),
        ],
    )
    closed = incidents.open_incident(
        page, title="Slow queries", text="Queries are slow.", state=State.DEGRADED_PERFORMANCE,
        status=Status.INVESTIGATING, services=[database], at=now - 6 * hour, actor=actor,
    )
    incidents.post_event(closed, text="Index rebuilt; watching.", state=State.OPERATIONAL,
                         status=Status.MONITORING, at=now - 5 * hour, actor=actor)
    incidents.close_incident(closed, text="All good.", at=now - 4 * hour, actor=actor)

    partial = incidents.open_incident(
        page, title="Login failures", text="Logins fail.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, services=[api, website], at=now - 3 * hour, actor=actor,
    )
    incidents.post_event(partial, text="API fixed; the website is still slow.",
                         state=State.DEGRADED_PERFORMANCE, status=Status.MONITORING,
                         services=[website], at=now - 2 * hour, actor=actor)

    opened = incidents.open_incident(
        page, title="API errors", text="Some requests fail.", state=State.PARTIAL_OUTAGE,
        status=Status.INVESTIGATING, services=[api], at=now - 90 * dt.timedelta(minutes=1),
        actor=actor,
    )
    incidents.post_event(opened, text="A bad deploy; rolling back.", state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, at=now - hour, actor=actor)

    active = maintenances.schedule_maintenance(
        page, title="Queue upgrade", description="We upgrade the job queue.",
        starts_at=now - hour, ends_at=now + hour, services=[jobs], actor=actor,
    )
    maintenances.post_event(active, text="Started.", status=MaintenanceStatus.IN_PROGRESS,
                            at=now - hour, actor=actor)
    upcoming = maintenances.schedule_maintenance(
        page, title="Network work", description="Switches are replaced.",
        starts_at=now + 24 * hour, ends_at=now + 26 * hour, services=[api, database],
        actor=actor,
    )
    distant = maintenances.schedule_maintenance(
        page, title="Data centre move", description="Everything moves.",
        starts_at=now + 90 * 24 * hour, ends_at=now + 91 * 24 * hour, services=[],
        actor=actor,
    )
    overdue = maintenances.schedule_maintenance(
        page, title="Forgotten work", description="Nobody closed this.",
        starts_at=now - 30 * hour, ends_at=now - 29 * hour, services=[website], actor=actor,
    )
    completed = maintenances.schedule_maintenance(
        page, title="Disk swap", description="Disks are swapped.",
        starts_at=now - 50 * hour, ends_at=now - 49 * hour, services=[database], actor=actor,
    )
    maintenances.post_event(completed, text="Swapping.", at=now - 50 * hour, actor=actor)
    maintenances.close_maintenance(completed, text="Done.", at=now - 49 * hour, actor=actor)

    return BusyPage(
        page=page, api=api, website=website, database=database, jobs=jobs,
        open_incident=opened, partial_fix_incident=partial, closed_incident=closed,
        backfilled_incident=backfilled, active_maintenance=active,
        upcoming_maintenance=upcoming, distant_maintenance=distant,
        overdue_maintenance=overdue, completed_maintenance=completed,
    )


@pytest.fixture
def busy(page: Page, actor: Actor) -> BusyPage:
    return build_busy_page(page, actor, NOW)
