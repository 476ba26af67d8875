"""Round trips through Heliograph's own Statuspage JSON, and the GitHub history compared back.

A page is exported from `/api/v2/*.json`, imported into a fresh page, and every field the
importer keeps is compared. Then all GitHub incidents are imported, and the exported
`incidents.json` is compared with the source files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.importers.models import ImportedObject
from heliograph.importers.text import html_to_markdown
from heliograph.public.statuspage import incident_json, incidents_with_events, load_snapshot
from tests.importers.conftest import real_data, report_rows

Run = Callable[..., str]
HOUR = dt.timedelta(hours=1)
DOCUMENTS = ("summary.json", "incidents.json", "scheduled-maintenances.json")
SEVERITY = {"operational": 0, "degraded_performance": 1, "partial_outage": 2,
            "major_outage": 3}


def build_origin(owner: User, now: dt.datetime) -> Page:
    """Make a page in a zone with an offset, with groups, incidents and maintenances."""
    actor = Actor.of_user(owner)
    page = pages.create_page("origin", title="Origin", owner=owner,
                             time_zone="America/Chicago", actor=actor)
    core = pages.add_group(page, name="Core", actor=actor)
    start = dt.date(2024, 1, 1)
    api = pages.add_service(page, name="API", description="The REST API.", group=core,
                            start_date=start, actor=actor)
    website = pages.add_service(page, name="Website", group=core, start_date=start,
                                actor=actor)
    database = pages.add_service(page, name="Database", start_date=start, actor=actor)
    jobs = pages.add_service(page, name="Background jobs", start_date=start, actor=actor)

    incidents.backfill_incident(page, title="Database failover", services=[database],
                                actor=actor, events=[
        PastEvent(at=dt.datetime(2025, 1, 10, 14, 0, tzinfo=dt.UTC),
                  status=Status.INVESTIGATING, text="Writes fail.", state=State.MAJOR_OUTAGE),
        PastEvent(at=dt.datetime(2025, 1, 10, 14, 20, 30, tzinfo=dt.UTC),
                  status=Status.IDENTIFIED, text="A disk is full.", state=State.MAJOR_OUTAGE),
        PastEvent(at=dt.datetime(2025, 1, 10, 15, 30, tzinfo=dt.UTC),
                  status=Status.RESOLVED, text="Failed over to the replica."),
    ])
    slow = incidents.open_incident(page, title="Slow queries", text="Queries are slow.",
                                   state=State.DEGRADED_PERFORMANCE,
                                   status=Status.INVESTIGATING, services=[database],
                                   at=now - 6 * HOUR, actor=actor)
    incidents.post_event(slow, text="Index rebuilt; watching.", state=State.OPERATIONAL,
                         status=Status.MONITORING, at=now - 5 * HOUR, actor=actor)
    incidents.close_incident(slow, text="All good.", at=now - 4 * HOUR, actor=actor)
    logins = incidents.open_incident(page, title="Login failures", text="Logins fail.",
                                     state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                                     services=[api, website], at=now - 3 * HOUR, actor=actor)
    incidents.post_event(logins, text="The API is fixed; the website is still slow.",
                         state=State.DEGRADED_PERFORMANCE, status=Status.MONITORING,
                         services=[website], at=now - 2 * HOUR, actor=actor)
    errors = incidents.open_incident(page, title="API errors", text="Some requests fail.",
                                     state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING,
                                     services=[api], at=now - 90 * dt.timedelta(minutes=1),
                                     actor=actor)
    incidents.post_event(errors, text="A bad deploy; rolling back.",
                         state=State.PARTIAL_OUTAGE, status=Status.IDENTIFIED,
                         at=now - HOUR, actor=actor)
    incidents.open_incident(page, title="E-mail delays", text="Mails arrive late.",
                            state=State.DEGRADED_PERFORMANCE, status=Status.INVESTIGATING,
                            at=now - 30 * dt.timedelta(minutes=1), actor=actor)

    swap = maintenances.schedule_maintenance(
        page, title="Disk swap", description="Disks are **swapped**.",
        starts_at=now - 50 * HOUR, ends_at=now - 49 * HOUR, services=[database], actor=actor)
    maintenances.post_event(swap, text="Swapping.", at=now - 50 * HOUR, actor=actor)
    maintenances.close_maintenance(swap, text="Done.", at=now - 49 * HOUR, actor=actor)
    queue = maintenances.schedule_maintenance(
        page, title="Queue upgrade", description="We upgrade the job queue.",
        starts_at=now - HOUR, ends_at=now + HOUR, services=[jobs], actor=actor)
    maintenances.post_event(queue, text="Started.", status=MaintenanceStatus.IN_PROGRESS,
                            at=now - HOUR, actor=actor)
    maintenances.schedule_maintenance(
        page, title="Network work", description="Switches are replaced.",
        starts_at=now + 24 * HOUR, ends_at=now + 26 * HOUR, services=[api, database],
        actor=actor)
    return page


def export(client: Client, slug: str, folder: Path) -> list[Path]:
    """Save the page's Statuspage documents, as fetched from `/p/<slug>/api/v2/`."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name in DOCUMENTS:
        response = client.get(f"/p/{slug}/api/v2/{name}", HTTP_HOST="localhost")
        assert response.status_code == 200, response.content[:300]
        path = folder / name
        path.write_bytes(response.content)
        saved.append(path)
    return saved


