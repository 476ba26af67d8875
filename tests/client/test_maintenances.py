"""`heliograph maintenance schedule|update|close|list|show`, with times in the page's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from heliograph.client.errors import ExitCode
from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus

pytestmark = pytest.mark.django_db(transaction=True)

UTC = dt.UTC


@pytest.fixture
def zurich(page: Page) -> Page:
    Page.objects.filter(pk=page.pk).update(time_zone="Europe/Zurich")
    page.refresh_from_db()
    return page


@pytest.fixture
def database(add_service) -> Service:
    return add_service("Database")


@pytest.fixture
def schedule_one(page: Page, actor: Actor) -> Callable[..., Maintenance]:
    def schedule(title: str, *, days: int = 10) -> Maintenance:
        start = dt.datetime(2030, 1, 1, 2, tzinfo=UTC) + dt.timedelta(days=days)
        return maintenances.schedule_maintenance(
            page, title=title, description="", starts_at=start,
            ends_at=start + dt.timedelta(hours=1), services=[], actor=actor)

    return schedule


def test_schedule_in_page_zone(cli, zurich, database):
    result = cli("maintenance", "schedule", "--title", "Database upgrade", "--description",
                 "Read-only.", "--start", "2030-01-15 02:00", "--end", "2030-01-15 03:30",
                 "--service", "Database")

    assert result.code == 0, result.stderr
    maintenance = Maintenance.objects.get(page=zurich)
    # January in Zurich is CET, UTC+1.
    assert maintenance.starts_at == dt.datetime(2030, 1, 15, 1, 0, tzinfo=UTC)
    assert maintenance.ends_at == dt.datetime(2030, 1, 15, 2, 30, tzinfo=UTC)
    assert [s.name for s in maintenance.services.all()] == ["Database"]
    assert maintenance.description == "Read-only."
    assert "from 2030-01-15 02:00 CET to 2030-01-15 03:30 CET (Europe/Zurich)" in result.stdout


def test_schedule_summer_time(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "2030-07-15 02:00",
                 "--end", "2030-07-15 03:00", "--json")

    assert result.code == 0, result.stderr
    # July in Zurich is CEST, UTC+2.
    assert result.json()["starts_at"] == "2030-07-15T00:00:00Z"


def test_schedule_with_offset(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start",
                 "2030-01-15T02:00-05:00", "--end", "2030-01-15T08:00Z", "--no-auto", "--json")

    assert result.code == 0, result.stderr
    body = result.json()
    assert body["starts_at"] == "2030-01-15T07:00:00Z"
    assert body["ends_at"] == "2030-01-15T08:00:00Z"
    assert body["auto_transition"] is False


def test_schedule_dst_gap_rejected(cli, zurich):
    # On 2030-03-31 the clocks in Zurich jump from 02:00 to 03:00.
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "2030-03-31 02:30",
                 "--end", "2030-03-31 04:00")

    assert result.code == ExitCode.USAGE
    assert "--start: 2030-03-31 02:30 does not exist in Europe/Zurich" in result.stderr
    assert "jump from 02:00 to 03:00" in result.stderr
    assert not Maintenance.objects.exists()


def test_schedule_dst_fold_rejected(cli, zurich):
    # On 2030-10-27 the clocks in Zurich go back from 03:00 to 02:00.
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "2030-10-27 01:00",
                 "--end", "2030-10-27 02:30")

    assert result.code == ExitCode.USAGE
    assert "--end: 2030-10-27 02:30 happens twice in Europe/Zurich" in result.stderr
    assert "2030-10-27T02:30+02:00 for the first time" in result.stderr
    assert "2030-10-27T02:30+01:00 for the second" in result.stderr
    assert not Maintenance.objects.exists()


def test_schedule_fold_resolved_by_offset(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "2030-10-27 01:00",
                 "--end", "2030-10-27T02:30+01:00", "--json")

    assert result.code == 0, result.stderr
    # 01:00 CEST is 23:00 UTC; the second 02:30, in CET, is 01:30 UTC: two and a half hours.
    assert result.json()["starts_at"] == "2030-10-26T23:00:00Z"
    assert result.json()["ends_at"] == "2030-10-27T01:30:00Z"


def test_schedule_end_before_start(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "2030-01-15 03:00",
                 "--end", "2030-01-15 02:00")

    assert result.code == ExitCode.USAGE
    assert "--end (2030-01-15T02:00:00+01:00) is not after --start" in result.stderr
    assert not Maintenance.objects.exists()


def test_schedule_missing_options(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade")

    assert result.code == ExitCode.USAGE
    assert "Missing --start, --end" in result.stderr


def test_schedule_server_rejects_year(cli, zurich):
    result = cli("maintenance", "schedule", "--title", "Upgrade", "--start", "9999-01-15 02:00",
                 "--end", "9999-01-15 03:00")

    assert result.code == ExitCode.USAGE
    assert "--start (starts_at):" in result.stderr
    assert not Maintenance.objects.exists()


def test_update_posts_event_and_starts(cli, schedule_one):
    maintenance = schedule_one("Database upgrade")

    result = cli("maintenance", "update", "database", "--text", "Started.")

    assert result.code == 0, result.stderr
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.events.get().text == "Started."
    assert "posted an update; now In progress" in result.stdout


def test_update_note_keeps_scheduled(cli, schedule_one):
    maintenance = schedule_one("Database upgrade")

    result = cli("maintenance", "update", str(maintenance.pk), "--text", "Moved by an hour.",
                 "--status", "scheduled", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["status"] == "scheduled"
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED


def test_update_changes_window(cli, zurich, schedule_one):
    maintenance = schedule_one("Database upgrade")

    result = cli("maintenance", "update", "Database", "--start", "2030-02-01 01:00", "--end",
                 "2030-02-01 05:00", "--title", "Database upgrade, longer")

    assert result.code == 0, result.stderr
    maintenance.refresh_from_db()
    assert maintenance.starts_at == dt.datetime(2030, 2, 1, 0, 0, tzinfo=UTC)
    assert maintenance.ends_at == dt.datetime(2030, 2, 1, 4, 0, tzinfo=UTC)
    assert maintenance.title == "Database upgrade, longer"
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert "changed title, start, end" in result.stdout


def test_update_nothing_to_do(cli, schedule_one):
    schedule_one("Database upgrade")

    result = cli("maintenance", "update", "database")

    assert result.code == ExitCode.USAGE
    assert "Nothing to do" in result.stderr


def test_update_status_without_text(cli, schedule_one):
    schedule_one("Database upgrade")

    result = cli("maintenance", "update", "database", "--status", "in-progress", "--title", "x")

    assert result.code == ExitCode.USAGE
    assert "give --text too" in result.stderr


def test_update_window_in_gap_changes_nothing(cli, zurich, schedule_one):
    maintenance = schedule_one("Database upgrade")
    before = (maintenance.starts_at, maintenance.ends_at)

    result = cli("maintenance", "update", "database", "--start", "2030-03-31 02:15",
                 "--text", "x")

    assert result.code == ExitCode.USAGE
    maintenance.refresh_from_db()
    assert (maintenance.starts_at, maintenance.ends_at) == before
    assert not maintenance.events.exists()


def test_update_bad_at_changes_nothing(cli, zurich, schedule_one):
    """The update is checked before the announcement changes."""
    maintenance = schedule_one("Database upgrade")

    result = cli("maintenance", "update", "database", "--title", "Database upgrade, later",
                 "--text", "Moved.", "--at", "2030-03-31 02:15")

    assert result.code == ExitCode.USAGE
    assert "does not exist in Europe/Zurich" in result.stderr
    maintenance.refresh_from_db()
    assert maintenance.title == "Database upgrade"
    assert not maintenance.events.exists()


def test_update_future_at_changes_nothing(cli, zurich, schedule_one):
    maintenance = schedule_one("Database upgrade")
    with time_machine.travel(dt.datetime(2026, 11, 3, 12, 0, tzinfo=UTC), tick=True):
        result = cli("maintenance", "update", "database", "--title", "Database upgrade, later",
                     "--text", "Moved.", "--at", "2026-11-03 14:00")

    assert result.code == ExitCode.USAGE
    assert ("--at: 2026-11-03 14:00 CET (Europe/Zurich) is in the future: give a time up to "
            "now.") in result.stderr
    maintenance.refresh_from_db()
    assert maintenance.title == "Database upgrade"
    assert not maintenance.events.exists()


def test_update_empty_stdin_changes_nothing(cli, schedule_one):
    maintenance = schedule_one("Database upgrade")

    result = cli("maintenance", "update", "database", "--title", "Renamed", "--text", "-",
                 input="")

    assert result.code == ExitCode.USAGE
    assert "standard input is empty" in result.stderr
    maintenance.refresh_from_db()
    assert maintenance.title == "Database upgrade"


def test_update_completed_changes_nothing(cli, schedule_one, actor):
    maintenance = schedule_one("Database upgrade")
    maintenances.close_maintenance(maintenance, actor=actor)

    result = cli("maintenance", "update", str(maintenance.pk), "--title", "Renamed",
                 "--text", "One more thing.")

    assert result.code == ExitCode.REJECTED
    assert "is completed and takes no further updates" in result.stderr
    maintenance.refresh_from_db()
    assert maintenance.title == "Database upgrade"
    assert maintenance.events.count() == 1


def test_update_rejected_after_change_says_so(cli, schedule_one, actor):
    """When the server rejects the update after the change, the message names both."""
    maintenance = schedule_one("Database upgrade")
    maintenances.post_event(maintenance, text="Started.",
                            status=MaintenanceStatus.IN_PROGRESS, actor=actor)

    result = cli("maintenance", "update", "database", "--title", "Renamed", "--text", "Note.",
                 "--status", "scheduled")

    assert result.code == ExitCode.REJECTED
    assert f"Changed title of maintenance #{maintenance.pk}, but the update was not posted:" \
        in result.stderr
    maintenance.refresh_from_db()
    assert maintenance.title == "Renamed"
    assert maintenance.events.count() == 1


def test_close_and_close_again(cli, schedule_one):
    maintenance = schedule_one("Database upgrade")

    first = cli("maintenance", "close", "database", "--text", "Done.", "--yes")
    again = cli("maintenance", "close", str(maintenance.pk), "--yes")

    assert first.code == 0, first.stderr
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert "Completed maintenance" in first.stdout
    assert again.code == ExitCode.REJECTED
    assert "maintenance_already_completed" in again.stderr


def test_ambiguous_maintenance(cli, schedule_one):
    first = schedule_one("Database upgrade")
    second = schedule_one("Database migration", days=20)

    result = cli("maintenance", "show", "database")

    assert result.code == ExitCode.USAGE
    assert f"#{first.pk}  Database upgrade  (Scheduled" in result.stderr
    assert f"#{second.pk}  Database migration  (Scheduled" in result.stderr


def test_list_and_show(cli, zurich, schedule_one, database):
    maintenance = schedule_one("Database upgrade")
    maintenance.services.add(database)

    listed = cli("maintenance", "list")
    data = cli("maintenance", "list", "--status", "scheduled", "--json")
    shown = cli("maintenance", "show", "#" + str(maintenance.pk))

    assert listed.code == 0, listed.stderr
    assert "Starts (Europe/Zurich)" in listed.stdout
    assert "2030-01-11 03:00 CET" in listed.stdout
    assert [item["id"] for item in data.json()] == [maintenance.pk]
    assert shown.code == 0, shown.stderr
    assert "2030-01-11 03:00 CET to 2030-01-11 04:00 CET" in shown.stdout
    assert "Database" in shown.stdout
    assert f"maintenances/{maintenance.pk}" in shown.stdout


def test_maintenance_not_found(cli):
    result = cli("maintenance", "close", "Upgrade", "--yes")

    assert result.code == ExitCode.NOT_FOUND
    assert "No maintenance on page 'acme'" in result.stderr
