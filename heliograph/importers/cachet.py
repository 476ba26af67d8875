"""Read Cachet 2.x API JSON into source records.

Cachet responds to `GET /api/v1/components`, `/components/groups`, `/incidents`,
`/incidents/{id}/updates` and `/schedules` with `{"meta": {"pagination": ...}, "data": [...]}`,
and to a request for one object with `{"data": {...}}`. Each object is recognised by its
fields, so a file may contain any of them. A path may be a file, a folder (read recursively)
or the base URL of a Cachet installation, whose lists are fetched page by page.

Cachet writes times as `YYYY-MM-DD HH:MM:SS` in its own time zone (its `APP_TIMEZONE`), without
an offset, and `source_zone` names that zone. Times with an offset, and Unix seconds, are
read as they are. Numbers become Statuspage's spellings, which `heliograph.importers.mapping`
maps for both sources:

| Cachet | incident status | component status | schedule status |
| --- | --- | --- | --- |
| 0 | scheduled (Cachet 2.3 maintenance) | unknown | upcoming → scheduled |
| 1 | investigating | operational | in progress |
| 2 | identified | performance issues → degraded_performance | complete → completed |
| 3 | watching → monitoring | partial outage | |
| 4 | fixed → resolved | major outage | |
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from heliograph.domain import maintenances as domain_maintenances
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

INCIDENT_STATUSES = {1: "investigating", 2: "identified", 3: "monitoring", 4: "resolved"}
COMPONENT_STATUSES = {0: None, 1: "operational", 2: "degraded_performance", 3: "partial_outage",
                      4: "major_outage"}
SCHEDULE_STATUSES = {0: "scheduled", 1: "in_progress", 2: "completed"}
# Group ids get a prefix, because Cachet numbers groups and components separately.
GROUP_PREFIX = "group-"
URL_LISTS = ("components", "components/groups", "incidents", "schedules")
PER_PAGE = 100
MAX_PAGES = 10_000


def read_cachet(paths: Iterable[str], *, source_zone: zoneinfo.ZoneInfo,
                now: dt.datetime, fetcher: Fetcher | None = None) -> SourceBatch:
    """Read every path (file, folder or base URL) into one batch; raise InputError on bad input."""
    reader = _Reader(source_zone, now)
    client = fetcher or Fetcher()
    try:
        for location in paths:
            if is_url(location):
                check_scheme(location)
                for where, value in _fetch(location, client):
                    reader.read_document(Node(value, where))
                continue
            path = Path(location)
            files = json_files(path) if path.is_dir() else [path]
            if path.is_dir() and not files:
                raise InputError(f"{path}: the folder contains no .json files: give JSON files "
                                 "or a folder of them.")
            for file in files:
                reader.read_document(Node(load_json(file), str(file)))
    finally:
        if fetcher is None:
            client.close()
    return reader.finish()


def _fetch(url: str, fetcher: Fetcher) -> list[tuple[str, Any]]:
    base = url.rstrip("/")
    if base.endswith("/api/v1"):
        base = base[: -len("/api/v1")]
    documents = []
    for name in URL_LISTS:
        address: str | None = f"{base}/api/v1/{name}?{urlencode({'per_page': PER_PAGE})}"
        fetched: set[str] = set()
        while address and len(fetched) < MAX_PAGES:
            if address in fetched:
                raise InputError(f"{address}: meta.pagination.links.next_page leads back to a "
                                 "page already read: the server's pagination is broken.")
            fetched.add(address)
            value = fetcher.get_json(address)
            documents.append((address, value))
            address = _next_page(address, value)
    return documents


def _next_page(address: str, value: Any) -> str | None:
    """Return the next page of the list at `address`: the same address with the query of
    `meta.pagination.links.next_page`.

    Only the query is taken from the link, because Cachet builds the link from its APP_URL,
    which often names another host (such as localhost) than the one the import reads from.
    """
    try:
        link = value["meta"]["pagination"]["links"]["next_page"]
    except (KeyError, TypeError):
        return None
    if not isinstance(link, str) or not link:
        return None
    query = urlsplit(link).query
    return urlunsplit(urlsplit(address)._replace(query=query)) if query else None


class _Reader:
    def __init__(self, zone: zoneinfo.ZoneInfo, now: dt.datetime) -> None:
        self.zone = zone
        self.now = now
        self.batch = SourceBatch(source="cachet")
        self.loose_updates: list[tuple[str, SourceUpdate]] = []

    def read_document(self, root: Node) -> None:
        if isinstance(root.value, list):
            data = root
        elif root.is_object() and root.has("data"):
            data = root.child("data")
        elif root.is_object() and root.has("page"):
            raise root.fail("is Statuspage JSON (it has \"page\" and no \"data\"): import it "
                            "with `heliograph-admin import statuspage`.")
        else:
            raise root.fail(
                "is not a Cachet API response: expected a JSON object with \"data\" (a list of "
                "components, groups, incidents, updates or schedules, or one of them)."
            )
        self.batch.files.append(root.file)
        items = list(data.items()) if isinstance(data.value, list) else [data]
        for item in items:
            self._read_item(item)

    def _read_item(self, node: Node) -> None:
        node.expect_object()
        keys = set(node.value)
        if "collapsed" in keys or "enabled_components" in keys:
            self._read_group(node)
        elif "incident_id" in keys and "message" in keys and "name" not in keys:
            incident_id = node.field("incident_id").identifier()
            self.loose_updates.append((incident_id, self._read_update(node)))
        elif "completed_at" in keys and "scheduled_at" in keys:
            self._read_schedule(node)
        elif "message" in keys and "name" in keys:
            self._read_incident(node)
        elif "name" in keys and "status" in keys:
            self._read_component(node)
        else:
            raise node.fail(
                "is neither a Cachet component, component group, incident, incident update nor "
                "schedule: its fields are " + ", ".join(sorted(keys)[:12]) + "."
            )

    def _time(self, node: Node) -> dt.datetime | None:
        return node.time_or_none(naive_zone=self.zone)

    def _read_component(self, node: Node) -> str:
        external_id = node.field("id").identifier()
        name = node.field("name").text()
        if node.present("deleted_at"):
            self.batch.skip(f"component {name!r} ({external_id})", "deleted in Cachet",
                            kind="service")
            return external_id
        if node.optional("enabled").boolean_or_none() is False:
            self.batch.skip(f"component {name!r} ({external_id})",
                            "disabled in Cachet, so not shown on its page", kind="service")
            return external_id
        status = _number(node.field("status"), COMPONENT_STATUSES, "component status")
        group_id = node.optional("group_id").integer_or_none()
        self.batch.add_component(SourceComponent(
            external_id=external_id, name=name,
            description=node.optional("description").text_or_none() or "",
            position=node.optional("order").integer_or_none(),
            group_id=f"{GROUP_PREFIX}{group_id}" if group_id else None,
            start_date=None, created_at=self._time(node.optional("created_at")),
            updated_at=self._time(node.optional("updated_at")),
            status=COMPONENT_STATUSES[status], origin=node.where,
        ))
        return external_id

    def _read_group(self, node: Node) -> None:
        external_id = GROUP_PREFIX + node.field("id").identifier()
        members: list[str] = []
        for key in ("enabled_components", "components"):
            if node.present(key):
                members.extend(self._read_component(child) for child in node.child(key).items())
        self.batch.add_group(SourceGroup(
            external_id=external_id, name=node.field("name").text(),
            position=node.optional("order").integer_or_none(),
            updated_at=self._time(node.optional("updated_at")), origin=node.where,
            member_ids=members,
        ))

    def _read_update(self, node: Node) -> SourceUpdate:
        status = _number(node.field("status"), INCIDENT_STATUSES, "incident status")
        at = self._time(node.field("created_at"))
        if at is None:
            raise node.child("created_at").fail("must be a time, not empty.")
        return SourceUpdate(
            external_id=node.field("id").identifier(), at=at,
            status=INCIDENT_STATUSES[status], text=node.field("message").text_or_none() or "",
            affected=None, updated_at=self._time(node.optional("updated_at")),
            origin=node.where,
        )

    def _read_incident(self, node: Node) -> None:
        external_id = node.field("id").identifier()
        title = node.field("name").text()
        label = f"incident {title!r} ({external_id})"
        if node.present("deleted_at"):
            self.batch.skip(label, "deleted in Cachet", kind="incident")
            return
        if node.optional("visible").boolean_or_none() is False:
            self.batch.skip(label, "hidden in Cachet (visible is 0)", kind="incident")
            return

        status = _number(node.field("status"), {0: None, **INCIDENT_STATUSES}, "incident status")
        if status == 0:
            self.batch.skip(label, "a Cachet 2.3 scheduled maintenance, which has no end time; "
                            "import it as a schedule instead", kind="incident")
            return

        updates: list[SourceUpdate] = []
        for key in ("updates", "incident_updates"):
            if node.present(key):
                updates.extend(self._read_update(child) for child in node.child(key).items())
        time_node = node.child("occurred_at") if node.present("occurred_at") else node.field(
            "created_at")
        opened = self._time(time_node)
        if opened is None:
            raise time_node.fail("must be a time, not empty.")

        # The incident's own message is its first post; Cachet lists updates newest first.
        first_status = INCIDENT_STATUSES[status] if not updates else "investigating"
        updates.append(SourceUpdate(
            external_id=f"{external_id}#message", at=opened, status=first_status,
            text=node.field("message").text_or_none() or "", affected=None,
            updated_at=self._time(node.optional("updated_at")), origin=node.where,
        ))

        component_id = node.optional("component_id").integer_or_none()
        self.batch.add_incident(SourceIncident(
            external_id=external_id, title=title, status=_latest_status(updates), impact=None,
            updates=updates, component_ids=[str(component_id)] if component_id else [],
            updated_at=self._time(node.optional("updated_at")), resolved_at=None,
            origin=node.where,
        ))

    def _read_schedule(self, node: Node) -> None:
        external_id = node.field("id").identifier()
        title = node.field("name").text()
        label = f"schedule {title!r} ({external_id})"
        if node.present("deleted_at"):
            self.batch.skip(label, "deleted in Cachet", kind="maintenance")
            return

        status = _number(node.field("status"), SCHEDULE_STATUSES, "schedule status")
        starts_at = self._time(node.field("scheduled_at"))
        ends_at = self._time(node.field("completed_at"))
        if starts_at is None or ends_at is None:
            missing = "scheduled_at" if starts_at is None else "completed_at"
            self.batch.skip(label, f"it has no {missing}, so its window is unknown",
                            kind="maintenance")
            return

        updates: list[SourceUpdate] = []
        if status >= 1 and starts_at <= self.now:
            updates.append(SourceUpdate(
                external_id=f"{external_id}#started", at=starts_at, status="in_progress",
                text=domain_maintenances.DEFAULT_START_TEXT, affected=None, updated_at=None,
                origin=node.where,
            ))

        components = []
        if node.present("components"):
            for child in node.child("components").items():
                key = "component_id" if child.present("component_id") else "id"
                components.append(child.field(key).identifier())
        self.batch.add_maintenance(SourceMaintenance(
            external_id=external_id, title=title, status=SCHEDULE_STATUSES[status],
            starts_at=starts_at, ends_at=ends_at, updates=updates, component_ids=components,
            updated_at=self._time(node.optional("updated_at")),
            resolved_at=min(ends_at, self.now) if status == 2 else None, origin=node.where,
            description=node.optional("message").text_or_none() or "",
        ))

    def finish(self) -> SourceBatch:
        """Attach the updates read on their own, and the current status of the component of
        each open incident."""
        for incident_id, update in self.loose_updates:
            incident = self.batch.incidents.get(incident_id)
            if incident is None:
                self.batch.skip(f"incident update {update.external_id}",
                                f"its incident {incident_id} is not in the source",
                                kind="incident_update")
                continue
            known = {item.external_id for item in incident.updates}
            if update.external_id not in known:
                incident.updates.insert(0, update)
                incident.status = _latest_status(incident.updates)
        for incident in self.batch.incidents.values():
            component = (self.batch.components.get(incident.component_ids[0])
                         if incident.component_ids else None)
            if incident.status == "resolved" or component is None or component.status in (
                None, "operational"
            ):
                continue
            # Cachet keeps no state per update, only the component's current status, so the
            # open incident has that state from its first update on.
            first = min(incident.updates, key=lambda update: update.at)
            first.affected = [Affected(external_id=component.external_id, name=component.name,
                                       status=component.status)]
        return self.batch


def _latest_status(updates: list[SourceUpdate]) -> str:
    """Return the status of the newest update; the list is newest first, as Cachet sends it."""
    return max(updates, key=lambda update: update.at).status


def _number(node: Node, allowed: dict[int, Any], meaning: str) -> int:
    value = node.integer_or_none()
    if value is None or value not in allowed:
        raise node.fail(
            f"is {node.value!r}, which is not a Cachet {meaning}: expected one of "
            f"{', '.join(str(number) for number in allowed)}."
        )
    return value