def kept(page: Page) -> dict[str, Any]:
    """Return every value of the page that an import from Statuspage JSON keeps."""
    services = [
        (service.name, service.description, service.group.name if service.group else None,
         service.start_date)
        for service in Service.objects.filter(page=page).order_by("position", "id")
    ]
    kept_incidents = {}
    for incident in Incident.objects.filter(page=page).prefetch_related("services"):
        kept_incidents[incident.title] = {
            "opened_at": incident.opened_at,
            "closed_at": incident.closed_at,
            "state": incident.state,
            "status": incident.status,
            "services": sorted(service.name for service in incident.services.all()),
            "events": [
                (event.at, event.state, event.status, event.text,
                 sorted(service.name for service in event.services.all())
                 if event.services_override else None)
                for event in incident.events.order_by("at", "id")
            ],
        }
    kept_maintenances = {}
    for maintenance in Maintenance.objects.filter(page=page).prefetch_related("services"):
        kept_maintenances[maintenance.title] = {
            "description": maintenance.description,
            "window": (maintenance.starts_at, maintenance.ends_at),
            "status": maintenance.status,
            "started_at": maintenance.started_at,
            "completed_at": maintenance.completed_at,
            "services": sorted(service.name for service in maintenance.services.all()),
            "events": [(event.at, event.status, event.text)
                       for event in maintenance.events.order_by("at", "id")],
        }
    return {"services": services, "incidents": kept_incidents,
            "maintenances": kept_maintenances}


@pytest.fixture
def origin(frozen: Any, importer_user: User) -> Page:
    return build_origin(importer_user, timezone.now())


def test_round_trip_keeps_every_field(origin: Page, client: Client, run_import: Run,
                                      tmp_path: Path) -> None:
    files = export(client, "origin", tmp_path / "export")

    output = run_import("statuspage", "--page", "copy", "--owner", "importer@example.com",
                        *files)

    copy = Page.objects.get(slug="copy")
    assert (copy.title, copy.time_zone) == ("Origin", "America/Chicago")
    assert kept(copy) == kept(origin)
    assert report_rows(output)["incidents"] == [5, 0, 0, 0]
    assert report_rows(output)["maintenances"] == [3, 0, 0, 0]


def test_round_trip_twice_is_stable(origin: Page, client: Client, run_import: Run,
                                    tmp_path: Path) -> None:
    files = export(client, "origin", tmp_path / "first")
    run_import("statuspage", "--page", "copy", "--owner", "importer@example.com", *files)
    copy = Page.objects.get(slug="copy")
    again = export(client, "copy", tmp_path / "second")

    output = run_import("statuspage", "--page", "copy-of-copy", "--owner",
                        "importer@example.com", *again)

    assert kept(Page.objects.get(slug="copy-of-copy")) == kept(copy)
    assert report_rows(output)["incident updates"][3] == 0


