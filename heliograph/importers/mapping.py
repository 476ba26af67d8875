"""Map source records onto Heliograph's words: states, statuses, events and windows.

The tables below are the ones documented in docs/importing.md. The plans built here are what
the importer applies; they hold external ids, and the importer resolves them to services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from heliograph.domain import incidents as domain_incidents
from heliograph.domain import maintenances as domain_maintenances
from heliograph.domain.vocab import MaintenanceStatus, State, Status, worst
from heliograph.importers.records import SourceIncident, SourceMaintenance, SourceUpdate
from heliograph.importers.text import clean_text, html_to_markdown, is_blank

# The state of an incident's first update when no component names a worse one. Statuspage
# computes impact from its components the same way round: degraded performance is minor, a
# partial outage major, a major outage critical. An incident always opens worse than
# operational, so "none" and a missing impact (Cachet has none) open as degraded performance.
IMPACT_STATES: dict[str | None, State] = {
    None: State.DEGRADED_PERFORMANCE,
    "none": State.DEGRADED_PERFORMANCE,
    "maintenance": State.DEGRADED_PERFORMANCE,
    "minor": State.DEGRADED_PERFORMANCE,
    "major": State.PARTIAL_OUTAGE,
    "critical": State.MAJOR_OUTAGE,
}

# Component statuses named by an update. Maintenance is not a state of an incident, so
# `under_maintenance` names no state.
COMPONENT_STATES: dict[str, State | None] = {
    "operational": State.OPERATIONAL,
    "degraded_performance": State.DEGRADED_PERFORMANCE,
    "partial_outage": State.PARTIAL_OUTAGE,
    "major_outage": State.MAJOR_OUTAGE,
    "under_maintenance": None,
}

# Statuses of incident updates. `resolved` (and `completed`) closes the incident when it is the
# last update. Before other updates it means that the incident was reopened, so it reads as
# monitoring with the services operational. `postmortem` updates become the post-mortem.
INCIDENT_STATUSES: dict[str, Status] = {
    "investigating": Status.INVESTIGATING,
    "identified": Status.IDENTIFIED,
    "monitoring": Status.MONITORING,
    "resolved": Status.RESOLVED,
    "scheduled": Status.INVESTIGATING,
    "in_progress": Status.IDENTIFIED,
    "verifying": Status.MONITORING,
    "completed": Status.RESOLVED,
}
CLOSED_INCIDENT_STATUSES = frozenset({"resolved", "postmortem", "completed"})

# Statuses of maintenance updates. A `scheduled` update after the work started, or a
# `completed` one before the last update, reads as in progress.
MAINTENANCE_STATUSES: dict[str, MaintenanceStatus] = {
    "scheduled": MaintenanceStatus.SCHEDULED,
    "in_progress": MaintenanceStatus.IN_PROGRESS,
    "verifying": MaintenanceStatus.IN_PROGRESS,
    "completed": MaintenanceStatus.COMPLETED,
    "investigating": MaintenanceStatus.IN_PROGRESS,
    "identified": MaintenanceStatus.IN_PROGRESS,
    "monitoring": MaintenanceStatus.IN_PROGRESS,
    "resolved": MaintenanceStatus.COMPLETED,
    "postmortem": MaintenanceStatus.COMPLETED,
}
COMPLETED_MAINTENANCE_STATUSES = frozenset({"completed", "resolved", "postmortem"})

# Suffixes of the external ids of events the importer adds where the source has no update.
CLOSED_BY_STATUS = "#resolved"
CLOSED_WHEN_GONE = "#gone"
COMPLETED_BY_STATUS = "#completed"

TITLE_MAX = domain_incidents.TITLE_MAX
TEXT_MAX = domain_incidents.TEXT_MAX


def digest(text: str | None) -> str | None:
    """Return a short hash of a long text, for the record of applied values."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Skip(Exception):
    """An object that cannot be imported, with the reason, as the report shows it."""


@dataclass
class EventPlan:
    external_id: str
    at: dt.datetime
    status: str
    text: str
    state: State | None = None
    # The external ids of the components this event concerns when they differ from the
    # incident's, else None.
    services: tuple[str, ...] | None = None

    def applied(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "state": self.state, "status": self.status,
            "text": digest(self.text),
            "services": None if self.services is None else sorted(self.services),
        }


@dataclass
class IncidentPlan:
    external_id: str
    title: str
    services: tuple[str, ...]
    events: list[EventPlan]
    closed: bool
    post_mortem: str | None
    notes: list[str] = field(default_factory=list)

    def applied(self) -> dict[str, Any]:
        return {
            "title": self.title, "services": sorted(self.services), "closed": self.closed,
            "post_mortem": digest(self.post_mortem),
            "events": [event.external_id for event in self.events],
        }


