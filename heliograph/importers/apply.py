"""Apply a batch of source records to a page, through the domain functions.

The caller runs `Importer.run` inside one transaction. Each group, service, incident and
maintenance is applied in a savepoint of its own: an object that the domain rejects is rolled
back alone and reported as skipped with the domain's reason, and the rest goes on.

A second run over the same source changes nothing. `ImportedObject` rows remember what each
source object became and the values applied, so a later run corrects what the source changed
(a title, an update's text), appends new updates, and leaves alone the fields edited in
Heliograph since.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from heliograph.domain import audit, incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.common import cover_history
from heliograph.domain.errors import DomainError
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
from heliograph.importers import brief
from heliograph.importers.mapping import (
    EventPlan,
    IncidentPlan,
    MaintenancePlan,
    Skip,
    digest,
    plan_incident,
    plan_maintenance,
)
from heliograph.importers.models import ImportedObject, Kind
from heliograph.importers.records import (
    SourceBatch,
    SourceComponent,
    SourceGroup,
    SourceIncident,
    SourceMaintenance,
)
from heliograph.importers.text import clean_text, is_blank
from heliograph.notifications.models import Delivery

logger = logging.getLogger(__name__)

NAME_MAX = 100
DESCRIPTION_MAX = 2000

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, SKIPPED)
KIND_LABELS = {
    Kind.GROUP: "groups",
    Kind.SERVICE: "services",
    Kind.INCIDENT: "incidents",
    Kind.INCIDENT_UPDATE: "incident updates",
    Kind.MAINTENANCE: "maintenances",
    Kind.MAINTENANCE_UPDATE: "maintenance updates",
}


Found = TypeVar("Found", ServiceGroup, Service, Incident, Maintenance)


@dataclass
class Report:
    """The outcome of a run: counts per kind of object, the reasons for skips, and notes."""

    counts: dict[Kind, dict[str, int]] = field(
        default_factory=lambda: {kind: dict.fromkeys(OUTCOMES, 0) for kind in KIND_LABELS}
    )
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: Kind, outcome: str, number: int = 1) -> None:
        self.counts[kind][outcome] += number

    def changed(self) -> bool:
        return any(counts[CREATED] or counts[UPDATED] for counts in self.counts.values())

    def mark(self) -> tuple[dict[Kind, dict[str, int]], int, int]:
        """Return the report's state, for `restore` to return to."""
        return ({kind: dict(counts) for kind, counts in self.counts.items()},
                len(self.skipped), len(self.notes))

    def restore(self, mark: tuple[dict[Kind, dict[str, int]], int, int]) -> None:
        """Forget what was counted and noted after `mark`."""
        self.counts = mark[0]
        del self.skipped[mark[1]:]
        del self.notes[mark[2]:]


@dataclass
class _Layout:
    """Groups and components in the order the page shows them."""

    groups: list[SourceGroup]
    components: list[SourceComponent]
    group_of: dict[str, str]


