"""Read Statuspage's public API v2 JSON into source records.

Accepted documents, recognised by their keys rather than their file names:

- `summary.json`: `page`, `components`, `incidents`, `scheduled_maintenances`, `status`;
- `components.json`, `incidents.json` (and `incidents/unresolved.json`),
  `scheduled-maintenances.json` (and its `upcoming` and `active` lists);
- a single incident or maintenance: `{"page": ..., "incident": ...}`;
- a page history rebuilt from saved summaries, with `_derived.observations[id].gone_by` (when
  each incident or maintenance was first seen gone) and `_derived.components_last_seen`;
- `status.json`, which contains nothing to import and is skipped.

A path may be a file, a folder (read recursively), or a page's base URL, from which
`/api/v2/summary.json`, `incidents.json` and `scheduled-maintenances.json` are fetched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from heliograph.importers.fetch import Fetcher, check_scheme, is_url
from heliograph.importers.reading import Node, json_files, load_json
from heliograph.importers.records import (
    Affected,
    InputError,
    SourceBatch,
    SourceComponent,
    SourceGroup,
    SourceIncident,
    SourceMaintenance,
    SourceUpdate,
)

INCIDENT_STATUSES = frozenset({"investigating", "identified", "monitoring", "resolved",
                               "postmortem"})
MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})
STATUSES = INCIDENT_STATUSES | MAINTENANCE_STATUSES
COMPONENT_STATUSES = frozenset({"operational", "degraded_performance", "partial_outage",
                                "major_outage", "under_maintenance"})
IMPACTS = frozenset({"none", "minor", "major", "critical", "maintenance"})
URL_DOCUMENTS = ("summary.json", "incidents.json", "scheduled-maintenances.json")
_CONTENT_KEYS = ("incident", "components", "incidents", "scheduled_maintenances")


def read_statuspage(paths: Iterable[str], *, fetcher: Fetcher | None = None) -> SourceBatch:
    """Read every path (file, folder or base URL) into one batch; raise InputError on bad input."""
    batch = SourceBatch(source="statuspage")
    client = fetcher or Fetcher()
    try:
        for location in paths:
            if is_url(location):
                check_scheme(location)
                for where, value in _fetch(location, client, batch):
                    read_document(batch, Node(value, where))
                continue
            path = Path(location)
            files = json_files(path) if path.is_dir() else [path]
            if path.is_dir() and not files:
                raise InputError(f"{path}: the folder contains no .json files: give JSON files "
                                 "or a folder of them.")
            for file in files:
                read_document(batch, Node(load_json(file), str(file)))
    finally:
        if fetcher is None:
            client.close()
    return batch


def _fetch(url: str, fetcher: Fetcher, batch: SourceBatch) -> list[tuple[str, Any]]:
    if url.split("?")[0].endswith(".json"):
        return [(url, fetcher.get_json(url))]
    base = url.rstrip("/")
    if base.endswith("/api/v2"):
        base = base[: -len("/api/v2")]
    documents = []
    for name in URL_DOCUMENTS:
        address = f"{base}/api/v2/{name}"
        value = fetcher.get_json(address, missing_ok=name != "summary.json")
        if value is None:
            batch.skip(address, "not found (HTTP 404)")
            continue
        documents.append((address, value))
    return documents


def read_document(batch: SourceBatch, root: Node) -> None:
    """Read one Statuspage document of any accepted shape into `batch`."""
    if root.is_object() and root.has("data") and not root.has("page"):
        raise root.fail("is a Cachet API response (it has \"data\" and no \"page\"): import "
                        "it with `heliograph-admin import cachet`.")
    if root.is_object() and root.has("metrics") and root.has("period"):
        batch.files.append(root.file)
        batch.skip(root.file, "a metrics document (metrics-display): nothing to import")
        return
    if not root.is_object() or not any(root.has(key) for key in (*_CONTENT_KEYS, "page")):
        raise root.fail(
            "is neither a Statuspage summary, components, incidents, scheduled-maintenances "
            "nor single-incident response: expected a JSON object with \"page\" and one of "
            "\"components\", \"incidents\", \"scheduled_maintenances\" or \"incident\"."
        )
    batch.files.append(root.file)
    if root.present("page"):
        page = root.child("page").expect_object()
        batch.set_page(page.optional("id").identifier_or_none(),
                       page.optional("name").text_or_none(),
                       page.optional("time_zone").text_or_none(), root.file)
    if not any(root.has(key) for key in _CONTENT_KEYS):
        batch.skip(root.file, "contains only the page and its status: nothing to import")
        return

    gone_by = _observations(root)
    if root.present("_derived"):
        derived = root.child("_derived").expect_object()
        if derived.present("components_last_seen"):
            for node in derived.child("components_last_seen").items():
                _read_component(batch, node)
    if root.present("components"):
        for node in root.child("components").items():
            _read_component(batch, node)
    if root.present("incident"):
        _read_incident_or_maintenance(batch, root.child("incident"), gone_by)
    for key in ("incidents", "scheduled_maintenances"):
        if root.present(key):
            for node in root.child(key).items():
                _read_incident_or_maintenance(batch, node, gone_by)


def _observations(root: Node) -> dict[str, dt.datetime]:
    """Return `_derived.observations[id].gone_by` of a rebuilt history, by id."""
    if not root.present("_derived"):
        return {}
    derived = root.child("_derived").expect_object()
    if not derived.present("observations"):
        return {}
    observations = derived.child("observations").expect_object()
    found = {}
    for key in observations.value:
        moment = observations.child(key).expect_object().optional("gone_by").time_or_none()
        if moment is not None:
            found[str(key)] = moment
    return found


def _read_component(batch: SourceBatch, node: Node, *, embedded: bool = False) -> str:
    node.expect_object()
    external_id = node.field("id").identifier()
    name = node.field("name").text()
    position = node.optional("position").integer_or_none()
    updated_at = node.optional("updated_at").time_or_none()
    if node.optional("group").boolean_or_none():
        members = [child.identifier() for child in node.child("components").items()] if (
            node.present("components")
        ) else []
        batch.add_group(SourceGroup(external_id=external_id, name=name, position=position,
                                    updated_at=updated_at, origin=node.where,
                                    member_ids=members))
        return external_id
    status = node.optional("status").text_or_none()
    if status is not None and status not in COMPONENT_STATUSES:
        raise node.child("status").fail(
            f"is {status!r}, which is not a Statuspage component status: expected one of "
            f"{', '.join(sorted(COMPONENT_STATUSES))}."
        )
    batch.add_component(SourceComponent(
        external_id=external_id, name=name,
        description=node.optional("description").text_or_none() or "",
        position=position, group_id=node.optional("group_id").identifier_or_none(),
        start_date=node.optional("start_date").date_or_none(),
        created_at=node.optional("created_at").time_or_none(), updated_at=updated_at,
        status=status, origin=node.where,
    ), embedded=embedded)
    return external_id


def _read_incident_or_maintenance(batch: SourceBatch, node: Node,
                                  gone_by: dict[str, dt.datetime]) -> None:
    node.expect_object()
    external_id = node.field("id").identifier()
    title = node.field("name").text()
    status = _status(node.field("status"))
    updates = [_read_update(child) for child in node.field("incident_updates").items()]
    component_ids = [
        _read_component(batch, child, embedded=True) for child in node.child("components").items()
    ] if node.present("components") else []
    updated_at = node.optional("updated_at").time_or_none()
    resolved_at = node.optional("resolved_at").time_or_none()
    impact = node.optional("impact").text_or_none()
    if impact is not None and impact not in IMPACTS:
        raise node.child("impact").fail(
            f"is {impact!r}, which is not a Statuspage impact: expected one of "
            f"{', '.join(sorted(IMPACTS))}."
        )

    if node.present("scheduled_for") or node.present("scheduled_until"):
        batch.add_maintenance(SourceMaintenance(
            external_id=external_id, title=title, status=status,
            starts_at=node.optional("scheduled_for").time_or_none(),
            ends_at=node.optional("scheduled_until").time_or_none(),
            updates=updates, component_ids=component_ids, updated_at=updated_at,
            resolved_at=resolved_at, origin=node.where, gone_by=gone_by.get(external_id),
        ))
        return
    post_mortem = node.optional("postmortem_body").text_or_none()
    batch.add_incident(SourceIncident(
        external_id=external_id, title=title, status=status, impact=impact, updates=updates,
        component_ids=component_ids, updated_at=updated_at, resolved_at=resolved_at,
        origin=node.where, post_mortem=post_mortem.strip() if post_mortem else None,
        gone_by=gone_by.get(external_id),
    ))


def _read_update(node: Node) -> SourceUpdate:
    node.expect_object()
    time_field = "display_at" if node.present("display_at") else "created_at"
    affected = None
    if node.present("affected_components"):
        affected = [_read_affected(child) for child in node.child("affected_components").items()]
    return SourceUpdate(
        external_id=node.field("id").identifier(),
        at=node.field(time_field).time(),
        status=_status(node.field("status")),
        text=node.optional("body").text_or_none() or "",
        affected=affected,
        updated_at=node.optional("updated_at").time_or_none(),
        origin=node.where,
        created_at=node.optional("created_at").time_or_none(),
    )


def _read_affected(node: Node) -> Affected:
    node.expect_object()
    status = node.optional("new_status").text_or_none() or None
    if status is not None and status not in COMPONENT_STATUSES:
        raise node.child("new_status").fail(
            f"is {status!r}, which is not a Statuspage component status: expected one of "
            f"{', '.join(sorted(COMPONENT_STATUSES))}."
        )
    return Affected(external_id=node.field("code").identifier(),
                    name=node.optional("name").text_or_none() or "", status=status)


def _status(node: Node) -> str:
    status = node.text().strip().lower()
    if status not in STATUSES:
        raise node.fail(
            f"is {status!r}, which is not a Statuspage status: expected one of "
            f"{', '.join(sorted(STATUSES))}."
        )
    return status
