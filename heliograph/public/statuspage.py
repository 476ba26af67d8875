"""Turn a page into the documents of Statuspage's public API v2 (`/api/v2/*.json`).

Widgets, aggregators and monitoring exporters written for Statuspage read these documents, so
their keys, value sets, nesting and nulls follow the responses that Statuspage pages publish.
`docs/statuspage-json.md` lists how Heliograph's words map onto Statuspage's.

The module has three layers:

- the mapping rules (`page_indicator`, `incident_impact`, `format_time` and the id functions),
  which are pure;
- `load_snapshot`, which reads the page's services, groups and current states, and the
  `*_document` functions, which load the incidents or maintenances that one endpoint lists.
  Each makes a fixed number of queries, whatever the history;
- the serializers (`page_json`, `component_json`, `incident_json`, `maintenance_json`), which
  only read objects loaded by the layer above, with their relations prefetched.

Ids are stable strings made of a kind and a primary key (`service-12`, `incident-7`). They do
not change when a page's slug or a service's name changes, and they never collide across
kinds: Statuspage lists groups beside components and maintenances beside incidents.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

from django.db.models import Prefetch, QuerySet

from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.queries import PageStatus, concerned_service_ids, page_status, page_zone
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, State, Status, worst
from heliograph.lib.urls import public_url
from heliograph.public.screens import worst_display_state

# incidents.json and scheduled-maintenances.json list this many of the most recent items, as
# Statuspage's own endpoints do.
RECENT_LIMIT = 50

# --- Wire shapes ---------------------------------------------------------------------------

Indicator = Literal["none", "minor", "major", "critical", "maintenance"]
Impact = Literal["none", "minor", "major", "critical", "maintenance"]


class PageJson(TypedDict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str


class StatusJson(TypedDict):
    indicator: Indicator
    description: str


class ComponentJson(TypedDict):
    """A service, or a group of services (`group` true, with its members' ids in `components`)."""

    id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    components: NotRequired[list[str]]


class AffectedComponentJson(TypedDict):
    """The status that one incident or maintenance gave a service before and after an update."""

    code: str
    name: str
    old_status: str
    new_status: str


class UpdateJson(TypedDict):
    """One incident event, or one maintenance event or description (`incident_updates`)."""

    id: str
    status: str
    body: str
    incident_id: str
    created_at: str
    updated_at: str
    display_at: str
    affected_components: list[AffectedComponentJson] | None
    deliver_notifications: bool
    custom_tweet: None
    tweet_id: None


class IncidentJson(TypedDict):
    id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    monitoring_at: str | None
    resolved_at: str | None
    impact: Impact
    shortlink: str
    started_at: str
    page_id: str
    incident_updates: list[UpdateJson]
    components: list[ComponentJson]


class MaintenanceJson(IncidentJson):
    scheduled_for: str
    scheduled_until: str


# --- Ids -----------------------------------------------------------------------------------


def page_id(page: Page) -> str:
    return f"page-{page.pk}"


def service_id(service_pk: int) -> str:
    return f"service-{service_pk}"


def group_id(group_pk: int) -> str:
    return f"group-{group_pk}"


def incident_id(incident: Incident) -> str:
    return f"incident-{incident.pk}"


def incident_update_id(event: IncidentEvent) -> str:
    return f"incident-event-{event.pk}"


def maintenance_id(maintenance: Maintenance) -> str:
    return f"maintenance-{maintenance.pk}"


def maintenance_update_id(event: MaintenanceEvent) -> str:
    return f"maintenance-event-{event.pk}"


def maintenance_description_id(maintenance: Maintenance) -> str:
    """Return the id of the update that carries a maintenance's description."""
    return f"maintenance-{maintenance.pk}-description"


# --- Mapping rules -------------------------------------------------------------------------

# Zones that Statuspage writes with "Z" rather than "+00:00".
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


def format_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """Return `moment` as Statuspage writes times: local to the page, to the millisecond.

    A page in a UTC zone gets `2026-06-15T17:00:00.000Z`, any other page its local time with
    the offset of that instant, as in `2026-06-15T12:00:00.000-05:00`. An offset with seconds
    (Africa/Monrovia until 1972 was UTC-00:44:30) is not valid in RFC 3339, so such a time is
    written in UTC instead.
    """
    local = moment.astimezone(zone)
    offset = local.utcoffset()
    if zone.key in _UTC_ZONES or offset is None or offset.seconds % 60:
        return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
    return local.isoformat(timespec="milliseconds")


def format_optional_time(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str | None:
    return None if moment is None else format_time(moment, zone)


# For each state, worst first: the status when every listed state is this one, and the
# status when only some are. The rule and its texts are those of Statuspage's summaries.
# NOTE: saved Statuspage summaries show the rows for a partial outage, for some components in
# major outage and for some degraded. The other rows take their texts from Statuspage's list
# of descriptions, with no saved response to confirm which state each one belongs to.
_INDICATOR_RULES: tuple[tuple[DisplayState, StatusJson, StatusJson], ...] = (
    (
        DisplayState.MAJOR_OUTAGE,
        {"indicator": "critical", "description": "Major System Outage"},
        {"indicator": "major", "description": "Partial System Outage"},
    ),
    (
        DisplayState.PARTIAL_OUTAGE,
        {"indicator": "major", "description": "Partial System Outage"},
        {"indicator": "minor", "description": "Minor Service Outage"},
    ),
    (
        DisplayState.DEGRADED_PERFORMANCE,
        {"indicator": "minor", "description": "Degraded System Service"},
        {"indicator": "minor", "description": "Partially Degraded Service"},
    ),
    (
        DisplayState.UNDER_MAINTENANCE,
        {"indicator": "maintenance", "description": "Service Under Maintenance"},
        {"indicator": "maintenance", "description": "Service Under Maintenance"},
    ),
)


def page_indicator(states: Iterable[DisplayState]) -> StatusJson:
    """Return the page's status from the current states of its services.

    The worst state decides, and whether every service is in it: one service in major outage
    among others gives `major` (Partial System Outage), all of them give `critical`. A partial
    outage gives `minor`, or `major` when it covers every service. Maintenance counts only
    when no service is worse than operational.
    """
    listed = list(states)
    for state, every, some in _INDICATOR_RULES:
        count = sum(1 for listed_state in listed if listed_state is state)
        if count:
            chosen = every if count == len(listed) else some
            return {"indicator": chosen["indicator"], "description": chosen["description"]}
    return {"indicator": "none", "description": "All Systems Operational"}


_IMPACT_BY_STATE: dict[State, Impact] = {
    State.OPERATIONAL: "none",
    State.DEGRADED_PERFORMANCE: "minor",
    State.PARTIAL_OUTAGE: "major",
    State.MAJOR_OUTAGE: "critical",
}


def incident_impact(states: Iterable[State]) -> Impact:
    """Return an incident's impact from the worst state any of its events had."""
    return _IMPACT_BY_STATE[worst(list(states))]


# --- Snapshot: the page, its components and their current statuses ------------------------


@dataclass(frozen=True)
class Snapshot:
    """The data that every endpoint shares: the page, its zone, status and components.

    `components` is in Statuspage's order: by position, with a group before its members of the
    same position. `by_service` contains the same dicts of the services, by primary key.
    """

    page: Page
    now: dt.datetime
    zone: zoneinfo.ZoneInfo
    status: PageStatus
    components: list[ComponentJson]
    by_service: dict[int, ComponentJson]

    @property
    def page_id(self) -> str:
        return page_id(self.page)


def load_snapshot(page: Page, now: dt.datetime) -> Snapshot:
    """Read the page's services, groups and current states, in a fixed number of queries."""
    status = page_status(page, now)
    zone = page_zone(page)
    changed = _service_change_times(page)
    components, by_service = _build_components(status, changed, page_id(page), zone)
    return Snapshot(page=page, now=now, zone=zone, status=status, components=components,
                    by_service=by_service)


def _service_change_times(page: Page) -> dict[int, dt.datetime]:
    """Return, per service, when it or an incident or maintenance listing it last changed.

    The incident and maintenance part is stored on the service (`changed_at`), so the read
    does not grow with the page's history.

    NOTE: an event that names its own services (a partial fix) counts only for the services
    its incident lists, so a service named by such an event alone keeps an older time.
    """
    rows = Service.objects.filter(page=page).values_list("pk", "created_at", "changed_at")
    return {pk: max(created, changed) if changed is not None else created
            for pk, created, changed in rows}


def _build_components(
    status: PageStatus,
    changed: dict[int, dt.datetime],
    owner_id: str,
    zone: zoneinfo.ZoneInfo,
) -> tuple[list[ComponentJson], dict[int, ComponentJson]]:
    """Lay out the services as the front page does: each group whole, where its first service is.

    Ungrouped services and groups are numbered 1, 2, ... in that order, and the members of a
    group 1, 2, ... within it. A group's status is the worst of its members' and its
    `updated_at` their latest. Groups without services are left out, as on the front page.
    """
    groups = {group.pk: group for group in status.groups}
    top_level = 0
    ordered: list[ComponentJson] = []
    by_service: dict[int, ComponentJson] = {}
    by_group: dict[int, ComponentJson] = {}
    group_states: dict[int, list[DisplayState]] = {}
    group_changed: dict[int, dt.datetime] = {}

    for item in status.services:
        service = item.service
        updated = changed.get(service.pk, service.created_at)
        component = component_json(service, item.state, updated, owner_id, zone)
        by_service[service.pk] = component
        ordered.append(component)
        group = groups.get(service.group_id) if service.group_id else None
        if group is None:
            top_level += 1
            component["position"] = top_level
            continue

        group_component = by_group.get(group.pk)
        if group_component is None:
            top_level += 1
            group_component = by_group[group.pk] = group_json(group, owner_id, zone)
            group_component["position"] = top_level
            group_states[group.pk] = []
            group_changed[group.pk] = group.created_at
            ordered.insert(len(ordered) - 1, group_component)
        members = group_component.setdefault("components", [])
        members.append(component["id"])
        component["position"] = len(members)
        group_states[group.pk].append(item.state)
        group_changed[group.pk] = max(group_changed[group.pk], updated)

    for group_pk, group_component in by_group.items():
        group_component["status"] = str(worst_display_state(group_states[group_pk]))
        group_component["updated_at"] = format_time(group_changed[group_pk], zone)
    # Statuspage lists components by position. The sort is stable, so a group stays before
    # its members that share its position.
    ordered.sort(key=lambda component: component["position"])
    return ordered, by_service


# --- Serializers ---------------------------------------------------------------------------


def page_json(page: Page) -> PageJson:
    """Return the `page` object: `url` is the page's public address without the final "/"."""
    return {
        "id": page_id(page),
        "name": page.title,
        "url": public_url(page).rstrip("/"),
        "time_zone": page.time_zone,
        "updated_at": format_time(page.updated_at, page_zone(page)),
    }


def component_json(service: Service, state: DisplayState, updated_at: dt.datetime,
                   owner_id: str, zone: zoneinfo.ZoneInfo) -> ComponentJson:
    """Return a service as a component; `position` is set by the caller's layout."""
    return {
        "id": service_id(service.pk),
        "name": service.name,
        "status": str(state),
        "created_at": format_time(service.created_at, zone),
        "updated_at": format_time(updated_at, zone),
        "position": service.position,
        "description": service.description or None,
        # The front page shows a 90-day strip for every service.
        "showcase": True,
        "start_date": service.start_date.isoformat(),
        "group_id": group_id(service.group_id) if service.group_id else None,
        "page_id": owner_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def group_json(group: ServiceGroup, owner_id: str, zone: zoneinfo.ZoneInfo) -> ComponentJson:
    """Return a group as a component; the caller sets its members, state and position."""
    created = format_time(group.created_at, zone)
    return {
        "id": group_id(group.pk),
        "name": group.name,
        "status": str(DisplayState.OPERATIONAL),
        "created_at": created,
        "updated_at": created,
        "position": group.position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": owner_id,
        "group": True,
        "only_show_if_degraded": False,
    }


def status_json(snapshot: Snapshot) -> StatusJson:
    """Return the page's `status` from its services and its open incidents without services.

    An open incident whose latest event concerns no service counts as one more component in
    that event's state, so that a page-wide incident is not reported as operational. A page
    without services therefore takes its status from such incidents alone.
    """
    states = [item.state for item in snapshot.status.services]
    for incident in snapshot.status.open_incidents:
        if not concerned_service_ids(incident, incident.latest_event):
            states.append(DisplayState(incident.state))
    return page_indicator(states)


def incident_json(incident: Incident, snapshot: Snapshot) -> IncidentJson:
    """Return an incident with its events as updates, newest first.

    The incident must come with `services` and `events` (oldest first, each with `services`)
    prefetched, as `incidents_with_events` does.
    """
    zone = snapshot.zone
    events = list(incident.events.all())
    updates = _incident_updates(incident, events, snapshot)
    changed = [incident.updated_at, *(event.edited_at or event.posted_at for event in events)]
    # Statuspage dates a backfilled incident from its start, not from when it was entered.
    created = incident.opened_at if incident.backfilled else incident.created_at
    return {
        "id": incident_id(incident),
        "name": incident.title,
        "status": incident.status,
        "created_at": format_time(created, zone),
        "updated_at": format_time(max(changed), zone),
        "monitoring_at": format_optional_time(_monitoring_since(events), zone),
        "resolved_at": format_optional_time(incident.closed_at, zone),
        "impact": incident_impact([State(event.state) for event in events]),
        "shortlink": f"{public_url(snapshot.page)}incidents/{incident.pk}",
        "started_at": format_time(incident.opened_at, zone),
        "page_id": snapshot.page_id,
        "incident_updates": updates,
        "components": _components_of(incident.services.all(), snapshot),
    }


def _monitoring_since(events: Sequence[IncidentEvent]) -> dt.datetime | None:
    """Return when the incident last moved to monitoring, or None if it never did."""
    since = None
    previous = None
    for event in events:
        if event.status == Status.MONITORING and previous != Status.MONITORING:
            since = event.at
        previous = event.status
    return since


def _incident_updates(incident: Incident, events: Sequence[IncidentEvent],
                      snapshot: Snapshot) -> list[UpdateJson]:
    """Turn events into updates, newest first, each with the services it changed.

    An event concerns its own services (a partial fix) or else the incident's, which it puts
    in its state. A service that the previous event put in a state worse than operational, and
    that this one no longer concerns, goes back to operational. A partial fix therefore lists
    what it fixed as well as what is still affected.
    """
    updates: list[UpdateJson] = []
    previous: dict[int, str] = {}
    for event in events:
        concerned = concerned_service_ids(incident, event)
        current = {service_pk: event.state for service_pk in concerned}
        listed = set(concerned) | {
            service_pk for service_pk, state in previous.items() if state != State.OPERATIONAL
        }
        affected = [
            _affected(snapshot.by_service[service_pk],
                      previous.get(service_pk, State.OPERATIONAL),
                      current.get(service_pk, State.OPERATIONAL))
            for service_pk in _in_layout_order(listed, snapshot)
        ]
        updates.append(_update_json(
            identifier=incident_update_id(event), status=event.status, body=event.text,
            owner=incident_id(incident), created=event.posted_at,
            updated=event.edited_at or event.posted_at, shown=event.at,
            affected=affected, zone=snapshot.zone,
        ))
        previous = current
    updates.reverse()
    return updates


def maintenance_json(maintenance: Maintenance, snapshot: Snapshot) -> MaintenanceJson:
    """Return a maintenance with its description and events as updates, newest first.

    The oldest update, with status `scheduled` and the id `maintenance-<pk>-description`,
    carries the description, dated when the maintenance was scheduled. As on Statuspage,
    `started_at` is that time too, and the window is `scheduled_for` to `scheduled_until`.
    The maintenance must come with `services` and `events` (oldest first) prefetched, as
    `maintenances_with_events` does.
    """
    zone = snapshot.zone
    events = list(maintenance.events.all())
    changed = [maintenance.updated_at, *(event.edited_at or event.posted_at for event in events)]
    return {
        "id": maintenance_id(maintenance),
        "name": maintenance.title,
        "status": maintenance.status,
        "created_at": format_time(maintenance.created_at, zone),
        "updated_at": format_time(max(changed), zone),
        "monitoring_at": None,
        "resolved_at": format_optional_time(maintenance.completed_at, zone),
        "impact": "maintenance",
        "shortlink": f"{public_url(snapshot.page)}maintenances/{maintenance.pk}",
        "started_at": format_time(maintenance.created_at, zone),
        "page_id": snapshot.page_id,
        "incident_updates": _maintenance_updates(maintenance, events, snapshot),
        "components": _components_of(maintenance.services.all(), snapshot),
        "scheduled_for": format_time(maintenance.starts_at, zone),
        "scheduled_until": format_time(maintenance.ends_at, zone),
    }


# The status a maintenance gives its services once an event of each status is posted.
_MAINTENANCE_EFFECT = {
    MaintenanceStatus.SCHEDULED: DisplayState.OPERATIONAL,
    MaintenanceStatus.IN_PROGRESS: DisplayState.UNDER_MAINTENANCE,
    MaintenanceStatus.COMPLETED: DisplayState.OPERATIONAL,
}


def _maintenance_updates(maintenance: Maintenance, events: Sequence[MaintenanceEvent],
                         snapshot: Snapshot) -> list[UpdateJson]:
    zone = snapshot.zone
    owner = maintenance_id(maintenance)
    services = _in_layout_order({service.pk for service in maintenance.services.all()},
                                snapshot)

    def affected(old: DisplayState, new: DisplayState) -> list[AffectedComponentJson]:
        return [_affected(snapshot.by_service[service_pk], old, new) for service_pk in services]

    operational = DisplayState.OPERATIONAL
    updates = [_update_json(
        identifier=maintenance_description_id(maintenance), status=MaintenanceStatus.SCHEDULED,
        body=maintenance.description, owner=owner, created=maintenance.created_at,
        updated=maintenance.created_at, shown=maintenance.created_at,
        affected=affected(operational, operational), zone=zone,
    )]
    effect = operational
    for event in events:
        new_effect = _MAINTENANCE_EFFECT[MaintenanceStatus(event.status)]
        updates.append(_update_json(
            identifier=maintenance_update_id(event), status=event.status, body=event.text,
            owner=owner, created=event.posted_at, updated=event.edited_at or event.posted_at,
            shown=event.at, affected=affected(effect, new_effect), zone=zone,
        ))
        effect = new_effect
    updates.reverse()
    return updates


def _update_json(*, identifier: str, status: str, body: str, owner: str, created: dt.datetime,
                 updated: dt.datetime, shown: dt.datetime,
                 affected: list[AffectedComponentJson], zone: zoneinfo.ZoneInfo) -> UpdateJson:
    """Return one update; `affected_components` is null when it names no service."""
    return {
        "id": identifier,
        "status": status,
        "body": body,
        "incident_id": owner,
        "created_at": format_time(created, zone),
        "updated_at": format_time(updated, zone),
        "display_at": format_time(shown, zone),
        "affected_components": affected or None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def _affected(component: ComponentJson, old: str, new: str) -> AffectedComponentJson:
    return {"code": component["id"], "name": component["name"], "old_status": str(old),
            "new_status": str(new)}


def _in_layout_order(service_pks: set[int], snapshot: Snapshot) -> list[int]:
    """Return the page's services among `service_pks`, in the order the page lists them."""
    return [item.service.pk for item in snapshot.status.services
            if item.service.pk in service_pks]


def _components_of(services: Iterable[Service], snapshot: Snapshot) -> list[ComponentJson]:
    service_pks = {service.pk for service in services}
    return [snapshot.by_service[service_pk]
            for service_pk in _in_layout_order(service_pks, snapshot)]


# --- Loading -------------------------------------------------------------------------------


def incidents_with_events(page: Page) -> QuerySet[Incident]:
    """Return the page's incidents with what `incident_json` reads, prefetched."""
    events = IncidentEvent.objects.order_by("at", "id").prefetch_related("services")
    return Incident.objects.filter(page=page).prefetch_related(
        "services", Prefetch("events", queryset=events)
    )


def maintenances_with_events(page: Page) -> QuerySet[Maintenance]:
    """Return the page's maintenances with what `maintenance_json` reads, prefetched."""
    events = MaintenanceEvent.objects.order_by("at", "id")
    return Maintenance.objects.filter(page=page).prefetch_related(
        "services", Prefetch("events", queryset=events)
    )


def _open_incidents(snapshot: Snapshot) -> list[IncidentJson]:
    # NOTE: every open incident comes with all its updates, and each update lists every
    # service it concerns, as on Statuspage. Nothing bounds the size: one incident on 500
    # services with 200 updates makes a summary.json of about 10 MB.
    incidents = incidents_with_events(snapshot.page).filter(closed_at__isnull=True)
    return [incident_json(incident, snapshot)
            for incident in incidents.order_by("-opened_at", "-id")]


def _upcoming(snapshot: Snapshot) -> list[MaintenanceJson]:
    """Return the scheduled maintenances whose window has not ended, soonest first.

    A scheduled maintenance whose end has passed is overdue: the front page shows it to
    editors only, and so it is left out here too.
    """
    maintenances = maintenances_with_events(snapshot.page).filter(
        status=MaintenanceStatus.SCHEDULED, ends_at__gt=snapshot.now
    )
    return [maintenance_json(maintenance, snapshot)
            for maintenance in maintenances.order_by("starts_at", "id")]


def _active(snapshot: Snapshot) -> list[MaintenanceJson]:
    maintenances = maintenances_with_events(snapshot.page).filter(
        status=MaintenanceStatus.IN_PROGRESS
    )
    return [maintenance_json(maintenance, snapshot)
            for maintenance in maintenances.order_by("starts_at", "id")]


# --- Documents, one per endpoint -----------------------------------------------------------


class StatusDocument(TypedDict):
    page: PageJson
    status: StatusJson


class ComponentsDocument(TypedDict):
    page: PageJson
    components: list[ComponentJson]


class IncidentsDocument(TypedDict):
    page: PageJson
    incidents: list[IncidentJson]


class MaintenancesDocument(TypedDict):
    page: PageJson
    scheduled_maintenances: list[MaintenanceJson]


class SummaryDocument(TypedDict):
    page: PageJson
    components: list[ComponentJson]
    incidents: list[IncidentJson]
    scheduled_maintenances: list[MaintenanceJson]
    status: StatusJson


def summary_document(page: Page, now: dt.datetime) -> SummaryDocument:
    """Return `summary.json`: the status, components, open incidents and the maintenances
    in progress or starting within the front page's horizon (60 days), soonest first."""
    snapshot = load_snapshot(page, now)
    listed = [*snapshot.status.active_maintenances, *snapshot.status.upcoming_maintenances]
    loaded = {maintenance.pk: maintenance for maintenance in
              maintenances_with_events(page).filter(pk__in=[item.pk for item in listed])}
    return {
        "page": page_json(page),
        "components": snapshot.components,
        "incidents": _open_incidents(snapshot),
        "scheduled_maintenances": [maintenance_json(loaded[item.pk], snapshot)
                                   for item in listed if item.pk in loaded],
        "status": status_json(snapshot),
    }


def status_document(page: Page, now: dt.datetime) -> StatusDocument:
    return {"page": page_json(page), "status": status_json(load_snapshot(page, now))}


def components_document(page: Page, now: dt.datetime) -> ComponentsDocument:
    return {"page": page_json(page), "components": load_snapshot(page, now).components}


def incidents_document(page: Page, now: dt.datetime) -> IncidentsDocument:
    """Return `incidents.json`: the 50 most recently started incidents, open or closed."""
    snapshot = load_snapshot(page, now)
    recent = incidents_with_events(page).order_by("-opened_at", "-id")[:RECENT_LIMIT]
    return {"page": page_json(page),
            "incidents": [incident_json(incident, snapshot) for incident in recent]}


def unresolved_incidents_document(page: Page, now: dt.datetime) -> IncidentsDocument:
    """Return `incidents/unresolved.json`: every open incident, newest first."""
    snapshot = load_snapshot(page, now)
    return {"page": page_json(page), "incidents": _open_incidents(snapshot)}


def maintenances_document(page: Page, now: dt.datetime) -> MaintenancesDocument:
    """Return `scheduled-maintenances.json`: the 50 latest-starting maintenances, any status."""
    snapshot = load_snapshot(page, now)
    recent = maintenances_with_events(page).order_by("-starts_at", "-id")[:RECENT_LIMIT]
    return {"page": page_json(page),
            "scheduled_maintenances": [maintenance_json(item, snapshot) for item in recent]}


def upcoming_maintenances_document(page: Page, now: dt.datetime) -> MaintenancesDocument:
    """Return `scheduled-maintenances/upcoming.json`: scheduled and not yet ended."""
    snapshot = load_snapshot(page, now)
    return {"page": page_json(page), "scheduled_maintenances": _upcoming(snapshot)}


def active_maintenances_document(page: Page, now: dt.datetime) -> MaintenancesDocument:
    """Return `scheduled-maintenances/active.json`: the maintenances in progress."""
    snapshot = load_snapshot(page, now)
    return {"page": page_json(page), "scheduled_maintenances": _active(snapshot)}