class Importer:
    """Apply one batch to one page."""

    def __init__(self, page: Page, batch: SourceBatch, *, actor: Actor, keep_html: bool = False,
                 now: dt.datetime | None = None,
                 advance: Callable[[], None] | None = None) -> None:
        self.page = page
        self.batch = batch
        self.actor = actor
        self.keep_html = keep_html
        self.now = now or timezone.now()
        self.advance = advance or (lambda: None)
        self.report = Report()
        self.records: dict[tuple[str, str], ImportedObject] = {}
        self.by_object: dict[tuple[str, int], ImportedObject] = {}
        self.groups: dict[str, ServiceGroup] = {}
        self.services: dict[str, Service] = {}
        self.group_names: dict[str, int] = {}
        self.service_names: dict[str, int] = {}
        # Set when the records above change, so that a rolled-back savepoint reloads them.
        self.records_changed = False
        # Objects that list an update another object of the batch lists first, by kind and
        # external id, with that update's id and the other object's id.
        self.shared_updates: dict[tuple[Kind, str], tuple[str, str]] = {}
        # The objects whose creation records deliveries to subscribers, which `run` withdraws.
        self.opened_incidents: set[int] = set()
        self.posted_incident_events: set[int] = set()
        self.scheduled_maintenances: set[int] = set()
        self.posted_maintenance_events: set[int] = set()
        self._add_named_components()

    def total(self) -> int:
        """Return the number of objects `run` works through, for a progress bar."""
        batch = self.batch
        return (len(batch.groups) + len(batch.components) + len(batch.incidents)
                + len(batch.maintenances))

    def run(self) -> Report:
        for kind, label, reason in self.batch.skipped:
            if kind is not None:
                self.report.count(Kind(kind), SKIPPED)
            self.report.skipped.append(f"{label}: {reason}.")
        self._load_records()
        incidents = sorted(self.batch.incidents.values(), key=_first_time)
        maintenances = sorted(self.batch.maintenances.values(), key=_first_time)
        self._find_shared_updates(Kind.INCIDENT, incidents)
        self._find_shared_updates(Kind.MAINTENANCE, maintenances)
        layout = self._layout()
        for position, group in enumerate(layout.groups):
            self._apply(Kind.GROUP, _label("group", group.name, group.external_id),
                        partial(self._import_group, group, position))
        for position, component in enumerate(layout.components):
            self._apply(Kind.SERVICE, _label("component", component.name, component.external_id),
                        partial(self._import_service, component, position,
                                layout.group_of.get(component.external_id)))
        for incident in incidents:
            self._apply(Kind.INCIDENT, _label("incident", incident.title, incident.external_id),
                        partial(self._plan_and_import_incident, incident))
        for maintenance in maintenances:
            self._apply(Kind.MAINTENANCE,
                        _label("maintenance", maintenance.title, maintenance.external_id),
                        partial(self._plan_and_import_maintenance, maintenance))
        self._withdraw_deliveries()
        return self.report

    def _withdraw_deliveries(self) -> None:
        """Delete the deliveries that the domain functions recorded for what this run wrote.

        An import moves history that the source already announced, so it notifies no
        subscriber. The deliveries are still uncommitted, so no worker has sent them.
        """
        links = [("incident_id", self.opened_incidents),
                 ("incident_event_id", self.posted_incident_events),
                 ("maintenance_id", self.scheduled_maintenances),
                 ("maintenance_event_id", self.posted_maintenance_events)]
        withdrawn = 0
        for link, ids in links:
            ordered = sorted(ids)
            # In batches, because SQLite limits the parameters of one query.
            for start in range(0, len(ordered), 500):
                batch = ordered[start:start + 500]
                withdrawn += Delivery.objects.filter(page=self.page, **{
                    f"{link}__in": batch}).delete()[0]
        if withdrawn:
            logger.info("import into page %s withdrew %d deliveries to subscribers",
                        self.page.slug, withdrawn)

    def _apply(self, kind: Kind, label: str, work: Callable[[], str]) -> None:
        """Run `work` in a savepoint and count its outcome; a rejection skips the object only.

        A rejection rolls back the savepoint, and with it what the report and the records
        in memory learned inside it.
        """
        mark = self.report.mark()
        self.records_changed = False
        try:
            with transaction.atomic():
                outcome = work()
        except (Skip, DomainError) as error:
            self.report.restore(mark)
            if self.records_changed:
                self._load_records()
            self.report.count(kind, SKIPPED)
            if isinstance(error, DomainError):
                self.report.skipped.append(f"{label}: rejected by Heliograph: {error.message}")
            else:
                self.report.skipped.append(f"{label}: {error}.")
        else:
            self.report.count(kind, outcome)
        self.advance()

    # Records of earlier runs

    def _load_records(self) -> None:
        """Load the records of earlier runs and the names in use on the page, afresh."""
        for cache in (self.records, self.by_object, self.group_names, self.service_names):
            cache.clear()
        for record in ImportedObject.objects.filter(page=self.page, source=self.batch.source):
            self._cache(record)
        for group in ServiceGroup.objects.filter(page=self.page):
            self.group_names[_folded(group.name)] = group.pk
        for service in Service.objects.filter(page=self.page):
            self.service_names[_folded(service.name)] = service.pk

    def _cache(self, record: ImportedObject) -> None:
        self.records_changed = True
        self.records[(record.kind, record.external_id)] = record
        if record.object_id is not None:
            self.by_object[(record.kind, record.object_id)] = record

    def _remember(self, kind: Kind, external_id: str, object_id: int | None,
                  applied: dict[str, Any]) -> None:
        self._remember_many(kind, [(external_id, object_id, applied)])

    def _remember_many(self, kind: Kind,
                       rows: Sequence[tuple[str, int | None, dict[str, Any]]]) -> None:
        """Record what source objects became: update the known records, insert the others."""
        self.records_changed = True
        new = []
        for external_id, object_id, applied in rows:
            record = self.records.get((kind, external_id))
            if record is None:
                new.append(ImportedObject(
                    page=self.page, source=self.batch.source, kind=kind,
                    external_id=external_id, object_id=object_id, applied=applied,
                    imported_at=self.now,
                ))
                continue
            if record.object_id is not None:
                self.by_object.pop((kind, record.object_id), None)
            record.object_id, record.applied, record.imported_at = object_id, applied, self.now
            record.save(update_fields=["object_id", "applied", "imported_at"])
            self._cache(record)
        for record in ImportedObject.objects.bulk_create(new):
            self._cache(record)

    def _forget(self, kind: Kind, external_ids: Iterable[str]) -> None:
        self.records_changed = True
        ids = list(external_ids)
        ImportedObject.objects.filter(page=self.page, source=self.batch.source, kind=kind,
                                      external_id__in=ids).delete()
        for external_id in ids:
            record = self.records.pop((kind, external_id), None)
            if record is not None and record.object_id is not None:
                self.by_object.pop((kind, record.object_id), None)

    def _find_shared_updates(self, kind: Kind,
                             items: Sequence[SourceIncident] | Sequence[SourceMaintenance]) -> None:
        """Note each object that lists an update which an object before it lists too."""
        owners: dict[str, str] = {}
        for item in items:
            for update in item.updates:
                owner = owners.setdefault(update.external_id, item.external_id)
                if owner != item.external_id:
                    self.shared_updates.setdefault((kind, item.external_id),
                                                   (update.external_id, owner))

    def _check_shared_updates(self, kind: Kind, external_id: str) -> None:
        shared = self.shared_updates.get((kind, external_id))
        if shared is not None:
            update_id, owner = shared
            raise Skip(f"its update {update_id} is also listed in {kind.label} {owner}, which "
                       "comes first: an update belongs to one object")

    def _check_updates_not_elsewhere(self, kind: Kind, external_ids: Iterable[str],
                                     own: set[int]) -> None:
        """Raise Skip when an earlier run imported one of these updates into another incident
        or maintenance that still has it, since a source object cannot take it over.

        NOTE: a source may move an update to another incident between runs. When the incident
        that had it comes later in the run and gives it up, the incident that lists it now is
        skipped in this run and imported by the next. Statuspage and Cachet ids do not move,
        so only edited files do this.
        """
        claimed: dict[int, str] = {}
        for external_id in external_ids:
            record = self.records.get((kind, external_id))
            if record is not None and record.object_id is not None and (
                record.object_id not in own
            ):
                claimed[record.object_id] = external_id
        if not claimed:
            return
        if kind == Kind.INCIDENT_UPDATE:
            parents = dict(IncidentEvent.objects.filter(pk__in=claimed, incident__page=self.page)
                           .values_list("pk", "incident_id"))
            noun = "incident"
        else:
            parents = dict(MaintenanceEvent.objects.filter(pk__in=claimed,
                                                           maintenance__page=self.page)
                           .values_list("pk", "maintenance_id"))
            noun = "maintenance"
        if parents:
            event_id, parent_id = min(parents.items())
            raise Skip(f"its update {claimed[event_id]} was imported by an earlier run into "
                       f"{noun} {parent_id}, which still has it: an update belongs to one "
                       f"{noun}")

    def _find(self, model: type[Found], record: ImportedObject) -> Found | None:
        """Return the page's object that a record names, or None if it was deleted since."""
        if record.object_id is None:
            return None
        return model.objects.filter(pk=record.object_id, page=self.page).first()

    # Groups and services

    def _add_named_components(self) -> None:
        """Add the components that updates name but no component list contains."""
        known = set(self.batch.components) | set(self.batch.groups)
        updates = [update for incident in self.batch.incidents.values()
                   for update in incident.updates]
        updates += [update for maintenance in self.batch.maintenances.values()
                    for update in maintenance.updates]
        for update in updates:
            for named in update.affected or ():
                if named.external_id in known:
                    continue
                known.add(named.external_id)
                self.batch.add_component(SourceComponent(
                    external_id=named.external_id, name=named.name or named.external_id,
                    description="", position=None, group_id=None, start_date=None,
                    created_at=None, updated_at=None, status=None, origin=update.origin,
                ))

    def _layout(self) -> _Layout:
        """Order groups and components as Statuspage shows them: top-level items by position,
        each group's components by position within it."""
        components = self.batch.components
        members: dict[str, list[str]] = {group_id: [] for group_id in self.batch.groups}
        group_of: dict[str, str] = {}
        for group in self.batch.groups.values():
            for member in group.member_ids:
                if member in components and member not in group_of:
                    members[group.external_id].append(member)
                    group_of[member] = group.external_id
        for component in components.values():
            if component.group_id in members and component.external_id not in group_of:
                members[component.group_id].append(component.external_id)
                group_of[component.external_id] = component.group_id

        top: list[tuple[Any, str, str]] = []
        for index, group in enumerate(self.batch.groups.values()):
            if not members[group.external_id]:
                self.report.count(Kind.GROUP, SKIPPED)
                self.report.skipped.append(
                    f"{_label('group', group.name, group.external_id)}: it has no components.")
                self.advance()
                continue
            top.append((_position_key(group.position, index), "group", group.external_id))
        for index, component in enumerate(components.values()):
            if component.external_id in group_of:
                continue
            if component.group_id is not None and component.group_id not in members:
                self.report.notes.append(
                    f"{_label('component', component.name, component.external_id)}: its group "
                    f"{component.group_id} is not in the source, so it was imported without one.")
            top.append((_position_key(component.position, index), "component",
                        component.external_id))

        groups: list[SourceGroup] = []
        ordered: list[SourceComponent] = []
        for _, item_kind, external_id in sorted(top, key=lambda item: item[0]):
            if item_kind == "component":
                ordered.append(components[external_id])
                continue
            groups.append(self.batch.groups[external_id])
            inside = [components[member] for member in members[external_id]]
            ordered.extend(sorted(inside, key=lambda item: _position_key(
                item.position, members[external_id].index(item.external_id))))
        return _Layout(groups=groups, components=ordered, group_of=group_of)

    def _import_group(self, group: SourceGroup, position: int) -> str:
        name = self._clean_name(group.name, _label("group", group.name, group.external_id))
        applied = {"name": name, "position": position}
        record = self.records.get((Kind.GROUP, group.external_id))
        if record is not None:
            found = self._find(ServiceGroup, record)
            if found is None:
                raise Skip("it was deleted in Heliograph after an earlier import")
            self.groups[group.external_id] = found
            changes = {key: value for key, value in applied.items()
                       if record.applied.get(key) != value}
            if "name" in changes:
                changes["name"] = _unique_name(name, self.group_names, found.pk)
            if not changes:
                return UNCHANGED
            self._change_group(found, changes)
            self._remember(Kind.GROUP, group.external_id, found.pk, applied)
            return UPDATED

        existing = self.group_names.get(_folded(name))
        if existing is not None and (Kind.GROUP, existing) not in self.by_object:
            found = ServiceGroup.objects.get(pk=existing)
            self.groups[group.external_id] = found
            self._remember(Kind.GROUP, group.external_id, found.pk, applied)
            self.report.notes.append(f"{_label('group', name, group.external_id)}: matched the "
                                     "group of the same name already on the page.")
            return UNCHANGED
        created = pages.add_group(self.page, name=_unique_name(name, self.group_names, None),
                                  position=position, actor=self.actor)
        self.group_names[_folded(created.name)] = created.pk
        self.groups[group.external_id] = created
        self._remember(Kind.GROUP, group.external_id, created.pk, applied)
        return CREATED

    def _change_group(self, group: ServiceGroup, changes: dict[str, Any]) -> None:
        # NOTE: the domain has no function that renames or moves a group, so this writes the
        # row itself and records the change in the audit log as the domain functions do.
        before = {"name": group.name, "position": group.position}
        self.group_names.pop(_folded(group.name), None)
        for name, value in changes.items():
            setattr(group, name, value)
        group.save(update_fields=list(changes))
        self.group_names[_folded(group.name)] = group.pk
        audit.record(self.page, self.actor, "group.update", group, before=before,
                     after={"name": group.name, "position": group.position})

    def _import_service(self, component: SourceComponent, position: int,
                        group_id: str | None) -> str:
        label = _label("component", component.name, component.external_id)
        name = self._clean_name(component.name, label)
        description, changes_made = clean_text(component.description, max_length=DESCRIPTION_MAX)
        self.report.notes.extend(f"{label}: description {change}." for change in changes_made)
        group = self.groups.get(group_id) if group_id is not None else None
        applied = {"name": name, "description": digest(description),
                   "group": group_id if group is not None else None, "position": position}
        record = self.records.get((Kind.SERVICE, component.external_id))
        if record is None:
            existing = self.service_names.get(_folded(name))
            if existing is not None and (Kind.SERVICE, existing) not in self.by_object:
                return self._adopt_service(component, existing, description, group, position,
                                           applied)
            return self._create_service(component, name, description, group, position, applied)

        found = self._find(Service, record)
        if found is None:
            raise Skip("it was deleted in Heliograph after an earlier import")
        self.services[component.external_id] = found
        changes: dict[str, Any] = {}
        if record.applied.get("name") != name:
            changes["name"] = self._service_name(name, group, found.pk)
        if record.applied.get("description") != applied["description"]:
            changes["description"] = description
        if record.applied.get("group") != applied["group"]:
            changes["group"] = group
        if record.applied.get("position") != position:
            changes["position"] = position
        if not changes:
            return UNCHANGED
        self._update_service(found, changes)
        self._remember(Kind.SERVICE, component.external_id, found.pk, applied)
        return UPDATED

    def _create_service(self, component: SourceComponent, name: str, description: str,
                        group: ServiceGroup | None, position: int, applied: dict[str, Any]) -> str:
        zone = zoneinfo.ZoneInfo(self.page.time_zone)
        start_date = component.start_date or (
            component.created_at.astimezone(zone).date() if component.created_at else None
        )
        unique = self._service_name(name, group, None)
        if unique != name:
            self.report.notes.append(
                f"{_label('component', name, component.external_id)}: named {unique!r}, "
                "because another service has that name.")
        created = pages.add_service(self.page, name=unique, description=description, group=group,
                                    position=position, start_date=start_date, actor=self.actor)
        self.service_names[_folded(created.name)] = created.pk
        self.services[component.external_id] = created
        self._remember(Kind.SERVICE, component.external_id, created.pk, applied)
        return CREATED

    def _adopt_service(self, component: SourceComponent, service_id: int, description: str,
                       group: ServiceGroup | None, position: int, applied: dict[str, Any]) -> str:
        found = Service.objects.get(pk=service_id)
        self.services[component.external_id] = found
        changes: dict[str, Any] = {}
        if found.description != description:
            changes["description"] = description
        if found.group_id != (group.pk if group else None):
            changes["group"] = group
        if found.position != position:
            changes["position"] = position
        self.report.notes.append(f"{_label('component', found.name, component.external_id)}: "
                                 "matched the service of the same name already on the page.")
        if changes:
            self._update_service(found, changes)
        self._remember(Kind.SERVICE, component.external_id, found.pk, applied)
        return UPDATED if changes else UNCHANGED

    def _update_service(self, service: Service, changes: dict[str, Any]) -> None:
        old_name = service.name
        pages.update_service(service, changes, actor=self.actor)
        if service.name != old_name:
            self.service_names.pop(_folded(old_name), None)
            self.service_names[_folded(service.name)] = service.pk

    def _service_name(self, name: str, group: ServiceGroup | None, own: int | None) -> str:
        """Return `name`, or when another service has it, `name (group)` or `name (2)`."""
        holder = self.service_names.get(_folded(name))
        if holder is None or holder == own:
            return name
        if group is not None:
            with_group = f"{name[: NAME_MAX - len(group.name) - 3]} ({group.name})"
            holder = self.service_names.get(_folded(with_group))
            if holder is None or holder == own:
                return with_group
        return _unique_name(name, self.service_names, own)

    def _clean_name(self, name: str, label: str) -> str:
        cleaned, changes = clean_text(name, max_length=NAME_MAX, multiline=False)
        self.report.notes.extend(f"{label}: name {change}." for change in changes)
        if is_blank(cleaned):
            raise Skip("its name is empty or invisible")
        return cleaned

    def _resolve(self, external_ids: Sequence[str] | None) -> list[Service]:
        """Return the services of the named components, or of a named group's components."""
        found: list[Service] = []
        for external_id in external_ids or ():
            if external_id in self.services:
                found.append(self.services[external_id])
            elif external_id in self.batch.groups:
                found.extend(service for member, service in self.services.items()
                             if member in self.batch.groups[external_id].member_ids)
        return list(dict.fromkeys(found))

    # Incidents

    def _plan_and_import_incident(self, incident: SourceIncident) -> str:
        self._check_shared_updates(Kind.INCIDENT, incident.external_id)
        return self._import_incident(plan_incident(incident, keep_html=self.keep_html,
                                                   now=self.now))

    def _import_incident(self, plan: IncidentPlan) -> str:
        record = self.records.get((Kind.INCIDENT, plan.external_id))
        if record is None:
            self._create_incident(plan)
            outcome = CREATED
        else:
            found = self._find(Incident, record)
            if found is None:
                raise Skip("it was deleted in Heliograph after an earlier import")
            outcome = self._update_incident(plan, record, found)
        if outcome != UNCHANGED:
            label = _label("incident", plan.title, plan.external_id)
            self.report.notes.extend(f"{label}: {note}." for note in plan.notes)
        return outcome

    def _create_incident(self, plan: IncidentPlan, *, counted: bool = True) -> Incident:
        self._check_updates_not_elsewhere(
            Kind.INCIDENT_UPDATE, [event.external_id for event in plan.events], own=set())
        services = self._resolve(plan.services)
        if plan.closed:
            incident = self._backfill(plan, services)
            events = list(incident.events.order_by("at", "id"))
            for event, planned in zip(events, plan.events, strict=True):
                self._override_services(event, planned)
        else:
            first, *later = plan.events
            assert first.state is not None
            incident = incidents.open_incident(
                self.page, title=plan.title, text=first.text, state=first.state,
                status=Status(first.status), services=services, at=first.at, actor=self.actor,
            )
            self.opened_incidents.add(incident.pk)
            assert incident.latest_event is not None
            events = [incident.latest_event]
            self._override_services(incident.latest_event, first)
            events.extend(self._post_incident_event(incident, planned) for planned in later)
        if plan.post_mortem:
            incidents.update_incident(incident, post_mortem=plan.post_mortem, actor=self.actor)
        self._remember(Kind.INCIDENT, plan.external_id, incident.pk, plan.applied())
        self._remember_many(Kind.INCIDENT_UPDATE, [
            (planned.external_id, event.pk, planned.applied())
            for event, planned in zip(events, plan.events, strict=True)
        ])
        if counted:
            self.report.count(Kind.INCIDENT_UPDATE, CREATED, len(events))
        return incident

    def _backfill(self, plan: IncidentPlan, services: list[Service]) -> Incident:
        past = [incidents.PastEvent(at=event.at, status=Status(event.status), text=event.text,
                                    state=event.state) for event in plan.events]
        try:
            return incidents.backfill_incident(self.page, title=plan.title, services=services,
                                               events=past, actor=self.actor)
        except DomainError as error:
            if error.code not in brief.CODES:
                raise
        return brief.record(self.page, title=plan.title, services=services, events=past,
                            actor=self.actor)

    def _post_incident_event(self, incident: Incident, planned: EventPlan) -> IncidentEvent:
        assert planned.state is not None
        services = self._resolve(planned.services) if planned.services is not None else None
        event = incidents.post_event(incident, text=planned.text, state=planned.state,
                                     status=Status(planned.status), at=planned.at,
                                     services=services or None, actor=self.actor)
        self.posted_incident_events.add(event.pk)
        return event

    def _override_services(self, event: IncidentEvent, planned: EventPlan) -> None:
        """Give an event the services it names, where `backfill_incident` and `open_incident`
        take none per event; the event is new and in the caller's transaction."""
        services = self._resolve(planned.services) if planned.services is not None else []
        if not services:
            return
        event.services_override = True
        event.save(update_fields=["services_override"])
        event.services.set(services)
        cover_history(self.page, services, event.at)

    def _same_incident_event(self, event: IncidentEvent, planned: EventPlan) -> bool:
        if (event.at, event.state, event.status) != (planned.at, planned.state, planned.status):
            return False
        expected = {service.pk for service in self._resolve(planned.services)} if (
            planned.services is not None) else set()
        stored = {service.pk for service in event.services.all()} if (
            event.services_override) else set()
        return expected == stored

    def _unchanged(self, kind: Kind, record: ImportedObject, applied: dict[str, Any],
                   events: Sequence[EventPlan]) -> bool:
        """Return whether the source gives exactly what was applied last time, event by event."""
        if record.applied != applied:
            return False
        for planned in events:
            known = self.records.get((kind, planned.external_id))
            if known is None or known.applied != planned.applied():
                return False
        return True

    def _update_incident(self, plan: IncidentPlan, record: ImportedObject,
                         incident: Incident) -> str:
        if self._unchanged(Kind.INCIDENT_UPDATE, record, plan.applied(), plan.events):
            self.report.count(Kind.INCIDENT_UPDATE, UNCHANGED, len(plan.events))
            return UNCHANGED
        events = list(incident.events.order_by("at", "id").prefetch_related("services"))
        self._check_updates_not_elsewhere(
            Kind.INCIDENT_UPDATE, [event.external_id for event in plan.events],
            own={event.pk for event in events})
        mapped = [(event, self.by_object[(Kind.INCIDENT_UPDATE, event.pk)]) for event in events
                  if (Kind.INCIDENT_UPDATE, event.pk) in self.by_object]
        foreign = [event for event in events if (Kind.INCIDENT_UPDATE, event.pk)
                   not in self.by_object]
        count = len(mapped)
        new = plan.events[count:]
        closed = incident.closed_at is not None
        services_changed = record.applied.get("services") != sorted(plan.services)

        reason = None
        if [item.external_id for _, item in mapped] != [
            event.external_id for event in plan.events[:count]
        ]:
            reason = "the source changed or removed earlier updates"
        elif not all(self._same_incident_event(event, planned)
                     for (event, _), planned in zip(mapped, plan.events, strict=False)):
            reason = "the source changed the time, state or status of an update"
        elif closed and (new or not plan.closed):
            reason = "the source changed the incident after it closed"
        elif closed and services_changed:
            reason = "the source changed the components of the closed incident"
        elif foreign and new and max(event.at for event in foreign) > new[0].at:
            reason = "the new updates are older than updates posted in Heliograph"
        if reason is not None:
            if foreign:
                raise Skip(f"{reason}, and it has updates posted in Heliograph: change it by "
                           "hand")
            return self._replace_incident(plan, incident, mapped, reason)

        changed = False
        fields: dict[str, Any] = {}
        if record.applied.get("title") != plan.title:
            fields["title"] = plan.title
        if record.applied.get("post_mortem") != digest(plan.post_mortem):
            fields["post_mortem"] = plan.post_mortem
        if services_changed:
            fields["services"] = self._resolve(plan.services)
        if fields:
            incidents.update_incident(incident, actor=self.actor, **fields)
            changed = True
        for (event, item), planned in zip(mapped, plan.events, strict=False):
            if item.applied.get("text") != digest(planned.text):
                incidents.edit_event_text(event, text=planned.text, actor=self.actor)
                self._remember(Kind.INCIDENT_UPDATE, planned.external_id, event.pk,
                               planned.applied())
                self.report.count(Kind.INCIDENT_UPDATE, UPDATED)
                changed = True
            else:
                self.report.count(Kind.INCIDENT_UPDATE, UNCHANGED)
        for planned in new:
            event = self._post_incident_event(incident, planned)
            self._remember(Kind.INCIDENT_UPDATE, planned.external_id, event.pk, planned.applied())
            self.report.count(Kind.INCIDENT_UPDATE, CREATED)
            changed = True
        if record.applied != plan.applied():
            self._remember(Kind.INCIDENT, plan.external_id, incident.pk, plan.applied())
        return UPDATED if changed else UNCHANGED

    def _replace_incident(self, plan: IncidentPlan, incident: Incident,
                          mapped: list[tuple[IncidentEvent, ImportedObject]], reason: str) -> str:
        """Delete the incident and record it anew; every one of its events came from the source."""
        before = {item.external_id: item.applied for _, item in mapped}
        self._forget(Kind.INCIDENT_UPDATE, before)
        incidents.delete_incident(incident, actor=self.actor)
        self._create_incident(plan, counted=False)
        for planned in plan.events:
            applied = before.get(planned.external_id)
            outcome = CREATED if applied is None else (
                UNCHANGED if applied == planned.applied() else UPDATED)
            self.report.count(Kind.INCIDENT_UPDATE, outcome)
        self.report.notes.append(
            f"{_label('incident', plan.title, plan.external_id)}: recorded anew because {reason}.")
        return UPDATED

    # Maintenances

    def _plan_and_import_maintenance(self, maintenance: SourceMaintenance) -> str:
        self._check_shared_updates(Kind.MAINTENANCE, maintenance.external_id)
        return self._import_maintenance(plan_maintenance(maintenance, keep_html=self.keep_html,
                                                         now=self.now))

    def _import_maintenance(self, plan: MaintenancePlan) -> str:
        record = self.records.get((Kind.MAINTENANCE, plan.external_id))
        if record is None:
            self._create_maintenance(plan)
            outcome = CREATED
        else:
            found = self._find(Maintenance, record)
            if found is None:
                raise Skip("it was deleted in Heliograph after an earlier import")
            outcome = self._update_maintenance(plan, record, found)
        if outcome != UNCHANGED:
            label = _label("maintenance", plan.title, plan.external_id)
            self.report.notes.extend(f"{label}: {note}." for note in plan.notes)
        return outcome

    def _create_maintenance(self, plan: MaintenancePlan, *, counted: bool = True) -> Maintenance:
        self._check_updates_not_elsewhere(
            Kind.MAINTENANCE_UPDATE, [event.external_id for event in plan.events], own=set())
        maintenance = maintenances.schedule_maintenance(
            self.page, title=plan.title, description=plan.description, starts_at=plan.starts_at,
            ends_at=plan.ends_at, services=self._resolve(plan.services), actor=self.actor,
        )
        self.scheduled_maintenances.add(maintenance.pk)
        events = [self._post_maintenance_event(maintenance, planned) for planned in plan.events]
        self._remember(Kind.MAINTENANCE, plan.external_id, maintenance.pk, plan.applied())
        if plan.description_id is not None:
            self._remember(Kind.MAINTENANCE_UPDATE, plan.description_id, None,
                           {"description": digest(plan.description)})
        self._remember_many(Kind.MAINTENANCE_UPDATE, [
            (planned.external_id, event.pk, planned.applied())
            for event, planned in zip(events, plan.events, strict=True)
        ])
        if counted:
            self.report.count(Kind.MAINTENANCE_UPDATE, CREATED,
                              len(events) + (plan.description_id is not None))
        return maintenance

    def _post_maintenance_event(self, maintenance: Maintenance,
                                planned: EventPlan) -> MaintenanceEvent:
        if planned.status == MaintenanceStatus.COMPLETED:
            event = maintenances.close_maintenance(maintenance, text=planned.text, at=planned.at,
                                                   actor=self.actor)
        else:
            event = maintenances.post_event(maintenance, text=planned.text,
                                            status=MaintenanceStatus(planned.status),
                                            at=planned.at, actor=self.actor)
        self.posted_maintenance_events.add(event.pk)
        return event

    def _update_maintenance(self, plan: MaintenancePlan, record: ImportedObject,
                            maintenance: Maintenance) -> str:
        if self._unchanged(Kind.MAINTENANCE_UPDATE, record, plan.applied(), plan.events):
            self.report.count(Kind.MAINTENANCE_UPDATE, UNCHANGED,
                              len(plan.events) + (plan.description_id is not None))
            return UNCHANGED
        events = list(maintenance.events.order_by("at", "id"))
        self._check_updates_not_elsewhere(
            Kind.MAINTENANCE_UPDATE, [event.external_id for event in plan.events],
            own={event.pk for event in events})
        mapped = [(event, self.by_object[(Kind.MAINTENANCE_UPDATE, event.pk)])
                  for event in events if (Kind.MAINTENANCE_UPDATE, event.pk) in self.by_object]
        foreign = [event for event in events
                   if (Kind.MAINTENANCE_UPDATE, event.pk) not in self.by_object]
        count = len(mapped)
        new = plan.events[count:]
        completed = maintenance.status == MaintenanceStatus.COMPLETED
        previous = record.applied
        window_changed = (previous.get("starts_at"), previous.get("ends_at")) != (
            plan.starts_at.isoformat(), plan.ends_at.isoformat())
        services_changed = previous.get("services") != sorted(plan.services)

        reason = None
        if [item.external_id for _, item in mapped] != [
            event.external_id for event in plan.events[:count]
        ]:
            reason = "the source changed or removed earlier updates"
        elif not all(item.applied == planned.applied()
                     for (_, item), planned in zip(mapped, plan.events, strict=False)):
            # Heliograph has no correction of a maintenance event's text or time.
            reason = "the source changed an update"
        elif completed and new:
            reason = "the source added updates after the maintenance completed"
        elif completed and (window_changed or services_changed):
            reason = "the source changed the window or components after it completed"
        elif foreign and new and max(event.at for event in foreign) > new[0].at:
            reason = "the new updates are older than updates posted in Heliograph"
        if reason is not None:
            if foreign:
                raise Skip(f"{reason}, and it has updates posted in Heliograph: change it by "
                           "hand")
            return self._replace_maintenance(plan, maintenance, mapped, reason)

        fields: dict[str, Any] = {}
        if previous.get("title") != plan.title:
            fields["title"] = plan.title
        if previous.get("description") != digest(plan.description):
            fields["description"] = plan.description
        if window_changed:
            fields["starts_at"], fields["ends_at"] = plan.starts_at, plan.ends_at
        if services_changed:
            fields["services"] = self._resolve(plan.services)
        if fields:
            maintenances.update_maintenance(maintenance, actor=self.actor, **fields)
        self.report.count(Kind.MAINTENANCE_UPDATE, UNCHANGED, count)
        for planned in new:
            event = self._post_maintenance_event(maintenance, planned)
            self._remember(Kind.MAINTENANCE_UPDATE, planned.external_id, event.pk,
                           planned.applied())
            self.report.count(Kind.MAINTENANCE_UPDATE, CREATED)
        if previous != plan.applied():
            self._remember(Kind.MAINTENANCE, plan.external_id, maintenance.pk, plan.applied())
        return UPDATED if fields or new else UNCHANGED

    def _replace_maintenance(self, plan: MaintenancePlan, maintenance: Maintenance,
                             mapped: list[tuple[MaintenanceEvent, ImportedObject]],
                             reason: str) -> str:
        before = {item.external_id: item.applied for _, item in mapped}
        self._forget(Kind.MAINTENANCE_UPDATE, before)
        maintenances.delete_maintenance(maintenance, actor=self.actor)
        self._create_maintenance(plan, counted=False)
        for planned in plan.events:
            applied = before.get(planned.external_id)
            outcome = CREATED if applied is None else (
                UNCHANGED if applied == planned.applied() else UPDATED)
            self.report.count(Kind.MAINTENANCE_UPDATE, outcome)
        self.report.notes.append(
            f"{_label('maintenance', plan.title, plan.external_id)}: recorded anew because "
            f"{reason}.")
        return UPDATED


def _label(kind: str, name: str, external_id: str) -> str:
    short = name if len(name) <= 60 else name[:59] + "…"
    return f"{kind} {short!r} ({external_id})"


def _first_time(item: Any) -> tuple[dt.datetime, str]:
    times = [update.at for update in item.updates]
    start = getattr(item, "starts_at", None)
    first = min(times) if times else (start or dt.datetime.max.replace(tzinfo=dt.UTC))
    return first, item.external_id


def _position_key(position: int | None, index: int) -> tuple[int, int, int]:
    return (position is None, position or 0, index)


def _folded(name: str) -> str:
    """Return the form in which the domain compares names (full-width and case folded)."""
    return unicodedata.normalize("NFKC", name).casefold()


def _unique_name(name: str, taken: dict[str, int], own: int | None) -> str:
    holder = taken.get(_folded(name))
    if holder is None or holder == own:
        return name
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = f"{name[: NAME_MAX - len(suffix)]}{suffix}"
        holder = taken.get(_folded(candidate))
        if holder is None or holder == own:
            return candidate
        number += 1