@dataclass
class MaintenancePlan:
    external_id: str
    title: str
    description: str
    description_id: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    services: tuple[str, ...]
    events: list[EventPlan]
    notes: list[str] = field(default_factory=list)

    def applied(self) -> dict[str, Any]:
        return {
            "title": self.title, "description": digest(self.description),
            "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
            "services": sorted(self.services),
            "events": [event.external_id for event in self.events],
        }


def oldest_first(updates: Sequence[SourceUpdate]) -> list[SourceUpdate]:
    """Sort updates by time; sources list them newest first, so equal times keep that order
    reversed."""
    return sorted(reversed(updates), key=lambda update: update.at)


def plan_incident(incident: SourceIncident, *, keep_html: bool,
                  now: dt.datetime) -> IncidentPlan:
    """Turn a source incident into the events Heliograph records; raise Skip if it has none."""
    notes: list[str] = []
    ordered = oldest_first(incident.updates)
    post_mortems = [update for update in ordered if update.status == "postmortem"]
    regular = [update for update in ordered if update.status != "postmortem"]
    if not regular:
        raise Skip("it has no updates other than a post-mortem" if post_mortems
                   else "it has no updates")
    title = _clean(incident.title, keep_html=True, max_length=TITLE_MAX, multiline=False,
                   what="title", notes=notes)
    if is_blank(title):
        raise Skip("its title is empty or invisible")
    post_mortem = incident.post_mortem
    if post_mortems:
        post_mortem = post_mortems[-1].text
    if post_mortem is not None:
        post_mortem = _clean(post_mortem, keep_html=keep_html, max_length=100_000,
                             what="post-mortem", notes=notes) or None

    named = [item.external_id for update in ordered for item in update.affected or ()]
    services = _unique([*incident.component_ids, *named])
    events = _incident_events(regular, incident.impact, set(services), keep_html=keep_html,
                              notes=notes)
    closed = events[-1].status == Status.RESOLVED
    last_at = events[-1].at
    if not closed and (incident.status in CLOSED_INCIDENT_STATUSES or post_mortems):
        at = max(incident.resolved_at or last_at, last_at)
        events.append(EventPlan(
            external_id=incident.external_id + CLOSED_BY_STATUS, at=min(at, max(now, last_at)),
            status=Status.RESOLVED, state=State.OPERATIONAL,
            text=domain_incidents.DEFAULT_CLOSING_TEXT,
        ))
        notes.append("resolved without a resolving update: one was added at resolved_at")
        closed = True
    elif not closed and incident.gone_by is not None:
        events.append(EventPlan(
            external_id=incident.external_id + CLOSED_WHEN_GONE,
            at=min(max(incident.gone_by, last_at), max(now, last_at)),
            status=Status.RESOLVED, state=State.OPERATIONAL,
            text=domain_incidents.DEFAULT_CLOSING_TEXT,
        ))
        notes.append("no resolving update: one was added when the incident was first seen gone")
        closed = True
    return IncidentPlan(external_id=incident.external_id, title=title, services=services,
                        events=events, closed=closed, post_mortem=post_mortem, notes=notes)


def _incident_events(updates: list[SourceUpdate], impact: str | None, services: set[str], *,
                     keep_html: bool, notes: list[str]) -> list[EventPlan]:
    """Follow the component statuses the updates set, and give each event the worst of them.

    An update that names no component leaves them as the update before set them. The first
    update cannot be operational, so its operational components are ignored and, when it names
    no other, every component takes the impact's state.
    """
    events: list[EventPlan] = []
    # The state of each component while some differ; None while all share `state`.
    current: dict[str, State] | None = None
    state: State | None = None
    for index, update in enumerate(updates):
        text = _clean(update.text, keep_html=keep_html, max_length=TEXT_MAX,
                      what=f"update {update.external_id}", notes=notes)
        if update.status in ("resolved", "completed"):
            if index == len(updates) - 1:
                events.append(EventPlan(
                    external_id=update.external_id, at=update.at, status=Status.RESOLVED,
                    state=State.OPERATIONAL,
                    text=text or domain_incidents.DEFAULT_CLOSING_TEXT,
                ))
                break
            # A resolved update followed by others: the incident was reopened.
            state = State.OPERATIONAL if events else IMPACT_STATES[impact]
            current = None
            events.append(EventPlan(external_id=update.external_id, at=update.at,
                                    status=Status.MONITORING, state=state,
                                    text=text or Status.MONITORING.label))
            continue

        named = {item.external_id: COMPONENT_STATES[item.status]
                 for item in update.affected or () if item.status is not None}
        named_states: dict[str, State] = {key: value for key, value in named.items()
                                          if value is not None}
        if not events or (state == State.OPERATIONAL and current is None):
            # The first update, or the first after a reopening.
            down: dict[str, State] = {key: value for key, value in named_states.items()
                                      if value != State.OPERATIONAL}
            current = down or None
            state = worst(list(down.values())) if down else IMPACT_STATES[impact]
        elif named_states:
            if current is None:
                assert state is not None
                current = dict.fromkeys(services, state)
            current.update(named_states)
            down_states: list[State] = [value for value in current.values()
                                        if value != State.OPERATIONAL]
            state = worst(down_states)
        assert state is not None
        concerned = None
        if current is not None:
            down_ids = tuple(key for key, value in current.items() if value != State.OPERATIONAL)
            if down_ids and set(down_ids) != services:
                concerned = down_ids
        status = INCIDENT_STATUSES[update.status]
        events.append(EventPlan(external_id=update.external_id, at=update.at, status=status,
                                state=state, text=text or status.label, services=concerned))
    return events


