"""Running an import again: nothing duplicated, changes of the source applied, local edits kept."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine

from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Incident, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from tests.importers.conftest import STATUSPAGE, imported, report_rows, row_counts, utc

Run = Callable[..., str]


def load(name: str) -> Any:
    return json.loads((STATUSPAGE / name).read_text())


def write(folder: Path, name: str, document: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def incident_in(document: dict[str, Any], external_id: str) -> dict[str, Any]:
    listed = document.get("incidents", []) + document.get("scheduled_maintenances", [])
    return next(item for item in listed if item["id"] == external_id)


def update_in(item: dict[str, Any], external_id: str) -> dict[str, Any]:
    return next(entry for entry in item["incident_updates"] if entry["id"] == external_id)


def new_update(item: dict[str, Any], external_id: str, status: str, at: str,
               body: str) -> None:
    item["incident_updates"].insert(0, {
        "id": external_id, "status": status, "body": body, "incident_id": item["id"],
        "created_at": at, "updated_at": at, "display_at": at, "affected_components": None,
        "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
    })
    item["updated_at"] = at


@pytest.fixture
def first_run(frozen: time_machine.Traveller, run_import: Run) -> Page:
    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", STATUSPAGE)
    return Page.objects.get(slug="cloud")


def test_second_run_changes_nothing(first_run: Page, run_import: Run) -> None:
    before = row_counts()
    version = first_run.version

    output = run_import("statuspage", "--page", "cloud", STATUSPAGE)

    first_run.refresh_from_db()
    assert row_counts() == before
    assert first_run.version == version
    rows = report_rows(output)
    assert rows["incidents"] == [0, 0, 9, 0]
    assert rows["incident updates"] == [0, 0, 21, 0]
    assert rows["maintenances"] == [0, 0, 4, 1]
    assert rows["services"] == [0, 0, 4, 0]
    assert "Nothing changed: the page already matches the source." in output


def test_changed_text_is_corrected(first_run: Page, run_import: Run, tmp_path: Path) -> None:
    document = load("incidents.json")
    update_in(incident_in(document, "incdbfail001"), "upddb0000002")["body"] = (
        "The primary database stopped accepting writes at 00:38."
    )
    event = imported(first_run, "incident_update", "upddb0000002")
    before = row_counts()

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "i.json", document))

    event.refresh_from_db()
    assert event.text == "The primary database stopped accepting writes at 00:38."
    assert event.edited_at is not None
    # The file contains 4 incidents with 11 updates in all.
    assert report_rows(output)["incident updates"] == [0, 1, 10, 0]
    assert row_counts()["incident events"] == before["incident events"]
    edit = AuditEntry.objects.get(page=first_run, action="incident.event.edit")
    assert edit.before == {"text": "The primary database stopped accepting writes."}


def test_new_updates_appended_and_close(first_run: Page, run_import: Run,
                                        tmp_path: Path) -> None:
    document = load("summary.json")
    api_errors = incident_in(document, "incapierrs01")
    new_update(api_errors, "updapi000003", "monitoring", "2025-02-28T21:00:00.000Z",
               "The rollback is done.")
    new_update(api_errors, "updapi000004", "resolved", "2025-02-28T22:00:00.000Z",
               "Errors are back to normal.")
    api_errors["status"] = "resolved"
    incident = imported(first_run, "incident", "incapierrs01")

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "s.json", document))

    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.closed_at == utc("2025-02-28T22:00:00+00:00")
    assert [event.status for event in incident.events.order_by("at")] == [
        Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED
    ]
    assert not incident.backfilled
    assert report_rows(output)["incident updates"] == [2, 0, 3, 0]
    assert report_rows(output)["incidents"] == [0, 1, 1, 0]


def test_changed_title_is_updated(first_run: Page, run_import: Run, tmp_path: Path) -> None:
    document = load("incidents.json")
    incident_in(document, "incloginfl01")["name"] = "Login failures in Europe"
    incident = imported(first_run, "incident", "incloginfl01")

    run_import("statuspage", "--page", "cloud", write(tmp_path, "i.json", document))

    incident.refresh_from_db()
    assert incident.title == "Login failures in Europe"
    assert AuditEntry.objects.filter(page=first_run, action="incident.update",
                                     object_id=incident.pk).exists()


def test_local_edit_kept_while_source_unchanged(first_run: Page, run_import: Run) -> None:
    event = imported(first_run, "incident_update", "upddb0000001")
    owner = User.objects.get(email="importer@example.com")
    incidents.edit_event_text(event, text="Writes failed from 17:05 local time.",
                              actor=Actor.of_user(owner))

    run_import("statuspage", "--page", "cloud", STATUSPAGE)

    event.refresh_from_db()
    assert event.text == "Writes failed from 17:05 local time."


def test_changed_time_records_incident_anew(first_run: Page, run_import: Run,
                                            tmp_path: Path) -> None:
    document = load("incidents.json")
    update_in(incident_in(document, "incdbfail001"), "upddb0000002")["display_at"] = (
        "2025-02-11T00:35:00.000Z"
    )
    old = imported(first_run, "incident", "incdbfail001")
    before = row_counts()

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "i.json", document))

    new = imported(first_run, "incident", "incdbfail001")
    assert new.pk != old.pk
    assert not Incident.objects.filter(pk=old.pk).exists()
    assert imported(first_run, "incident_update", "upddb0000002").at == utc(
        "2025-02-11T00:35:00+00:00")
    assert new.post_mortem is not None
    assert row_counts()["incidents"] == before["incidents"]
    assert row_counts()["incident events"] == before["incident events"]
    assert report_rows(output)["incident updates"] == [0, 1, 10, 0]
    assert ("recorded anew because the source changed the time, state or status of an "
            "update") in output
    assert AuditEntry.objects.filter(page=first_run, action="incident.delete",
                                     object_id=old.pk).exists()


def test_local_update_blocks_rewrite(first_run: Page, run_import: Run, tmp_path: Path) -> None:
    incident = imported(first_run, "incident", "incapierrs01")
    owner = User.objects.get(email="importer@example.com")
    incidents.post_event(incident, text="Posted in Heliograph.", state=State.PARTIAL_OUTAGE,
                         status=Status.MONITORING, actor=Actor.of_user(owner))
    document = load("summary.json")
    update_in(incident_in(document, "incapierrs01"), "updapi000001")["display_at"] = (
        "2025-02-28T14:00:00.000Z"
    )

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "s.json", document))

    incident.refresh_from_db()
    assert incident.events.count() == 3
    assert ("incident 'Elevated API errors' (incapierrs01): the source changed the time, state "
            "or status of an update, and it has updates posted in Heliograph: change it by "
            "hand.") in output
    assert report_rows(output)["incidents"][3] == 1


def test_new_update_after_local_update(first_run: Page, run_import: Run, frozen: Any,
                                       tmp_path: Path) -> None:
    incident = imported(first_run, "incident", "incapierrs01")
    owner = User.objects.get(email="importer@example.com")
    incidents.post_event(incident, text="Posted in Heliograph.", state=State.PARTIAL_OUTAGE,
                         status=Status.MONITORING, at=utc("2025-02-28T21:00:00+00:00"),
                         actor=Actor.of_user(owner))
    document = load("summary.json")
    new_update(incident_in(document, "incapierrs01"), "updapi000003", "monitoring",
               "2025-02-28T21:30:00.000Z", "Errors are rare now.")

    run_import("statuspage", "--page", "cloud", write(tmp_path, "s.json", document))

    assert [event.text for event in incident.events.order_by("at")][-2:] == [
        "Posted in Heliograph.", "Errors are rare now."
    ]


def test_deleted_incident_not_recreated(first_run: Page, run_import: Run) -> None:
    incident = imported(first_run, "incident", "incloginfl01")
    owner = User.objects.get(email="importer@example.com")
    incidents.delete_incident(incident, actor=Actor.of_user(owner))

    output = run_import("statuspage", "--page", "cloud", STATUSPAGE)

    assert not Incident.objects.filter(page=first_run, title="Login failures").exists()
    assert ("incident 'Login failures' (incloginfl01): it was deleted in Heliograph after an "
            "earlier import.") in output


def test_component_changes_applied(first_run: Page, run_import: Run, tmp_path: Path) -> None:
    document = load("summary.json")
    api = next(item for item in document["components"] if item["id"] == "cmpapi000001")
    api["name"], api["description"], api["position"] = "Public API", "REST and GraphQL", 5
    service = imported(first_run, "service", "cmpapi000001")

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "s.json", document))

    service.refresh_from_db()
    assert (service.name, service.description) == ("Public API", "REST and GraphQL")
    assert list(Service.objects.filter(page=first_run).order_by("position")
                .values_list("name", flat=True)) == [
        "Virtual machines", "Block storage", "Dashboard", "Public API"
    ]
    assert report_rows(output)["services"][1] == 4


def test_local_rename_kept(first_run: Page, run_import: Run) -> None:
    service = imported(first_run, "service", "cmpapi000001")
    owner = User.objects.get(email="importer@example.com")
    pages.update_service(service, {"name": "REST API"}, actor=Actor.of_user(owner))

    run_import("statuspage", "--page", "cloud", STATUSPAGE)

    service.refresh_from_db()
    assert service.name == "REST API"


def test_existing_service_matched_by_name(frozen: Any, run_import: Run,
                                          importer_user: User) -> None:
    page = pages.create_page("cloud", title="Cloud", owner=importer_user,
                             actor=Actor.of_user(importer_user))
    own = pages.add_service(page, name="api", actor=Actor.of_user(importer_user))

    output = run_import("statuspage", "--page", "cloud", STATUSPAGE / "summary.json")

    assert Service.objects.filter(page=page).count() == 4
    assert imported(page, "service", "cmpapi000001") == own
    assert "matched the service of the same name already on the page" in output


def test_maintenance_progress_appended(first_run: Page, run_import: Run,
                                       tmp_path: Path) -> None:
    document = load("summary.json")
    work = incident_in(document, "mntdash00001")
    new_update(work, "upddash00003", "completed", "2025-03-01T11:45:00.000Z",
               "The dashboard is writable again.")
    work["status"] = "completed"
    incident_in(document, "mntnetwork01")["name"] = "Core switch replacement"
    maintenance = imported(first_run, "maintenance", "mntdash00001")

    output = run_import("statuspage", "--page", "cloud", write(tmp_path, "s.json", document))

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert maintenance.completed_at == utc("2025-03-01T11:45:00+00:00")
    assert imported(first_run, "maintenance", "mntnetwork01").title == (
        "Core switch replacement")
    assert report_rows(output)["maintenances"] == [0, 2, 0, 0]
    assert report_rows(output)["maintenance updates"] == [1, 0, 1, 0]


def test_dry_run_saves_nothing(frozen: Any, run_import: Run) -> None:
    before = row_counts()

    output = run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                        "--dry-run", STATUSPAGE)

    assert row_counts() == before
    assert output.startswith("Dry run: nothing was saved.")
    assert report_rows(output)["incidents"] == [9, 0, 0, 0]


def test_snapshots_merge_by_id(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    later = load("summary.json")
    earlier = copy.deepcopy(later)
    api_errors = incident_in(earlier, "incapierrs01")
    api_errors["incident_updates"] = api_errors["incident_updates"][1:]
    api_errors["updated_at"] = "2025-02-28T14:02:11.120Z"
    folder = tmp_path / "snapshots"
    folder.mkdir()
    write(folder, "a-later.json", later)
    write(folder, "b-earlier.json", earlier)

    run_import("statuspage", "--page", "cloud", "--owner", "importer@example.com", folder)

    incident = imported(Page.objects.get(slug="cloud"), "incident", "incapierrs01")
    assert incident.events.count() == 2
    assert incident.status == Status.IDENTIFIED
    assert incident.events.order_by("at").last().at == dt.datetime(
        2025, 2, 28, 20, 10, 42, 500000, tzinfo=dt.UTC)
