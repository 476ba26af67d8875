"""Importing the real status-page data kept beside the repository, in full.

- every githubstatus.com incident from 2010 to 2023 (1,282 single-incident files, 2,801
  updates), public domain;
- the `summary.json` saved from 16 Statuspage pages (13 of Atlassian's, GitHub, DigitalOcean
  and Oracle Cloud Infrastructure), with their snapshots taken while many incidents and
  maintenances were open, and each page's history rebuilt from all its saved summaries.

Expected values are computed here from the JSON itself, not from the importer's code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.vocab import MaintenanceStatus, Status
from heliograph.importers.models import ImportedObject
from heliograph.importers.text import html_to_markdown
from tests.importers.conftest import real_data, report_rows, row_counts

pytestmark = [pytest.mark.corpus, pytest.mark.django_db]

Run = Callable[..., str]
GITHUB_INCIDENTS = ("github-incident-history", "incidents")
# The page of each saved summary: its folder and its file name without ".json".
STATUSPAGE_PAGES = [
    *(("outages-atlassian-outages", name) for name in (
        "atlassian_access_summary_v1", "atlassian_developer_summary_v1",
        "atlassian_partners_summary_v1", "atlassian_statuspage_summary_v1",
        "atlassian_support_summary_v1", "bitbucket_summary_v1", "confluence_summary_v1",
        "jira_align_summary_v1", "jira_core_summary_v1", "jira_service_desk_summary_v1",
        "jira_summary_v1", "opsgenie_summary_v1", "trello_summary_v1",
    )),
    ("outages-github-outages", "github_summary_v1"),
    ("outages-digitalocean-outages", "digitalocean_summary"),
    ("outages-oci-outages", "oci_summary"),
]


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def test_sixteen_statuspage_pages() -> None:
    summaries = {path.name for folder, _ in STATUSPAGE_PAGES
                 for path in real_data(folder).glob("*summary*.json")
                 if "reconstructed" not in path.name}

    assert len(STATUSPAGE_PAGES) == 16
    assert summaries == {f"{name}.json" for _, name in STATUSPAGE_PAGES}


def test_all_github_incidents(run_import: Run) -> None:
    folder = real_data(*GITHUB_INCIDENTS)
    sources = [json.loads(path.read_text())["incident"] for path in sorted(folder.glob("*.json"))]

    output = run_import("statuspage", "--page", "github", "--owner", "importer@example.com",
                        folder)

    page = Page.objects.get(slug="github")
    assert len(sources) == 1282
    assert sum(len(source["incident_updates"]) for source in sources) == 2801
    assert Incident.objects.filter(page=page).count() == 1282
    assert IncidentEvent.objects.filter(incident__page=page).count() == 2801
    assert report_rows(output)["incidents"] == [1282, 0, 0, 0]
    assert report_rows(output)["incident updates"] == [2801, 0, 0, 0]

    # A component keeps the name of its latest copy; updates may name it as it was then.
    latest: dict[str, dict[str, Any]] = {}
    for source in sources:
        for component in source["components"]:
            known = latest.get(component["id"])
            if known is None or component["updated_at"] >= known["updated_at"]:
                latest[component["id"]] = component
    name_of = {named["code"]: named["name"] for source in sources
               for update in source["incident_updates"]
               for named in update["affected_components"] or ()}
    name_of |= {key: component["name"] for key, component in latest.items()}

    incident_ids = dict(ImportedObject.objects.filter(page=page, kind="incident")
                        .values_list("external_id", "object_id"))
    event_ids = dict(ImportedObject.objects.filter(page=page, kind="incident_update")
                     .values_list("external_id", "object_id"))
    incidents = Incident.objects.filter(page=page).prefetch_related("services")
    incidents_by_pk = {incident.pk: incident for incident in incidents}
    events = {event.pk: event for event in IncidentEvent.objects.filter(incident__page=page)}
    for source in sources:
        incident = incidents_by_pk[incident_ids[source["id"]]]
        names = {name_of[component["id"]] for component in source["components"]} | {
            name_of[named["code"]] for update in source["incident_updates"]
            for named in update["affected_components"] or ()
        }
        assert incident.title == source["name"]
        assert {service.name for service in incident.services.all()} == names, source["id"]
        assert incident.closed_at == parse(source["resolved_at"]), source["id"]
        for update in source["incident_updates"]:
            event = events[event_ids[update["id"]]]
            assert event.incident_id == incident.pk
            assert event.at == parse(update["display_at"]), update["id"]
            assert event.text == html_to_markdown(update["body"]).strip()
            if update["status"] == "resolved":
                assert event.status == Status.RESOLVED
            else:
                assert event.status == update["status"]

    assert set(Service.objects.filter(page=page).values_list("name", flat=True)) == set(
        name_of.values())

    before = row_counts()
    version = Page.objects.get(pk=page.pk).version
    again = run_import("statuspage", "--page", "github", folder)
    assert row_counts() == before
    assert Page.objects.get(pk=page.pk).version == version
    assert report_rows(again)["incident updates"] == [0, 0, 2801, 0]


def page_files(folder: str, name: str) -> list[Path]:
    base = real_data(folder)
    return [base / f"{name}.json", *sorted(base.glob(f"snapshots/*/{name}.json")),
            base / f"{name}.reconstructed-from-git-history.json"]


def expected_from(files: list[Path]) -> dict[str, Any]:
    """Read what the files hold, by id, the way the Statuspage format defines it."""
    components: dict[str, dict[str, Any]] = {}
    incidents: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    gone_by: dict[str, str] = {}
    for path in files:
        document = json.loads(path.read_text())
        derived = document.get("_derived", {})
        for key, seen in derived.get("observations", {}).items():
            if seen.get("gone_by"):
                gone_by[key] = seen["gone_by"]
        listed = [*document.get("components", []), *derived.get("components_last_seen", [])]
        for item in [*document.get("incidents", []), *document.get("scheduled_maintenances", [])]:
            incidents[item["id"]] = item
            listed.extend(item.get("components") or [])
            for update in item["incident_updates"]:
                updates[item["id"]][update["id"]] = update
                listed.extend({"id": named["code"], "group": False}
                              for named in update["affected_components"] or ())
        for component in listed:
            components.setdefault(component["id"], component)
    return {"components": components, "incidents": incidents, "updates": updates,
            "gone_by": gone_by}


@pytest.mark.parametrize(("folder", "name"), STATUSPAGE_PAGES,
                         ids=[name for _, name in STATUSPAGE_PAGES])
def test_statuspage_page_history(run_import: Run, folder: str, name: str) -> None:
    files = page_files(folder, name)
    expected = expected_from(files)

    output = run_import("statuspage", "--page", "imported", "--owner", "importer@example.com",
                        *files)

    page = Page.objects.get(slug="imported")
    rows = report_rows(output)
    groups = {key for key, item in expected["components"].items() if item.get("group")}
    members = {item.get("group_id") for item in expected["components"].values()}
    empty_groups = {key for key in groups if key not in members and not any(
        expected["components"][key].get("components") or ())}
    assert ServiceGroup.objects.filter(page=page).count() == len(groups) - len(empty_groups)
    assert Service.objects.filter(page=page).count() == len(expected["components"]) - len(groups)
    assert rows["services"][3] == 0

    maintenances = {key: item for key, item in expected["incidents"].items()
                    if item.get("scheduled_for") or item.get("scheduled_until")}
    incidents = {key: item for key, item in expected["incidents"].items()
                 if key not in maintenances}
    assert Incident.objects.filter(page=page).count() == len(incidents)
    assert rows["incidents"] == [len(incidents), 0, 0, 0]
    assert Maintenance.objects.filter(page=page).count() == len(maintenances)
    assert rows["maintenances"] == [len(maintenances), 0, 0, 0]

    records = dict(ImportedObject.objects.filter(page=page).values_list("external_id",
                                                                        "object_id"))
    for key in incidents:
        incident = Incident.objects.get(pk=records[key])
        source_updates = [update for update in expected["updates"][key].values()
                          if update["status"] != "postmortem"]
        times = sorted(parse(update["display_at"]) for update in source_updates)
        event_times = list(incident.events.order_by("at", "id").values_list("at", flat=True))
        closed_by_source = any(update["status"] == "resolved" for update in source_updates)
        if key in expected["gone_by"] and not closed_by_source:
            # The rebuilt history lacks the resolving update: it closes when first seen gone.
            assert event_times == [*times, max(parse(expected["gone_by"][key]), times[-1])], key
            assert not incident.is_open
        else:
            assert event_times == times, key
            assert incident.is_open == (not closed_by_source)
    for key in maintenances:
        maintenance = Maintenance.objects.get(pk=records[key])
        source = expected["incidents"][key]
        assert maintenance.starts_at == parse(source["scheduled_for"])
        assert maintenance.ends_at == parse(source["scheduled_until"])
        if key in expected["gone_by"]:
            assert maintenance.status == MaintenanceStatus.COMPLETED, key
        event_times = set(MaintenanceEvent.objects.filter(maintenance=maintenance)
                          .values_list("at", flat=True))
        source_times = {parse(update["display_at"])
                        for update in expected["updates"][key].values()}
        assert event_times - source_times <= {parse(expected["gone_by"][key])} if (
            key in expected["gone_by"]) else event_times <= source_times

    before = row_counts()
    again = run_import("statuspage", "--page", "imported", *files)
    assert row_counts() == before
    assert report_rows(again)["incidents"] == [0, 0, len(incidents), 0]


def test_oci_components_in_groups(run_import: Run) -> None:
    files = page_files("outages-oci-outages", "oci_summary")

    run_import("statuspage", "--page", "oci", "--owner", "importer@example.com", *files)

    page = Page.objects.get(slug="oci")
    services = Service.objects.filter(page=page)
    assert services.count() + ServiceGroup.objects.filter(page=page).count() == 1170
    assert ServiceGroup.objects.filter(page=page).count() == 51
    assert services.filter(group__isnull=True).count() < 20
    positions = list(services.order_by("position").values_list("position", flat=True))
    assert positions == sorted(set(positions))