def plan_maintenance(maintenance: SourceMaintenance, *, keep_html: bool,
                     now: dt.datetime) -> MaintenancePlan:
    """Turn a source maintenance into a window and its events; raise Skip if it has no window."""
    notes: list[str] = []
    if maintenance.starts_at is None or maintenance.ends_at is None:
        missing = "scheduled_for" if maintenance.starts_at is None else "scheduled_until"
        raise Skip(f"it has no {missing}, so its window is unknown")
    if maintenance.ends_at <= maintenance.starts_at:
        raise Skip(f"it ends ({maintenance.ends_at.isoformat()}) no later than it starts "
                   f"({maintenance.starts_at.isoformat()})")
    title = _clean(maintenance.title, keep_html=True, max_length=TITLE_MAX, multiline=False,
                   what="title", notes=notes)
    if is_blank(title):
        raise Skip("its title is empty or invisible")
    ordered = oldest_first(maintenance.updates)
    description, description_id = maintenance.description, None
    # The update posted first announces the work. Its shown time may be later than another's
    # (Heliograph dates the description when the maintenance was scheduled, and its events
    # when they happened), so it is found by when it was posted.
    announcement = min(reversed(ordered), key=lambda update: update.created_at or update.at,
                       default=None)
    if description is None and announcement is not None and announcement.status == "scheduled":
        description, description_id = announcement.text, announcement.external_id
        ordered = [update for update in ordered if update is not announcement]
    description = _clean(description or "", keep_html=keep_html, max_length=TEXT_MAX,
                         what="description", notes=notes)

    events: list[EventPlan] = []
    current = MaintenanceStatus.SCHEDULED
    for index, update in enumerate(ordered):
        status = MAINTENANCE_STATUSES[update.status]
        if status == MaintenanceStatus.COMPLETED and index != len(ordered) - 1:
            status = MaintenanceStatus.IN_PROGRESS
        if status == MaintenanceStatus.SCHEDULED and current != MaintenanceStatus.SCHEDULED:
            status = MaintenanceStatus.IN_PROGRESS
        current = status
        text = _clean(update.text, keep_html=keep_html, max_length=TEXT_MAX,
                      what=f"update {update.external_id}", notes=notes)
        events.append(EventPlan(external_id=update.external_id, at=update.at, status=status,
                                text=text or _default_maintenance_text(status)))

    completed = bool(events) and events[-1].status == MaintenanceStatus.COMPLETED
    last_at = events[-1].at if events else None
    end = None
    if not completed and maintenance.status in COMPLETED_MAINTENANCE_STATUSES:
        end = maintenance.resolved_at or maintenance.updated_at or maintenance.ends_at
        suffix = COMPLETED_BY_STATUS
        notes.append("completed without a completing update: one was added")
    elif not completed and maintenance.gone_by is not None:
        end, suffix = maintenance.gone_by, CLOSED_WHEN_GONE
        notes.append("no completing update: one was added when it was first seen gone")
    if end is not None:
        end = max(end, last_at) if last_at is not None else end
        events.append(EventPlan(
            external_id=maintenance.external_id + suffix,
            at=min(end, max(now, last_at or end)), status=MaintenanceStatus.COMPLETED,
            text=domain_maintenances.DEFAULT_CLOSING_TEXT,
        ))
    return MaintenancePlan(
        external_id=maintenance.external_id, title=title, description=description,
        description_id=description_id, starts_at=maintenance.starts_at,
        ends_at=maintenance.ends_at, services=_unique([
            *maintenance.component_ids,
            *(item.external_id for update in maintenance.updates for item in update.affected or ()),
        ]),
        events=events, notes=notes,
    )


def _default_maintenance_text(status: MaintenanceStatus) -> str:
    if status == MaintenanceStatus.COMPLETED:
        return domain_maintenances.DEFAULT_CLOSING_TEXT
    if status == MaintenanceStatus.IN_PROGRESS:
        return domain_maintenances.DEFAULT_START_TEXT
    return MaintenanceStatus.SCHEDULED.label


def _clean(text: str, *, keep_html: bool, max_length: int, what: str, notes: list[str],
           multiline: bool = True) -> str:
    if not keep_html:
        text = html_to_markdown(text)
    cleaned, changes = clean_text(text, max_length=max_length, multiline=multiline)
    notes.extend(f"{what}: {change}" for change in changes)
    return cleaned


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
