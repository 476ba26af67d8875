"""Tests of scheduling, starting, closing and auto-advancing maintenances."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from heliograph.domain import maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.maintenances import advance_due_maintenances
from heliograph.domain.models import AuditEntry, Maintenance, Page, Service
from heliograph.domain.queries import page_status
from heliograph.domain.vocab import MaintenanceStatus
from tests.domain.support import NOW, audited, footprint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REPOSITORY = Path(__file__).resolve().parents[2]
HOUR = dt.timedelta(hours=1)
STARTS = NOW + HOUR
ENDS = NOW + 3 * HOUR


def schedule(
    page: Page,
    actor: Actor,
    *,
    starts_at: dt.datetime = STARTS,
    ends_at: dt.datetime = ENDS,
    services: list[Service] | None = None,
    auto_transition: bool | None = None,
    title: str = "Database upgrade",
) -> Maintenance:
    return maintenances.schedule_maintenance(
        page, title=title, description="Moving to PostgreSQL 17.", starts_at=starts_at,
        ends_at=ends_at, services=services or [], auto_transition=auto_transition, actor=actor,
    )


def switch_auto(page: Page, actor: Actor, on: bool) -> None:
    pages.update_page(page, {"auto_maintenance": on}, actor=actor)


def statuses(maintenance: Maintenance) -> list[str]:
    return list(maintenance.events.order_by("at", "id").values_list("status", flat=True))


# Scheduling and the window


def test_schedule_maintenance_starts_scheduled(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database = add_service("Database")

    maintenance = schedule(page, actor, services=[database])

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.SCHEDULED
    assert (stored.starts_at, stored.ends_at) == (STARTS, ENDS)
    assert stored.started_at is None
    assert stored.completed_at is None
    assert not stored.events.exists()
    assert [service.pk for service in stored.services.all()] == [database.pk]
    assert AuditEntry.objects.filter(action="maintenance.schedule",
                                     object_id=maintenance.pk).count() == 1


@pytest.mark.parametrize("ends_at", [STARTS, STARTS - dt.timedelta(minutes=1)],
                         ids=["equal", "before"])
def test_schedule_maintenance_rejects_end_not_after_start(
    page: Page, actor: Actor, ends_at: dt.datetime
) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        schedule(page, actor, ends_at=ends_at)

    assert error.value.code == "window_end_before_start"
    assert error.value.field == "ends_at"
    assert footprint(page) == before


def test_schedule_maintenance_rejects_naive_start(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        schedule(page, actor, starts_at=STARTS.replace(tzinfo=None))

    assert error.value.code == "naive_time"
    assert error.value.field == "starts_at"
    assert footprint(page) == before


def test_update_maintenance_rejects_end_before_start(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        maintenances.update_maintenance(maintenance, ends_at=STARTS - HOUR, actor=actor)

    assert error.value.code == "window_end_before_start"
    assert error.value.field == "ends_at"
    assert footprint(page) == before
    assert maintenance.ends_at == ENDS


def test_update_maintenance_moves_window(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)

    maintenances.update_maintenance(maintenance, starts_at=STARTS + HOUR,
                                    ends_at=ENDS + HOUR, actor=actor)

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert (stored.starts_at, stored.ends_at) == (STARTS + HOUR, ENDS + HOUR)
    before, after = audited("maintenance.update", maintenance.pk)
    assert before["ends_at"] == ENDS.isoformat()
    assert after["ends_at"] == (ENDS + HOUR).isoformat()


# Events and status


def test_post_event_starts_scheduled_maintenance(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(STARTS)

    event = maintenances.post_event(maintenance, text="Starting the upgrade.", actor=actor)

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.IN_PROGRESS
    assert stored.started_at == STARTS
    assert event.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS


def test_post_event_keeps_first_start_time(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(STARTS)
    maintenances.post_event(maintenance, text="Starting the upgrade.", actor=actor)
    clock.shift(HOUR)

    maintenances.post_event(maintenance, text="Half way.", actor=actor)

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.started_at == STARTS
    assert statuses(stored) == ["in_progress", "in_progress"]


def test_scheduled_note_keeps_maintenance_scheduled(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)

    maintenances.post_event(maintenance, text="Moved by an hour.",
                            status=MaintenanceStatus.SCHEDULED, actor=actor)

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.SCHEDULED
    assert stored.started_at is None
    assert statuses(stored) == ["scheduled"]


def test_post_event_rejects_scheduled_when_in_progress(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenances.post_event(maintenance, text="Starting early.", actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.post_event(maintenance, text="Back to planned.",
                                status=MaintenanceStatus.SCHEDULED, actor=actor)

    assert error.value.code == "maintenance_started"
    assert error.value.field == "status"
    assert footprint(page) == before


def test_post_event_rejects_time_before_previous(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(STARTS)
    maintenances.post_event(maintenance, text="Starting.", actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.post_event(maintenance, text="Earlier note.", at=STARTS - HOUR,
                                actor=actor)

    assert error.value.code == "event_before_previous"
    assert error.value.field == "at"
    assert footprint(page) == before


@pytest.mark.parametrize("started", [False, True], ids=["from scheduled", "from in progress"])
def test_close_maintenance_completes_it(
    page: Page, actor: Actor, clock: time_machine.Traveller, started: bool
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(STARTS)
    if started:
        maintenances.post_event(maintenance, text="Starting.", actor=actor)
    clock.move_to(ENDS)

    event = maintenances.close_maintenance(maintenance, actor=actor)

    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.COMPLETED
    assert stored.completed_at == ENDS
    assert event.text == maintenances.DEFAULT_CLOSING_TEXT
    assert statuses(stored) == (["in_progress"] if started else []) + ["completed"]


def test_completed_status_event_closes_maintenance(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)

    event = maintenances.post_event(maintenance, text="Cancelled: not needed.",
                                    status=MaintenanceStatus.COMPLETED, actor=actor)

    assert Maintenance.objects.get(pk=maintenance.pk).status == MaintenanceStatus.COMPLETED
    assert event.text == "Cancelled: not needed."


def test_post_event_rejects_completed_maintenance(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenances.close_maintenance(maintenance, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.post_event(maintenance, text="One more thing.", actor=actor)

    assert error.value.code == "maintenance_completed"
    assert error.value.field is None
    assert footprint(page) == before


def test_close_maintenance_rejects_second_close(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenances.close_maintenance(maintenance, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.close_maintenance(maintenance, text="Done again.", actor=actor)

    assert error.value.code == "maintenance_already_completed"
    assert footprint(page) == before


def test_update_maintenance_rejects_window_once_completed(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenances.close_maintenance(maintenance, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.update_maintenance(maintenance, ends_at=ENDS + HOUR, actor=actor)

    assert error.value.code == "maintenance_completed"
    assert error.value.field == "ends_at"
    assert footprint(page) == before


def test_update_maintenance_rejects_services_once_completed(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database = add_service("Database")
    maintenance = schedule(page, actor)
    maintenances.close_maintenance(maintenance, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        maintenances.update_maintenance(maintenance, services=[database], actor=actor)

    assert error.value.code == "maintenance_completed"
    assert error.value.field == "services"
    assert footprint(page) == before
    assert not Maintenance.objects.get(pk=maintenance.pk).services.exists()


def test_update_maintenance_renames_completed(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenances.close_maintenance(maintenance, actor=actor)

    maintenances.update_maintenance(maintenance, title="Database upgrade to 17",
                                    actor=actor)

    assert Maintenance.objects.get(pk=maintenance.pk).title == "Database upgrade to 17"


def test_delete_maintenance_is_audited(page: Page, actor: Actor) -> None:
    maintenance = schedule(page, actor)
    maintenance_id = maintenance.pk

    maintenances.delete_maintenance(maintenance, actor=actor)

    assert not Maintenance.objects.filter(pk=maintenance_id).exists()
    before, _ = audited("maintenance.delete", maintenance_id)
    assert before["title"] == "Database upgrade"


# Overdue


def test_scheduled_maintenance_past_end_is_overdue(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(ENDS - dt.timedelta(seconds=1))
    assert not maintenance.is_overdue()
    assert page_status(page).overdue_maintenances == []

    clock.move_to(ENDS)

    assert maintenance.is_overdue()
    status = page_status(page)
    assert [m.pk for m in status.overdue_maintenances] == [maintenance.pk]
    assert status.upcoming_maintenances == []
    assert status.active_maintenances == []


def test_closed_maintenance_is_no_longer_overdue(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(ENDS + HOUR)

    maintenances.close_maintenance(maintenance, actor=actor)

    assert not maintenance.is_overdue()
    assert page_status(page).overdue_maintenances == []


def test_in_progress_maintenance_past_end_is_not_overdue(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    maintenance = schedule(page, actor)
    clock.move_to(STARTS)
    maintenances.post_event(maintenance, text="Starting.", actor=actor)

    clock.move_to(ENDS + HOUR)

    assert not maintenance.is_overdue()
    status = page_status(page)
    assert status.overdue_maintenances == []
    assert [m.pk for m in status.active_maintenances] == [maintenance.pk]


# Moving along the window on their own


def test_advance_starts_then_completes_with_page_switch(page: Page, actor: Actor) -> None:
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)

    assert advance_due_maintenances(STARTS - dt.timedelta(seconds=1)) == []
    started = advance_due_maintenances(STARTS)
    completed = advance_due_maintenances(ENDS)

    assert [(e.maintenance_id, e.status, e.at) for e in started] == [
        (maintenance.pk, MaintenanceStatus.IN_PROGRESS, STARTS)
    ]
    assert [(e.maintenance_id, e.status, e.at) for e in completed] == [
        (maintenance.pk, MaintenanceStatus.COMPLETED, ENDS)
    ]
    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.COMPLETED
    assert (stored.started_at, stored.completed_at) == (STARTS, ENDS)
    entries = AuditEntry.objects.filter(object_id=maintenance.pk,
                                        action__startswith="maintenance.auto.")
    assert sorted(entries.values_list("actor_label", flat=True)) == ["worker", "worker"]


def test_advance_uses_window_times_when_late(page: Page, actor: Actor) -> None:
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)

    advance_due_maintenances(STARTS + dt.timedelta(minutes=7))
    advance_due_maintenances(ENDS + dt.timedelta(minutes=7))

    events = list(maintenance.events.order_by("at"))
    assert [(event.status, event.at) for event in events] == [
        (MaintenanceStatus.IN_PROGRESS, STARTS),
        (MaintenanceStatus.COMPLETED, ENDS),
    ]


def test_advance_twice_adds_one_event_per_transition(page: Page, actor: Actor) -> None:
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)

    first = advance_due_maintenances(STARTS)
    second = advance_due_maintenances(STARTS)
    third = advance_due_maintenances(ENDS)
    fourth = advance_due_maintenances(ENDS)

    assert (len(first), len(second), len(third), len(fourth)) == (1, 0, 1, 0)
    assert statuses(maintenance) == ["in_progress", "completed"]


def test_advance_completes_window_missed_entirely(page: Page, actor: Actor) -> None:
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)

    events = advance_due_maintenances(ENDS + HOUR)

    assert [(event.status, event.at) for event in events] == [
        (MaintenanceStatus.COMPLETED, ENDS)
    ]
    stored = Maintenance.objects.get(pk=maintenance.pk)
    assert stored.status == MaintenanceStatus.COMPLETED
    assert stored.started_at is None


@pytest.mark.parametrize(
    ("page_switch", "override", "advances"),
    [(False, True, True), (True, False, False), (False, None, False), (True, None, True)],
    ids=["page off, maintenance on", "page on, maintenance off", "both off",
         "page on, maintenance unset"],
)
def test_advance_follows_page_switch_and_override(
    page: Page, actor: Actor, page_switch: bool, override: bool | None, advances: bool
) -> None:
    switch_auto(page, actor, page_switch)
    maintenance = schedule(page, actor, auto_transition=override)

    events = advance_due_maintenances(STARTS)

    assert len(events) == (1 if advances else 0)
    expected = MaintenanceStatus.IN_PROGRESS if advances else MaintenanceStatus.SCHEDULED
    assert Maintenance.objects.get(pk=maintenance.pk).status == expected


def test_advance_leaves_started_maintenance_until_end(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)
    clock.move_to(STARTS - dt.timedelta(minutes=5))
    maintenances.post_event(maintenance, text="Starting early.", actor=actor)

    assert advance_due_maintenances(STARTS) == []
    completed = advance_due_maintenances(ENDS)

    assert [event.status for event in completed] == [MaintenanceStatus.COMPLETED]
    assert statuses(maintenance) == ["in_progress", "completed"]


def test_advance_claim_lets_one_caller_win(page: Page, actor: Actor) -> None:
    """Two workers that read the same scheduled row: the second conditional update matches none."""
    switch_auto(page, actor, True)
    maintenance = schedule(page, actor)
    seen_by_first = Maintenance.objects.select_related("page").get(pk=maintenance.pk)
    seen_by_second = Maintenance.objects.select_related("page").get(pk=maintenance.pk)

    won = maintenances._advance(seen_by_first, MaintenanceStatus.IN_PROGRESS, "Started.", STARTS)
    lost = maintenances._advance(seen_by_second, MaintenanceStatus.IN_PROGRESS, "Started.",
                                 STARTS)

    assert won is not None
    assert lost is None
    assert statuses(maintenance) == ["in_progress"]


def run_threads(count: int, now: dt.datetime) -> list[int]:
    """Run `advance_due_maintenances` in `count` threads at once and return their event counts."""
    barrier = threading.Barrier(count)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(len(advance_due_maintenances(now)))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_advance_from_concurrent_threads_acts_once(page: Page, actor: Actor) -> None:
    if connection.vendor == "sqlite":
        # The SQLite test database is in memory with a shared cache. Its table locks fail at
        # once instead of waiting, so the process race below covers SQLite, on a real file.
        pytest.skip("threads need a database with row locks or a busy timeout")
    switch_auto(page, actor, True)
    scheduled = [schedule(page, actor, title=f"Upgrade {n}") for n in range(12)]

    started = run_threads(4, STARTS)
    completed = run_threads(4, ENDS)

    assert sum(started) == 12
    assert sum(completed) == 12
    for maintenance in scheduled:
        assert statuses(maintenance) == ["in_progress", "completed"]
    assert AuditEntry.objects.filter(action__startswith="maintenance.auto.").count() == 24


def run_processes(env: dict[str, str], ready_dir: Path, workers: int,
                  moments: list[dt.datetime]) -> list[list[int]]:
    """Run `advance_race` in `workers` processes and return their event counts per moment."""
    command = [sys.executable, "-m", "tests.domain.advance_race", str(ready_dir), str(workers),
               *(moment.isoformat() for moment in moments)]
    processes = [
        subprocess.Popen(command, cwd=REPOSITORY, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    counts = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        counts.append([int(count) for count in out.split()])
    return counts


@pytest.mark.django_db(transaction=True)
def test_advance_from_worker_processes_acts_once(
    page: Page, actor: Actor, tmp_path: Path
) -> None:
    """Worker processes on one SQLite file in WAL mode, the self-hosted set-up."""
    if connection.vendor != "sqlite":
        pytest.skip("the thread race covers PostgreSQL")
    switch_auto(page, actor, True)
    for number in range(20):
        schedule(page, actor, title=f"Upgrade {number}")
    connection.ensure_connection()
    with closing(sqlite3.connect(tmp_path / "heliograph.sqlite3")) as copy:
        connection.connection.backup(copy)
    env = {name: value for name, value in os.environ.items()
           if name not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "HELIOGRAPH_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "SECRET_KEY": "test-only-secret-key-for-worker-processes",
    }

    counts = run_processes(env, tmp_path / "ready", 4, [STARTS, ENDS])

    assert sum(started for started, _ in counts) == 20
    assert sum(completed for _, completed in counts) == 20
    with closing(sqlite3.connect(tmp_path / "heliograph.sqlite3")) as database:
        rows = database.execute(
            "SELECT maintenance_id, group_concat(status, ',') FROM "
            "(SELECT maintenance_id, status FROM domain_maintenanceevent ORDER BY at, id) "
            "GROUP BY maintenance_id"
        ).fetchall()
    assert len(rows) == 20
    assert {events for _, events in rows} == {"in_progress,completed"}
