"""Importing each shape of Statuspage JSON, and how its words map onto Heliograph's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from heliograph.domain.models import AuditEntry, Incident, Maintenance, Page, Service, ServiceGroup
from heliograph.domain.queries import page_status
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, State, Status
from tests.importers.conftest import STATUSPAGE, imported, report_rows, utc


def events_of(incident: Incident) -> list[tuple[dt.datetime, str, str, str]]:
    return [(event.at, event.state, event.status, event.text)
            for event in incident.events.order_by("at", "id")]


def event_services(incident: Incident) -> list[list[str] | None]:
    """Return, per event, the names of the services it names, or None if it names none."""
    return [sorted(service.name for service in event.services.all())
            if event.services_override else None
            for event in incident.events.order_by("at", "id")]


@pytest.fixture
def summary_page(frozen: time_machine.Traveller, run_import: Callable[..., str]) -> Page:
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
               STATUSPAGE / "summary.json")
    return Page.objects.get(slug="cloud")


@pytest.fixture
def full_page(frozen: time_machine.Traveller, run_import: Callable[..., str]) -> Page:
    """A page made from every Statuspage fixture: the folder, read recursively."""
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", STATUSPAGE)
    return Page.objects.get(slug="cloud")


def test_new_page_takes_source_name_and_zone(summary_page: Page) -> None:
    assert summary_page.title == "Example Cloud"
    assert summary_page.time_zone == "America/New_York"
    assert summary_page.memberships.get().user.email == "importer@example.com"


def test_components_keep_statuspage_order(summary_page: Page) -> None:
    services = list(Service.objects.filter(page=summary_page).order_by("position"))

    assert [service.name for service in services] == [
        "API", "Virtual machines", "Block storage", "Dashboard"
    ]
    assert [service.group.name if service.group else None for service in services] == [
        None, "Compute", "Compute", None
    ]
    assert services[0].description == "The public REST API"
    assert services[3].description == ""


def test_empty_group_skipped_with_reason(frozen: Any, run_import: Callable[..., str]) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE / "summary.json")

    assert list(ServiceGroup.objects.values_list("name", flat=True)) == ["Compute"]
    assert "group 'Legacy' (grplegacy001): it has no components." in output


def test_service_start_dates(summary_page: Page) -> None:
    api = Service.objects.get(page=summary_page, name="API")
    block = Service.objects.get(page=summary_page, name="Block storage")

    assert api.start_date == dt.date(2019, 5, 1)
    # created_at 2020-01-15T09:30-05:00, a local day of the page's zone.
    assert block.start_date == dt.date(2020, 1, 15)


def test_several_open_incidents_stay_open(summary_page: Page) -> None:
    api_errors = imported(summary_page, "incident", "incapierrs01")
    volumes = imported(summary_page, "incident", "incvolume001")

    assert api_errors.is_open
    assert volumes.is_open
    assert not api_errors.backfilled
    assert api_errors.status == Status.IDENTIFIED
    assert api_errors.state == State.PARTIAL_OUTAGE
    assert volumes.services.count() == 0
    assert volumes.state == State.DEGRADED_PERFORMANCE


def test_open_incident_updates_oldest_first_with_offsets(summary_page: Page) -> None:
    api_errors = imported(summary_page, "incident", "incapierrs01")

    assert events_of(api_errors) == [
        (utc("2025-02-28T14:02:11.120+00:00"), State.PARTIAL_OUTAGE, Status.INVESTIGATING,
         "We are investigating errors on the API."),
        (utc("2025-02-28T20:10:42.500+00:00"), State.PARTIAL_OUTAGE, Status.IDENTIFIED,
         "A bad deploy causes errors; we are rolling it back."),
    ]
    assert api_errors.opened_at == utc("2025-02-28T14:02:11.120+00:00")


def test_open_incidents_drive_service_states(summary_page: Page) -> None:
    states = {item.service.name: item.state
              for item in page_status(summary_page).services}

    assert states["API"] == DisplayState.PARTIAL_OUTAGE
    assert states["Virtual machines"] == DisplayState.OPERATIONAL
    assert states["Dashboard"] == DisplayState.UNDER_MAINTENANCE


def test_maintenances_keep_windows_and_statuses(summary_page: Page) -> None:
    network = imported(summary_page, "maintenance", "mntnetwork01")
    dashboard = imported(summary_page, "maintenance", "mntdash00001")

    assert network.status == MaintenanceStatus.SCHEDULED
    assert (network.starts_at, network.ends_at) == (utc("2025-03-10T02:00:00+00:00"),
                                                    utc("2025-03-10T04:00:00+00:00"))
    assert network.description == "We replace the core switches in the Frankfurt region."
    assert network.events.count() == 0
    assert [service.name for service in network.services.all()] == ["Virtual machines"]
    assert dashboard.status == MaintenanceStatus.IN_PROGRESS
    assert dashboard.started_at == utc("2025-03-01T11:00:05+00:00")
    assert [(event.status, event.text) for event in dashboard.events.all()] == [
        (MaintenanceStatus.IN_PROGRESS, "The upgrade has started; the dashboard is read-only."),
    ]


def test_component_status_without_incident_is_derived(summary_page: Page) -> None:
    # The summary gives Block storage as degraded, but no incident names it. Heliograph
    # derives a service's state from incidents, so the service is operational.
    states = {item.service.name: item.state for item in page_status(summary_page).services}

    assert states["Block storage"] == DisplayState.OPERATIONAL


def test_postmortem_and_partial_recovery(full_page: Page) -> None:
    failover = imported(full_page, "incident", "incdbfail001")

    assert failover.backfilled
    assert not failover.is_open
    assert failover.post_mortem is not None
    assert failover.post_mortem.startswith("## What happened")
    assert events_of(failover) == [
        (utc("2025-02-11T00:05:30+00:00"), State.MAJOR_OUTAGE, Status.INVESTIGATING,
         "We are investigating failed writes."),
        (utc("2025-02-11T00:40:00+00:00"), State.MAJOR_OUTAGE, Status.IDENTIFIED,
         "The primary database stopped accepting writes."),
        (utc("2025-02-11T01:20:00+00:00"), State.PARTIAL_OUTAGE, Status.MONITORING,
         "Virtual machines work again; block storage is still slow. We are watching."),
        (utc("2025-02-11T01:45:00.250+00:00"), State.OPERATIONAL, Status.RESOLVED,
         "The database has recovered."),
    ]
    assert event_services(failover) == [None, None, ["Block storage"], None]
    assert failover.closed_at == utc("2025-02-11T01:45:00.250+00:00")


def test_reopened_incident(full_page: Page) -> None:
    logins = imported(full_page, "incident", "incloginfl01")

    assert [(state, status) for _, state, status, _ in events_of(logins)] == [
        (State.DEGRADED_PERFORMANCE, Status.INVESTIGATING),
        (State.OPERATIONAL, Status.MONITORING),
        (State.DEGRADED_PERFORMANCE, Status.INVESTIGATING),
        (State.OPERATIONAL, Status.RESOLVED),
    ]
    assert logins.services.count() == 0


def test_single_update_incident_kept_whole(full_page: Page) -> None:
    old = imported(full_page, "incident", "incold000001")

    assert old.events.count() == 1
    assert old.opened_at == old.closed_at == utc("2012-03-04T17:00:00+00:00")
    assert old.backfilled
    assert old.events.get().text == (
        "- **2012-03-04 17:00:00** - The API returns errors & timeouts.\n"
        "- **2012-03-04 17:40:00** - Fixed, see [our blog](https://example.com/blog)."
    )
    assert AuditEntry.objects.filter(page=full_page, action="incident.backfill",
                                     object_id=old.pk).exists()


def test_resolved_without_resolving_update(full_page: Page) -> None:
    search = imported(full_page, "incident", "incsearch001")

    assert events_of(search)[-1] == (utc("2025-02-15T09:30:00+00:00"), State.OPERATIONAL,
                                     Status.RESOLVED, "This incident has been resolved.")
    # Impact "none" still opens the incident as degraded: it cannot open as operational.
    assert events_of(search)[0][1] == State.DEGRADED_PERFORMANCE


def test_single_incident_file_with_local_offsets(full_page: Page) -> None:
    webhooks = imported(full_page, "incident", "incwebhook01")

    assert [at for at, *_ in events_of(webhooks)] == [
        utc("2025-02-19T19:12:09.999+00:00"), utc("2025-02-19T20:00:00+00:00"),
        utc("2025-02-19T20:30:00+00:00"),
    ]
    assert [state for _, state, _, _ in events_of(webhooks)] == [
        State.PARTIAL_OUTAGE, State.PARTIAL_OUTAGE, State.OPERATIONAL
    ]


def test_verifying_maintenance_completes(full_page: Page) -> None:
    firmware = imported(full_page, "maintenance", "mntfirmware1")

    assert firmware.status == MaintenanceStatus.COMPLETED
    assert firmware.description.startswith("We update the firmware")
    assert [(event.at, event.status) for event in firmware.events.all()] == [
        (utc("2025-02-16T02:00:00+00:00"), MaintenanceStatus.IN_PROGRESS),
        (utc("2025-02-16T03:20:00+00:00"), MaintenanceStatus.IN_PROGRESS),
        (utc("2025-02-16T03:50:00+00:00"), MaintenanceStatus.COMPLETED),
    ]
    assert firmware.completed_at == utc("2025-02-16T03:50:00+00:00")


def test_maintenance_without_end_skipped(frozen: Any, run_import: Callable[..., str]) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE / "scheduled-maintenances.json")

    assert not Maintenance.objects.filter(title="Undated work").exists()
    assert ("maintenance 'Undated work' (mntundated01): it has no scheduled_until, so its "
            "window is unknown.") in output


def test_rebuilt_history_closes_when_gone(full_page: Page) -> None:
    queue = imported(full_page, "incident", "incqueue0001")
    ongoing = imported(full_page, "incident", "incongoing01")
    cache = imported(full_page, "maintenance", "mntcache0001")

    assert queue.closed_at == utc("2025-02-20T10:05:00+00:00")
    assert events_of(queue)[-1][2:] == (Status.RESOLVED, "This incident has been resolved.")
    assert ongoing.is_open
    assert ongoing.state == State.MAJOR_OUTAGE
    assert cache.status == MaintenanceStatus.COMPLETED
    assert cache.completed_at == utc("2025-02-22T02:35:00+00:00")


def test_status_file_skipped(frozen: Any, run_import: Callable[..., str]) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE / "status.json")

    assert "contains only the page and its status: nothing to import." in output
    assert Service.objects.count() == 0


def test_folder_counts(frozen: Any, run_import: Callable[..., str]) -> None:
    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        STATUSPAGE)
    page = Page.objects.get(slug="cloud")

    assert "from 6 files" in output
    assert Incident.objects.filter(page=page).count() == 9
    assert Maintenance.objects.filter(page=page).count() == 4
    rows = report_rows(output)
    assert rows["incidents"] == [9, 0, 0, 0]
    # 20 updates, less the post-mortem, plus a resolving update for "Search is slow" and
    # one for "Queue backlog".
    assert rows["incident updates"] == [21, 0, 0, 0]
    assert rows["maintenances"] == [4, 0, 0, 1]
    assert rows["groups"] == [1, 0, 0, 1]


def test_keep_html_option(frozen: Any, run_import: Callable[..., str]) -> None:
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
               "--keep-html", STATUSPAGE / "incidents.json")
    old = imported(Page.objects.get(slug="cloud"), "incident", "incold000001")

    assert old.events.get().text.startswith("<ul><li><strong>2012-03-04 17:00:00</strong>")
