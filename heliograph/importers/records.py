"""The records an importer reads from a source, before they are mapped onto Heliograph's words.

The readers of Statuspage and Cachet JSON produce these records. Statuses and component
statuses keep Statuspage's spellings (Cachet's numbers are translated into them on reading),
so that one mapping, in `heliograph.importers.mapping`, serves both sources. Every time is
timezone-aware and in UTC. `origin` names the file (or URL) and the JSON path an object came
from, for messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar


class InputError(Exception):
    """Input that cannot be imported at all: unreadable, malformed, or of an unknown shape.

    The message is one line that names the file or URL and the field at fault.
    """


@dataclass
class Affected:
    """A component named by one update, with the status the update gave it."""

    external_id: str
    name: str
    status: str | None


@dataclass
class SourceUpdate:
    external_id: str
    at: dt.datetime
    status: str
    text: str
    affected: list[Affected] | None
    updated_at: dt.datetime | None
    origin: str
    # When the update was posted, which may differ from `at`, the time it shows.
    created_at: dt.datetime | None = None


@dataclass
class SourceIncident:
    external_id: str
    title: str
    status: str
    impact: str | None
    updates: list[SourceUpdate]
    component_ids: list[str]
    updated_at: dt.datetime | None
    resolved_at: dt.datetime | None
    origin: str
    post_mortem: str | None = None
    # When the incident was first seen gone from a page that lists only unresolved incidents;
    # an approximate end for sources that lack the resolving update.
    gone_by: dt.datetime | None = None


@dataclass
class SourceMaintenance:
    external_id: str
    title: str
    status: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    updates: list[SourceUpdate]
    component_ids: list[str]
    updated_at: dt.datetime | None
    resolved_at: dt.datetime | None
    origin: str
    # Set by sources whose maintenances carry a description of their own (Cachet). Otherwise
    # the first update, when it announces the work, becomes the description.
    description: str | None = None
    gone_by: dt.datetime | None = None


@dataclass
class SourceComponent:
    external_id: str
    name: str
    description: str
    position: int | None
    group_id: str | None
    start_date: dt.date | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    status: str | None
    origin: str


@dataclass
class SourceGroup:
    external_id: str
    name: str
    position: int | None
    updated_at: dt.datetime | None
    origin: str
    member_ids: list[str] = field(default_factory=list)


@dataclass
class SourceBatch:
    """Everything read from the paths of one run, merged by external id."""

    source: str
    page_id: str | None = None
    page_name: str | None = None
    page_time_zone: str | None = None
    page_origin: str | None = None
    components: dict[str, SourceComponent] = field(default_factory=dict)
    groups: dict[str, SourceGroup] = field(default_factory=dict)
    incidents: dict[str, SourceIncident] = field(default_factory=dict)
    maintenances: dict[str, SourceMaintenance] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # (kind, label, reason) of the files and objects left out while reading; the kind is an
    # `ImportedObject.kind`, or None for a whole file.
    skipped: list[tuple[str | None, str, str]] = field(default_factory=list)

    def skip(self, label: str, reason: str, *, kind: str | None = None) -> None:
        self.skipped.append((kind, label, reason))

    def set_page(self, page_id: str | None, name: str | None, time_zone: str | None,
                 origin: str) -> None:
        """Record the source page; reject a second, different page in the same run."""
        if page_id is None:
            return
        if self.page_id is not None and page_id != self.page_id:
            raise InputError(
                f"{origin}: page.id is {page_id!r} but {self.page_origin} is of page "
                f"{self.page_id!r}: import each source page into its own Heliograph page."
            )
        if self.page_id is None:
            self.page_id, self.page_origin = page_id, origin
        self.page_name = name or self.page_name
        self.page_time_zone = time_zone or self.page_time_zone

    def add_component(self, component: SourceComponent, *, embedded: bool = False) -> None:
        """Add or update a component; a copy `embedded` in an incident replaces a known one
        only when it was updated later."""
        known = self.components.get(component.external_id)
        if embedded and known is not None and not (
            known.updated_at is not None and component.updated_at is not None
            and component.updated_at > known.updated_at
        ):
            return
        self.components[component.external_id] = _newer(known, component)

    def add_group(self, group: SourceGroup) -> None:
        known = self.groups.get(group.external_id)
        chosen = _newer(known, group)
        if known is not None:
            members = [*known.member_ids, *group.member_ids]
            chosen.member_ids = list(dict.fromkeys(members))
        self.groups[group.external_id] = chosen

    def add_incident(self, incident: SourceIncident) -> None:
        """Add an incident, or merge it with a version read before; an update listed twice is
        kept once, in its latest version."""
        known = self.incidents.get(incident.external_id)
        if known is None:
            incident.updates = _merge_updates(incident.updates, [])
            self.incidents[incident.external_id] = incident
            return
        chosen = _newer(known, incident)
        chosen.updates = _merge_updates(known.updates, incident.updates)
        chosen.gone_by = known.gone_by or incident.gone_by
        chosen.post_mortem = chosen.post_mortem or known.post_mortem or incident.post_mortem
        self.incidents[incident.external_id] = chosen

    def add_maintenance(self, maintenance: SourceMaintenance) -> None:
        known = self.maintenances.get(maintenance.external_id)
        if known is None:
            maintenance.updates = _merge_updates(maintenance.updates, [])
            self.maintenances[maintenance.external_id] = maintenance
            return
        chosen = _newer(known, maintenance)
        chosen.updates = _merge_updates(known.updates, maintenance.updates)
        chosen.gone_by = known.gone_by or maintenance.gone_by
        self.maintenances[maintenance.external_id] = chosen


Versioned = TypeVar("Versioned", SourceComponent, SourceGroup, SourceIncident,
                    SourceMaintenance)


def _newer(known: Versioned | None, new: Versioned) -> Versioned:
    """Return the version updated last; on a tie, or without times, the one read last."""
    if known is None:
        return new
    if known.updated_at is not None and new.updated_at is not None and (
        known.updated_at > new.updated_at
    ):
        return known
    return new


def _merge_updates(first: list[SourceUpdate], second: list[SourceUpdate]) -> list[SourceUpdate]:
    """Return the union of two versions' updates by id, each in its latest version."""
    merged: dict[str, SourceUpdate] = {}
    for update in [*first, *second]:
        known = merged.get(update.external_id)
        if known is None or not (
            known.updated_at is not None and update.updated_at is not None
            and known.updated_at > update.updated_at
        ):
            merged[update.external_id] = update
    return list(merged.values())