def test_round_trip_from_live_server(live_server: Any, importer_user: User,
                                     run_import: Run) -> None:
    origin = build_origin(importer_user, timezone.now().replace(microsecond=0))

    output = run_import("statuspage", "--page", "copy", "--owner", "importer@example.com",
                        f"{live_server.url}/p/origin/")

    assert "from 3 files" in output
    assert kept(Page.objects.get(slug="copy")) == kept(origin)


def affected_down(update: dict[str, Any]) -> dict[str, str]:
    return {named["name"]: named["new_status"] for named in update["affected_components"] or ()
            if named["new_status"] not in ("operational", "under_maintenance")}


def compare_with_source(exported: dict[str, Any], source: dict[str, Any],
                        name_of: dict[str, str]) -> None:
    """Check one exported incident against its source on every field the import keeps."""
    assert exported["name"] == source["name"]
    assert exported["status"] == "resolved"
    assert exported["resolved_at"] is not None
    assert dt.datetime.fromisoformat(exported["resolved_at"]) == dt.datetime.fromisoformat(
        source["resolved_at"])
    assert {component["name"] for component in exported["components"]} == {
        name_of[component["id"]] for component in source["components"]
    } | {name_of[named["code"]] for update in source["incident_updates"]
         for named in update["affected_components"] or ()}
    ours, theirs = exported["incident_updates"], source["incident_updates"]
    assert len(ours) == len(theirs)
    for mine, original in zip(ours, theirs, strict=True):
        assert dt.datetime.fromisoformat(mine["display_at"]) == dt.datetime.fromisoformat(
            original["display_at"]), original["id"]
        assert mine["status"] == original["status"]
        assert mine["body"] == html_to_markdown(original["body"]).strip()
        # A resolving update leaves every component operational, whatever it names.
        named = affected_down(original) if original["status"] != "resolved" else {}
        if named:
            listed = affected_down(mine)
            renamed = {name_of[item["code"]]: item["new_status"]
                       for item in original["affected_components"] if item["name"] in named}
            assert set(renamed) <= set(listed), original["id"]
            assert max(SEVERITY[status] for status in listed.values()) == max(
                SEVERITY[status] for status in named.values()), original["id"]


@pytest.mark.corpus
def test_exported_github_history_matches_source(run_import: Run, client: Client) -> None:
    folder = real_data("github-incident-history", "incidents")
    sources = {}
    for path in folder.glob("*.json"):
        source = json.loads(path.read_text())["incident"]
        sources[source["id"]] = source
    latest: dict[str, dict[str, Any]] = {}
    for source in sources.values():
        for component in source["components"]:
            known = latest.get(component["id"])
            if known is None or component["updated_at"] >= known["updated_at"]:
                latest[component["id"]] = component
    name_of = {named["code"]: named["name"] for source in sources.values()
               for update in source["incident_updates"]
               for named in update["affected_components"] or ()}
    name_of |= {key: component["name"] for key, component in latest.items()}
    run_import("statuspage", "--page", "github", "--owner", "importer@example.com", folder)
    page = Page.objects.get(slug="github")
    # Exported ids are Heliograph's; the import's records give the source id of each.
    source_of = {f"incident-{object_id}": sources[external_id] for external_id, object_id in
                 ImportedObject.objects.filter(page=page, kind="incident")
                 .values_list("external_id", "object_id")}

    response = client.get("/p/github/api/v2/incidents.json", HTTP_HOST="localhost")
    listed = json.loads(response.content)["incidents"]
    assert len(listed) == 50
    for exported in listed:
        compare_with_source(exported, source_of[exported["id"]], name_of)

    # Every incident, through the same serializer as the endpoint.
    snapshot = load_snapshot(page, timezone.now())
    compared = 0
    for incident in incidents_with_events(page):
        exported = dict(incident_json(incident, snapshot))
        compare_with_source(exported, source_of[exported["id"]], name_of)
        compared += 1
    assert compared == 1282
