"""Every endpoint has the keys, value types and value sets of real Statuspage responses.

The reference shapes are read from responses that real Statuspage pages published: one sample
of each endpoint (discordstatus.com) and 38 `summary.json` files of 16 pages, saved while
several incidents and maintenances were open. A key that only some real objects carry (such as
`reminder_intervals`) is allowed but not required.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.statuspage.conftest import ENDPOINTS, BusyPage, load_sample, real_summaries

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
INDICATORS = {
    ("none", "All Systems Operational"),
    ("minor", "Minor Service Outage"),
    ("minor", "Partially Degraded Service"),
    ("minor", "Degraded System Service"),
    ("major", "Partial System Outage"),
    ("critical", "Major System Outage"),
    ("maintenance", "Service Under Maintenance"),
}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical"}
TIME_KEYS = {"created_at", "updated_at", "monitoring_at", "resolved_at", "started_at",
             "display_at", "scheduled_for", "scheduled_until"}


class Shapes:
    """The keys and JSON types seen per kind of object ("component", "incident", ...)."""

    def __init__(self) -> None:
        self.objects: dict[str, int] = defaultdict(int)
        self.key_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.types: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(self, kind: str, item: dict[str, Any]) -> None:
        self.objects[kind] += 1
        for key, value in item.items():
            self.key_counts[kind][key] += 1
            self.types[kind, key].add(type(value).__name__)

    def required(self, kind: str) -> set[str]:
        return {key for key, count in self.key_counts[kind].items()
                if count == self.objects[kind]}

    def allowed(self, kind: str) -> set[str]:
        return set(self.key_counts[kind])


def walk(document: dict[str, Any], shapes: Shapes) -> None:
    """Record every object of a document under its kind."""
    shapes.add("document", document)
    shapes.add("page", document["page"])
    if "status" in document:
        shapes.add("status", document["status"])
    for component in document.get("components", []):
        walk_component(component, shapes)
    for kind, key in (("incident", "incidents"), ("maintenance", "scheduled_maintenances")):
        for item in document.get(key, []):
            shapes.add(kind, item)
            for component in item["components"]:
                walk_component(component, shapes)
            for update in item["incident_updates"]:
                shapes.add(f"{kind} update", update)
                for affected in update["affected_components"] or []:
                    shapes.add("affected component", affected)


def walk_component(component: dict[str, Any], shapes: Shapes) -> None:
    shapes.add("group" if component["group"] else "component", component)


@pytest.fixture(scope="module")
def real() -> Shapes:
    shapes = Shapes()
    for endpoint in ENDPOINTS:
        walk(load_sample(endpoint), shapes)
    for path in real_summaries():
        walk(json.loads(Path(path).read_text()), shapes)
    return shapes


@pytest.fixture
def ours(busy: BusyPage, get_json: Callable[..., Any]) -> dict[str, Any]:
    return {endpoint: get_json(endpoint) for endpoint in ENDPOINTS}


def every_object(documents: Iterable[dict[str, Any]]) -> Shapes:
    shapes = Shapes()
    for document in documents:
        walk(document, shapes)
    return shapes


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_endpoint_top_level_keys(endpoint: str, ours: dict[str, Any]) -> None:
    assert set(ours[endpoint]) == set(load_sample(endpoint))


def test_busy_page_has_every_kind(ours: dict[str, Any], real: Shapes) -> None:
    shapes = every_object(ours.values())

    assert set(shapes.objects) == set(real.objects)


@pytest.mark.parametrize("kind", [
    "page", "status", "component", "group", "incident", "incident update",
    "maintenance", "maintenance update", "affected component",
])
def test_object_keys_match_real_ones(kind: str, ours: dict[str, Any], real: Shapes) -> None:
    shapes = every_object(ours.values())
    keys = shapes.allowed(kind)

    assert shapes.required(kind) == keys, f"{kind}: some objects lack keys"
    assert real.required(kind) <= keys, f"{kind}: missing {real.required(kind) - keys}"
    assert keys <= real.allowed(kind), f"{kind}: unknown {keys - real.allowed(kind)}"


def test_value_types_match_real_ones(ours: dict[str, Any], real: Shapes) -> None:
    shapes = every_object(ours.values())

    for (kind, key), types in shapes.types.items():
        assert types <= real.types[kind, key], f"{kind}.{key}: {types} vs {real.types[kind, key]}"


def test_real_times_match_pattern(real: Shapes) -> None:
    """The time pattern below is the one real responses use, so it is a fair check."""
    sample = load_sample("incidents.json")
    update = sample["incidents"][0]["incident_updates"][0]

    assert TIME.match(sample["page"]["updated_at"])
    assert TIME.match(update["display_at"])
    assert TIME.match("2026-08-22T20:44:01.808Z")


def iter_objects(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from iter_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_objects(item)


def test_times_are_statuspage_iso_8601(ours: dict[str, Any]) -> None:
    checked = 0
    for document in ours.values():
        for item in iter_objects(document):
            for key in TIME_KEYS & set(item):
                if item[key] is not None:
                    assert TIME.match(item[key]), f"{key}: {item[key]}"
                    checked += 1

    assert checked > 100


def test_value_sets(ours: dict[str, Any]) -> None:
    summary = ours["summary.json"]
    status = summary["status"]
    assert (status["indicator"], status["description"]) in INDICATORS

    components = ours["components.json"]["components"]
    assert {component["status"] for component in components} <= COMPONENT_STATUSES
    for component in components:
        assert component["start_date"] is None or DATE.match(component["start_date"])

    for incident in ours["incidents.json"]["incidents"]:
        assert incident["status"] in INCIDENT_STATUSES
        assert incident["impact"] in IMPACTS
        assert {update["status"] for update in incident["incident_updates"]} <= (
            INCIDENT_STATUSES
        )

    for maintenance in ours["scheduled-maintenances.json"]["scheduled_maintenances"]:
        assert maintenance["status"] in MAINTENANCE_STATUSES
        assert maintenance["impact"] == "maintenance"
        assert {update["status"] for update in maintenance["incident_updates"]} <= (
            MAINTENANCE_STATUSES
        )

    for document in ours.values():
        for item in iter_objects(document):
            if {"old_status", "new_status"} <= set(item):
                assert item["old_status"] in COMPONENT_STATUSES
                assert item["new_status"] in COMPONENT_STATUSES


def test_every_endpoint_shares_page_object(ours: dict[str, Any]) -> None:
    pages = [document["page"] for document in ours.values()]

    assert all(page == pages[0] for page in pages)
    assert set(pages[0]) == set(load_sample("status.json")["page"])
