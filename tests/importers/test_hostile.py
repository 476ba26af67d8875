"""Hostile and malformed input: files, JSON, shapes, texts, times and ids that break assumptions.

Each case either stops the import with one line naming the file and the fix, writing nothing,
or skips the one object at fault with the reason, and never ends in a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, IncidentEvent, Page, Service
from heliograph.importers.apply import Importer
from heliograph.importers.models import ImportedObject
from heliograph.importers.reading import MAX_BYTES, Node
from heliograph.importers.records import SourceBatch
from heliograph.importers.statuspage import read_document
from tests.importers.conftest import CACHET, STATUSPAGE, report_rows, row_counts

Run = Callable[..., str]
# "Hello" in Arabic, written right to left.
ARABIC = "\u0645\u0631\u062d\u0628\u0627"
PAGE = {"id": "hostile0page", "name": "Hostile", "time_zone": "Etc/UTC"}


def update(external_id: str, status: str, at: str, body: str | None = "Text.",
           affected: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": external_id, "status": status, "body": body, "created_at": at,
            "updated_at": at, "display_at": at, "affected_components": affected}


def incident(external_id: str, name: str, updates: list[dict[str, Any]], *,
             status: str = "resolved", impact: str = "minor",
             components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": external_id, "name": name, "status": status, "impact": impact,
            "incident_updates": updates, "components": components or [],
            "resolved_at": None, "updated_at": None}


def component(external_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": external_id, "name": name, "status": "operational", "group": False,
            "group_id": None, "position": 1, **fields}


def write(folder: Path, name: str, document: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def import_into_new_page(run_import: Run, *paths: Path) -> str:
    return run_import("statuspage", "--page", "hostile", "--owner", "importer@example.com",
                      "--list-all", *paths)


# Files and JSON


def test_deeply_nested_json_rejected(import_error: Run, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"page": {"id": "x"}, "incidents": ' + "[" * 100_000 + "]" * 100_000 + "}")
    before = row_counts()

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == f"{path}: the JSON is nested too deeply to be a status page's data."
    assert row_counts() == before


def test_huge_integer_rejected(import_error: Run, tmp_path: Path) -> None:
    path = tmp_path / "number.json"
    path.write_text('{"page": {"id": "x"}, "components": [{"id": ' + "9" * 5000 + "}]}")

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == f"{path}: invalid JSON: a number has more than 4,300 digits."


def test_file_over_size_limit_rejected(import_error: Run, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == (f"{path}: the file is larger than 64 MB: split it into several files, "
                       "which one import can take together.")


@pytest.mark.parametrize("kind", ["named pipe", "device"])
def test_special_file_rejected_unread(import_error: Run, tmp_path: Path, kind: str) -> None:
    if kind == "named pipe":
        path = tmp_path / "pipe.json"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == f"{path}: not a regular file: give a JSON file or a folder."


def test_byte_order_mark_accepted(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (STATUSPAGE / "single-incident.json").read_bytes())

    output = import_into_new_page(run_import, path)

    assert report_rows(output)["incidents"] == [1, 0, 0, 0]


def test_cachet_file_given_to_statuspage(import_error: Run) -> None:
    path = CACHET / "components.json"

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == (f"{path} is a Cachet API response (it has \"data\" and no \"page\"): "
                       "import it with `heliograph-admin import cachet`.")


def test_statuspage_file_given_to_cachet(import_error: Run) -> None:
    path = STATUSPAGE / "summary.json"

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com", path)

    assert message == (f"{path} is Statuspage JSON (it has \"page\" and no \"data\"): import "
                       "it with `heliograph-admin import statuspage`.")


def test_metrics_document_skipped(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    metrics = write(tmp_path, "day.json", {"period": {"count": 288, "interval": 300},
                                           "metrics": [], "summary": {}})

    output = import_into_new_page(run_import, STATUSPAGE / "single-incident.json", metrics)

    assert f"  - {metrics}: a metrics document (metrics-display): nothing to import." in output
    assert report_rows(output)["incidents"] == [1, 0, 0, 0]


# Times


@pytest.mark.parametrize("seconds", [10**17, -(10**11)])
def test_unix_seconds_out_of_range(import_error: Run, tmp_path: Path, seconds: int) -> None:
    path = write(tmp_path, "components.json", {"data": [
        {"id": 1, "name": "API", "status": 1, "created_at": seconds}]})

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com", path)

    assert message == (f"{path}: data[0].created_at is {seconds}, which is out of range for "
                       "Unix seconds.")


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00Z", "0001-01-01T01:00:00+01:00"])
def test_time_in_last_or_first_year(import_error: Run, tmp_path: Path, moment: str) -> None:
    path = write(tmp_path, "incident.json", {"page": PAGE, "incident": incident(
        "inc1", "Far away", [update("upd1", "resolved", moment)])})

    message = import_error("statuspage", "--page", "cloud", "--owner", "importer@example.com",
                           path)

    assert message == (f"{path}: incident.incident_updates[0].display_at is {moment!r}, which "
                       "is outside the years 2 to 9998.")


def test_naive_time_in_year_9999_rejected(import_error: Run, tmp_path: Path) -> None:
    # Read in a zone behind UTC, this time would move into the year 10000.
    path = write(tmp_path, "components.json", {"data": [
        {"id": 1, "name": "API", "status": 1, "created_at": "9999-12-31 23:00:00"}]})

    message = import_error("cachet", "--page", "shop", "--owner", "importer@example.com",
                           "--source-time-zone", "America/New_York", path)

    assert message == (f"{path}: data[0].created_at is '9999-12-31 23:00:00', which is outside "
                       "the years 2 to 9998.")


def test_times_outside_rules_skip_one_incident(frozen: Any, run_import: Run,
                                               tmp_path: Path) -> None:
    path = write(tmp_path, "incidents.json", {"page": PAGE, "incidents": [
        incident("future", "From the future", [
            update("f2", "resolved", "2099-01-01T11:00:00Z"),
            update("f1", "investigating", "2099-01-01T10:00:00Z")]),
        incident("moon", "Before 1971", [
            update("m2", "resolved", "1969-07-20T21:00:00Z"),
            update("m1", "investigating", "1969-07-20T20:17:00Z")]),
        incident("fine", "Fine", [
            update("ok2", "resolved", "2024-11-03T01:30:00-05:00"),
            update("ok1", "investigating", "2024-11-03T01:30:00-04:00")]),
    ]})

    output = import_into_new_page(run_import, path)

    assert report_rows(output)["incidents"] == [1, 0, 0, 2]
    assert ("  - incident 'From the future' (future): rejected by Heliograph: events.0.at is in "
            "the future: give a time up to now.") in output
    assert "  - incident 'Before 1971' (moon): rejected by Heliograph: events.0.at is outside " \
           "the years 1971 to 9998" in output
    fine = Incident.objects.get(title="Fine")
    # 01:30 at -04:00 and 01:30 at -05:00 are an hour apart, across the end of summer time.
    assert [event.at.isoformat() for event in fine.events.order_by("at")] == [
        "2024-11-03T05:30:00+00:00", "2024-11-03T06:30:00+00:00"]


# Texts and names


def test_hostile_texts_stored_clean(frozen: Any, run_import: Run, tmp_path: Path,
                                    client: Client) -> None:
    long_body = "Störung & <Wartung> " * 500
    path = write(tmp_path, "incidents.json", {"page": PAGE, "components": [
        component("c1", "<script>alert(1)</script>\u202eevil\x07"),
        component("c2", "\u200b\u200b"),
        component("c3", f"Bidi \u2067{ARABIC}\u2069 ok"),
    ], "incidents": [
        incident("inc1", "<script>alert('x')</script> Störung & <Wartung>", [
            update("u2", "resolved", "2025-02-01T11:00:00-04:00",
                   '<p>Fixed. <strong>Cause:</strong> <a href="javascript:alert(1)">here</a> '
                   '<img src=x onerror=alert(1)></p>'),
            update("u1", "investigating", "2025-02-01T10:00:00-04:00", long_body,
                   [{"code": "c1", "name": "x", "new_status": "major_outage"}]),
        ]),
        incident("inc2", "Controls", [
            update("v1", "identified", "2025-02-02T10:00:00Z", "\x00\x01ctrl\x1b[31m \u202e")],
            status="identified"),
    ]})

    output = import_into_new_page(run_import, path)

    assert "  - component '\\u200b\\u200b' (c2): its name is empty or invisible." in output
    page = Page.objects.get(slug="hostile")
    assert sorted(Service.objects.filter(page=page).values_list("name", flat=True)) == [
        "<script>alert(1)</script>evil", f"Bidi {ARABIC} ok"]
    events = list(IncidentEvent.objects.filter(incident__title__startswith="<script>")
                  .order_by("at"))
    assert events[0].text == long_body.strip()
    assert events[1].text == "Fixed. **Cause:** here <img src=x onerror=alert(1)>"
    assert IncidentEvent.objects.get(incident__title="Controls").text == "ctrl[31m"
    for address in ("/", "/history", "/api/v2/incidents.json", "/history.atom"):
        response = client.get(f"/p/hostile{address}", HTTP_HOST="localhost")
        assert response.status_code == 200, address
        assert b"<script>alert" not in response.content, address


def test_incident_shapes_skipped_or_kept(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "incidents.json", {"page": PAGE, "components": [
        component("c1", "API", group_id="no-such-group"),
        component("c2", "API"),
    ], "incidents": [
        incident("none", "No updates", []),
        incident("pm", "Only a post-mortem", [update("p1", "postmortem",
                                                     "2025-01-01T10:00:00Z")]),
        incident("nulls", "Null components", [
            update("n2", "resolved", "2025-01-02T11:00:00Z", None, None),
            update("n1", "investigating", "2025-01-02T10:00:00Z", "", None)]),
        incident("order", "Out of order", [
            update("o1", "investigating", "2025-01-03T10:00:00Z", "first"),
            update("o3", "resolved", "2025-01-03T12:00:00Z", "third"),
            update("o2", "monitoring", "2025-01-03T11:00:00Z", "second")]),
        incident("blank", "\u200b", [update("b1", "resolved", "2025-01-04T10:00:00Z")]),
    ]})

    output = import_into_new_page(run_import, path)

    assert "  - incident 'No updates' (none): it has no updates." in output
    assert ("  - incident 'Only a post-mortem' (pm): it has no updates other than a "
            "post-mortem.") in output
    assert "  - incident '\\u200b' (blank): its title is empty or invisible." in output
    assert ("  - component 'API' (c1): its group no-such-group is not in the source, so it was "
            "imported without one.") in output
    assert ("  - component 'API' (c2): named 'API (2)', because another service has that "
            "name.") in output
    nulls = Incident.objects.get(title="Null components")
    assert list(nulls.events.order_by("at").values_list("text", flat=True)) == [
        "Investigating", "This incident has been resolved."]
    ordered = Incident.objects.get(title="Out of order")
    assert list(ordered.events.order_by("at").values_list("text", flat=True)) == [
        "first", "second", "third"]


# Ids


def test_update_listed_twice_imported_once(frozen: Any, run_import: Run,
                                           tmp_path: Path) -> None:
    path = write(tmp_path, "incident.json", {"page": PAGE, "incident": incident("inc1", "Twice", [
        update("u2", "resolved", "2025-01-01T11:00:00Z"),
        update("u1", "investigating", "2025-01-01T10:00:00Z"),
        update("u1", "investigating", "2025-01-01T10:00:00Z"),
    ])})

    output = import_into_new_page(run_import, path)

    assert report_rows(output)["incident updates"] == [2, 0, 0, 0]
    assert IncidentEvent.objects.filter(incident__title="Twice").count() == 2


def test_update_shared_by_two_incidents(frozen: Any, run_import: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "incidents.json", {"page": PAGE, "incidents": [
        incident("first", "First", [update("u2", "resolved", "2025-01-01T11:00:00Z"),
                                    update("u1", "investigating", "2025-01-01T10:00:00Z")]),
        incident("second", "Second", [update("u3", "resolved", "2025-01-02T11:00:00Z"),
                                      update("u1", "investigating", "2025-01-02T10:00:00Z")]),
    ]})

    output = import_into_new_page(run_import, path)
    before = row_counts()
    again = run_import("statuspage", "--page", "hostile", path)

    assert ("  - incident 'Second' (second): its update u1 is also listed in incident first, "
            "which comes first: an update belongs to one object.") in output
    assert report_rows(output)["incidents"] == [1, 0, 0, 1]
    assert row_counts() == before
    assert report_rows(again)["incidents"] == [0, 0, 1, 1]


def test_update_moved_to_another_incident(frozen: Any, run_import: Run,
                                          tmp_path: Path) -> None:
    first = incident("first", "First", [update("u2", "resolved", "2025-01-01T11:00:00Z"),
                                        update("u1", "investigating", "2025-01-01T10:00:00Z")])
    path = write(tmp_path, "incidents.json", {"page": PAGE, "incidents": [first]})
    import_into_new_page(run_import, path)
    holder = Incident.objects.get(title="First")
    second = incident("second", "Second", [update("u3", "resolved", "2025-01-02T11:00:00Z"),
                                           update("u1", "investigating", "2025-01-02T10:00:00Z")])
    write(tmp_path, "incidents.json", {"page": PAGE, "incidents": [second]})

    output = run_import("statuspage", "--page", "hostile", path)
    before = row_counts()
    again = run_import("statuspage", "--page", "hostile", path)

    assert (f"  - incident 'Second' (second): its update u1 was imported by an earlier run "
            f"into incident {holder.pk}, which still has it: an update belongs to one "
            "incident.") in output
    assert holder.events.count() == 2
    assert row_counts() == before
    assert "Nothing changed" in again


def test_rejected_object_leaves_report_and_records_clean(frozen: Any, run_import: Run,
                                                         tmp_path: Path) -> None:
    item = incident("inc1", "Open", [update("u1", "identified", "2025-01-01T10:00:00Z", "old")],
                    status="identified")
    path = write(tmp_path, "incident.json", {"page": PAGE, "incident": item})
    import_into_new_page(run_import, path)
    # The text of the known update changes, and a new update is dated after the clock.
    item["incident_updates"][0]["body"] = "new"
    item["incident_updates"].insert(0, update("u2", "monitoring", "2099-01-01T10:00:00Z"))
    write(tmp_path, "incident.json", {"page": PAGE, "incident": item})
    page = Page.objects.get(slug="hostile")
    batch = SourceBatch(source="statuspage")
    read_document(batch, Node(json.loads(path.read_text()), str(path)))

    importer = Importer(page, batch, actor=Actor.system("test"))
    report = importer.run()

    assert report.counts["incident"]["skipped"] == 1
    assert report.counts["incident_update"] == {"created": 0, "updated": 0, "unchanged": 0,
                                                "skipped": 0}
    stored = ImportedObject.objects.get(page=page, kind="incident_update", external_id="u1")
    assert importer.records[("incident_update", "u1")].applied == stored.applied
    assert IncidentEvent.objects.get(pk=stored.object_id).text == "old"

