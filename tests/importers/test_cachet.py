"""Importing Cachet 2.x API JSON: components, groups, incidents, updates and schedules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from heliograph.domain.models import Incident, Maintenance, Page, Service, ServiceGroup
from heliograph.domain.queries import page_status
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, State, Status
from tests.importers.conftest import (
    BAD_CACHET,
    CACHET,
    Site,
    imported,
    report_rows,
    row_counts,
    utc,
)

Run = Callable[..., str]
ZONE = ("--source-time-zone", "Europe/Amsterdam")


@pytest.fixture
def cachet_page(frozen: time_machine.Traveller, run_import: Run) -> tuple[Page, str]:
    output = run_import("cachet", "--page", "shop", "--owner", "importer@example.com",
                        "--title", "Shop status", *ZONE, CACHET)
    return Page.objects.get(slug="shop"), output


def test_components_and_groups(cachet_page: tuple[Page, str]) -> None:
    page, output = cachet_page
    services = list(Service.objects.filter(page=page).order_by("position"))

    assert [(service.name, service.group.name if service.group else None)
            for service in services] == [
        ("Website", None), ("API", "Platform"), ("Workers", "Platform")
    ]
    assert services[0].description == "The marketing site"
    assert list(ServiceGroup.objects.filter(page=page).values_list("name", flat=True)) == [
        "Platform"
    ]
    assert "component 'Old mailer' (4): disabled in Cachet, so not shown on its page." in output
    assert "group 'Empty group' (group-2): it has no components." in output


def test_open_incident_with_updates(cachet_page: tuple[Page, str]) -> None:
    page, _ = cachet_page
    incident = imported(page, "incident", "1")

    assert incident.is_open
    assert [(event.at, event.state, event.status, event.text)
            for event in incident.events.order_by("at")] == [
        (utc("2025-02-28T09:00:00+00:00"), State.PARTIAL_OUTAGE, Status.INVESTIGATING,
         "API requests fail for some customers."),
        (utc("2025-02-28T09:30:00+00:00"), State.PARTIAL_OUTAGE, Status.IDENTIFIED,
         "We found the cause: a full disk."),
        (utc("2025-02-28T10:00:00+00:00"), State.PARTIAL_OUTAGE, Status.MONITORING,
         "A fix is deployed; we are watching."),
        (utc("2025-02-28T11:00:00+00:00"), State.PARTIAL_OUTAGE, Status.MONITORING,
         "Still watching; errors are rare now."),
    ]
    assert [service.name for service in incident.services.all()] == ["API"]
    states = {item.service.name: item.state for item in page_status(page).services}
    assert states["API"] == DisplayState.PARTIAL_OUTAGE


def test_ambiguous_local_time_takes_earlier(cachet_page: tuple[Page, str]) -> None:
    page, _ = cachet_page
    incident = imported(page, "incident", "2")

    # 2024-10-27 02:30 happened twice in Amsterdam; the first (CEST, UTC+2) is taken.
    assert incident.opened_at == utc("2024-10-27T00:30:00+00:00")
    assert incident.closed_at == utc("2024-10-27T00:50:00+00:00")
    assert [event.status for event in incident.events.order_by("at")] == [
        Status.INVESTIGATING, Status.RESOLVED
    ]


def test_fixed_incident_without_updates(cachet_page: tuple[Page, str]) -> None:
    page, _ = cachet_page
    incident = imported(page, "incident", "4")

    assert incident.events.count() == 1
    assert incident.opened_at == incident.closed_at == utc("2025-01-15T07:00:00+00:00")
    assert incident.events.get().text == "Jobs were slow for an hour; this is fixed."


def test_hidden_and_old_maintenance_incidents_skipped(cachet_page: tuple[Page, str]) -> None:
    page, output = cachet_page

    assert not Incident.objects.filter(page=page, title="Hidden test").exists()
    assert "incident 'Hidden test' (3): hidden in Cachet (visible is 0)." in output
    assert ("incident 'Old-style maintenance' (5): a Cachet 2.3 scheduled maintenance, which "
            "has no end time; import it as a schedule instead.") in output


def test_schedules(cachet_page: tuple[Page, str]) -> None:
    page, output = cachet_page
    upgrade = imported(page, "maintenance", "1")
    move = imported(page, "maintenance", "2")
    rollout = imported(page, "maintenance", "3")

    assert upgrade.status == MaintenanceStatus.COMPLETED
    assert (upgrade.starts_at, upgrade.ends_at) == (utc("2025-02-01T21:00:00+00:00"),
                                                    utc("2025-02-02T00:00:00+00:00"))
    assert (upgrade.started_at, upgrade.completed_at) == (upgrade.starts_at, upgrade.ends_at)
    assert upgrade.description == "We upgrade the database to a new major version."
    assert [service.name for service in upgrade.services.all()] == ["API"]
    assert move.status == MaintenanceStatus.SCHEDULED
    assert move.events.count() == 0
    assert rollout.status == MaintenanceStatus.IN_PROGRESS
    assert rollout.started_at == utc("2025-03-01T11:00:00+00:00")
    assert not Maintenance.objects.filter(page=page, title="Undated work").exists()
    assert ("schedule 'Undated work' (4): it has no completed_at, so its window is "
            "unknown.") in output


def test_cachet_counts(cachet_page: tuple[Page, str]) -> None:
    _, output = cachet_page
    rows = report_rows(output)

    assert rows["services"] == [3, 0, 0, 1]
    assert rows["groups"] == [1, 0, 0, 1]
    assert rows["incidents"] == [3, 0, 0, 2]
    assert rows["incident updates"] == [7, 0, 0, 0]
    assert rows["maintenances"] == [3, 0, 0, 1]
    assert rows["maintenance updates"] == [3, 0, 0, 0]


def test_cachet_rerun_changes_nothing(cachet_page: tuple[Page, str], run_import: Run) -> None:
    page, _ = cachet_page
    before = row_counts()
    version = Page.objects.get(pk=page.pk).version

    output = run_import("cachet", "--page", "shop", *ZONE, CACHET)

    assert row_counts() == before
    assert Page.objects.get(pk=page.pk).version == version
    assert report_rows(output)["incidents"] == [0, 0, 3, 2]


def test_source_zone_default_is_utc(frozen: Any, run_import: Run) -> None:
    run_import("cachet", "--page", "shop", "--owner", "importer@example.com",
               CACHET / "incidents-2.json")

    incident = Incident.objects.get(title="Slow workers")
    assert incident.opened_at == dt.datetime(2025, 1, 15, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("name", "expected"), [
    ("gap-time.json", "gap-time.json: data[0].created_at is 2025-03-30 02:30:00, a time that "
                      "does not exist in Europe/Amsterdam (the clocks skip it): check "
                      "--source-time-zone."),
    ("bad-status.json", "bad-status.json: data[0].status is 7, which is not a Cachet "
                        "component status: expected one of 0, 1, 2, 3, 4."),
    ("unknown-object.json", "unknown-object.json: data[0] is neither a Cachet component, "
                            "component group, incident, incident update nor schedule: its "
                            "fields are colour, id."),
])
def test_bad_cachet_input(import_error: Run, name: str, expected: str) -> None:
    before = row_counts()

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com",
                           *ZONE, BAD_CACHET / name)

    assert message == f"{BAD_CACHET}/{expected}"
    assert row_counts() == before


def test_not_a_cachet_response(import_error: Run, tmp_path: Any) -> None:
    path = tmp_path / "list.json"
    path.write_text('{"components": []}')

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com", path)

    assert message.startswith(f"{path} is not a Cachet API response: expected a JSON object "
                              "with \"data\"")


def test_cachet_base_url_follows_pages(frozen: Any, run_import: Run, site: Site) -> None:
    def body(name: str) -> bytes:
        return (CACHET / name).read_text().replace("{base}", site.base).encode()

    site.routes.update({
        "/api/v1/components?per_page=100": (200, body("components.json")),
        "/api/v1/components/groups?per_page=100": (200, body("groups.json")),
        "/api/v1/incidents?per_page=100": (200, body("incidents-1.json")),
        "/api/v1/incidents?per_page=100&page=2": (200, body("incidents-2.json")),
        "/api/v1/incidents?per_page=100&page=3": (200, body("incidents-3.json")),
        "/api/v1/schedules?per_page=100": (200, body("schedules.json")),
    })

    output = run_import("cachet", "--page", "shop", "--owner", "importer@example.com", *ZONE,
                        site.base + "/api/v1")

    assert site.requests == [
        "/api/v1/components?per_page=100", "/api/v1/components/groups?per_page=100",
        "/api/v1/incidents?per_page=100", "/api/v1/incidents?per_page=100&page=2",
        "/api/v1/incidents?per_page=100&page=3", "/api/v1/schedules?per_page=100",
    ]
    # The update listed on its own is not fetched: Cachet embeds updates in incidents.
    assert report_rows(output)["incident updates"] == [6, 0, 0, 0]
    assert report_rows(output)["maintenances"] == [3, 0, 0, 1]
