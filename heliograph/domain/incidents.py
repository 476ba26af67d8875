"""Open, update, close, backfill, correct and delete incidents.

Each function runs in one transaction, applies the rules of the domain, raises a `DomainError`
without changing anything when a rule is broken, and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.common import (
    cover_history,
    event_time,
    resolve_services,
)
from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.models import Incident, IncidentEvent, Page, Service
from heliograph.domain.validation import check_aware, check_choice, check_text
from heliograph.domain.vocab import State, Status
from heliograph.notifications import outbox

TITLE_MAX = 300
TEXT_MAX = 20_000
DEFAULT_CLOSING_TEXT = "This incident has been resolved."

_AUDITED = ["title", "state", "status", "opened_at", "closed_at", "services", "post_mortem"]
_UNSET: Any = object()


@dataclass(frozen=True)
class PastEvent:
    """One event of an incident recorded after the fact."""

    at: dt.datetime
    status: Status
    text: str
    state: State | None = None


def open_incident(
    page: Page,
    *,
    title: str,
    text: str,
    state: State,
    status: Status,
    services: Iterable[int | Service] = (),
    at: dt.datetime | None = None,
    actor: Actor,
) -> Incident:
    """Open an incident with its first event."""
    state = check_choice(state, State, field="state")
    status = check_choice(status, Status, field="status")
    if state == State.OPERATIONAL:
        raise RuleViolation(
            "opening_state_operational",
            "An incident cannot open as operational: choose degraded_performance, "
            "partial_outage or major_outage, or record a past incident with backfill.",
            field="state",
        )
    if status == Status.RESOLVED:
        raise RuleViolation(
            "opening_status_resolved",
            "An incident cannot open as resolved: choose investigating, identified or "
            "monitoring, or record a past incident with backfill.",
            field="status",
        )
    title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    text = check_text(text, field="text", max_length=TEXT_MAX)
    now = timezone.now()
    at = event_time(at, previous=None, now=now)
    chosen = resolve_services(page, services)

    with transaction.atomic():
        incident = Incident.objects.create(
            page=page,
            title=title,
            state=state,
            status=status,
            opened_at=at,
            created_by=actor.user,
            created_at=now,
            updated_at=now,
        )
        incident.services.set(chosen)
        event = IncidentEvent.objects.create(
            incident=incident, at=at, state=state, status=status, text=text,
            author=actor.user, posted_at=now,
        )
        incident.latest_event = event
        incident.save(update_fields=["latest_event"])
        cover_history(page, chosen, at)
        audit.record(page, actor, "incident.open", incident,
                     after=audit.snapshot(incident, _AUDITED))
        outbox.record_incident_event(event)
    return incident


def post_event(
    incident: Incident,
    *,
    text: str,
    state: State,
    status: Status,
    at: dt.datetime | None = None,
    services: Iterable[int | Service] | None = None,
    actor: Actor,
) -> IncidentEvent:
    """Add an event to an open incident; a `resolved` event closes it.

    `services`, when given, names the services this event concerns if they differ from the
    incident's (a partial fix).
    """
    state = check_choice(state, State, field="state")
    status = check_choice(status, Status, field="status")
    if status == Status.RESOLVED:
        if state != State.OPERATIONAL:
            raise RuleViolation(
                "resolved_not_operational",
                "A resolved event closes the incident, so its state must be operational.",
                field="state",
            )
        return close_incident(incident, text=text, at=at, actor=actor)
    text = check_text(text, field="text", max_length=TEXT_MAX)
    chosen = None if services is None else resolve_services(incident.page, services)

    with transaction.atomic():
        locked = _lock_open(incident)
        now = timezone.now()
        at = event_time(at, previous=locked.latest_event, now=now)
        event = IncidentEvent.objects.create(
            incident=locked, at=at, state=state, status=status, text=text,
            services_override=chosen is not None, author=actor.user, posted_at=now,
        )
        if chosen is not None:
            event.services.set(chosen)
            cover_history(locked.page, chosen, at)
        before = audit.snapshot(locked, _AUDITED)
        _follow(locked, event, now)
        audit.record(locked.page, actor, "incident.event", locked, before=before,
                     after=audit.snapshot(locked, _AUDITED) | {"event": event.pk, "text": text})
        outbox.record_incident_event(event)
    _refresh(incident, locked)
    return event


def close_incident(
    incident: Incident,
    *,
    text: str | None = None,
    at: dt.datetime | None = None,
    actor: Actor,
) -> IncidentEvent:
    """Close an open incident with a last event that is operational and resolved."""
    text = check_text(text or DEFAULT_CLOSING_TEXT, field="text", max_length=TEXT_MAX)

    with transaction.atomic():
        locked = _lock_open(incident, closing=True)
        now = timezone.now()
        at = event_time(at, previous=locked.latest_event, now=now)
        event = IncidentEvent.objects.create(
            incident=locked, at=at, state=State.OPERATIONAL, status=Status.RESOLVED,
            text=text, author=actor.user, posted_at=now,
        )
        before = audit.snapshot(locked, _AUDITED)
        locked.closed_at = at
        _follow(locked, event, now)
        audit.record(locked.page, actor, "incident.close", locked, before=before,
                     after=audit.snapshot(locked, _AUDITED) | {"event": event.pk, "text": text})
        outbox.record_incident_event(event)
    _refresh(incident, locked)
    return event


def backfill_incident(
    page: Page,
    *,
    title: str,
    services: Iterable[int | Service],
    events: Sequence[PastEvent],
    actor: Actor,
) -> Incident:
    """Record an incident that is already over, with its own events, straight into history.

    `events` run oldest first; the last one is `resolved` and its state is operational.
    """
    title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    checked = _check_past_events(events)
    chosen = resolve_services(page, services)
    now = timezone.now()

    with transaction.atomic():
        first, last = checked[0], checked[-1]
        incident = Incident.objects.create(
            page=page, title=title, state=State.OPERATIONAL, status=Status.RESOLVED,
            opened_at=first.at, closed_at=last.at, backfilled=True,
            created_by=actor.user, created_at=now, updated_at=now,
        )
        incident.services.set(chosen)
        created = IncidentEvent.objects.bulk_create(
            IncidentEvent(
                incident=incident, at=past.at, state=past.state or State.OPERATIONAL,
                status=past.status,
                text=past.text, author=actor.user, posted_at=now,
            )
            for past in checked
        )
        # bulk_create returns primary keys on SQLite and PostgreSQL, which are the backends used.
        incident.latest_event = created[-1]
        incident.save(update_fields=["latest_event"])
        cover_history(page, chosen, first.at)
        audit.record(page, actor, "incident.backfill", incident,
                     after=audit.snapshot(incident, _AUDITED) | {"events": len(created)})
    return incident


def update_incident(
    incident: Incident,
    *,
    title: str | None = None,
    services: Iterable[int | Service] | None = None,
    post_mortem: str | None = _UNSET,
    actor: Actor,
) -> Incident:
    """Change an incident's title, affected services (while open) or post-mortem.

    A change of services applies to every event that does not name its own services, so it
    corrects the whole incident, including its outage figures.
    """
    if title is not None:
        title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    chosen = None if services is None else resolve_services(incident.page, services)
    if isinstance(post_mortem, str):
        post_mortem = check_text(post_mortem, field="post_mortem", max_length=100_000,
                                 required=False) or None

    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("page").get(pk=incident.pk)
        if chosen is not None and locked.closed_at is not None:
            raise RuleViolation(
                "incident_closed",
                "The services of a closed incident cannot change.",
                field="services",
            )
        before = audit.snapshot(locked, _AUDITED)
        if title is not None:
            locked.title = title
        if post_mortem is not _UNSET:
            locked.post_mortem = post_mortem
        locked.updated_at = timezone.now()
        locked.save(update_fields=["title", "post_mortem", "updated_at"])
        if chosen is not None:
            locked.services.set(chosen)
            cover_history(locked.page, chosen, locked.opened_at)
        after = audit.snapshot(locked, _AUDITED)
        if after != before:
            audit.record(locked.page, actor, "incident.update", locked, before=before, after=after)
    _refresh(incident, locked)
    return incident


def edit_event_text(event: IncidentEvent, *, text: str, actor: Actor) -> IncidentEvent:
    """Correct the text of a past event, open or closed; the audit log keeps the old text."""
    text = check_text(text, field="text", max_length=TEXT_MAX)
    with transaction.atomic():
        locked = (
            IncidentEvent.objects.select_for_update()
            .select_related("incident__page")
            .get(pk=event.pk)
        )
        if locked.text == text:
            return locked
        before = {"text": locked.text}
        locked.text = text
        locked.edited_at = timezone.now()
        locked.save(update_fields=["text", "edited_at"])
        audit.record(locked.incident.page, actor, "incident.event.edit", locked,
                     before=before, after={"text": text, "incident": locked.incident_id})
    event.text, event.edited_at = locked.text, locked.edited_at
    return locked


def delete_incident(incident: Incident, *, actor: Actor) -> None:
    """Delete an incident and its events; the audit log keeps what it was."""
    with transaction.atomic():
        before = audit.snapshot(incident, _AUDITED) | {
            "events": list(incident.events.values("at", "state", "status", "text"))
        }
        for event in before["events"]:
            event["at"] = event["at"].isoformat()
        audit.record(incident.page, actor, "incident.delete", incident, before=before)
        incident.delete()


def _lock_open(incident: Incident, *, closing: bool = False) -> Incident:
    """Lock the incident's row for the rest of the transaction; reject a closed incident.

    The lock orders concurrent posters on PostgreSQL; SQLite already runs one writing
    transaction at a time. Only the incident's row is locked: PostgreSQL rejects FOR UPDATE on
    the outer join to the nullable `latest_event`.
    """
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("page", "latest_event")
        .get(pk=incident.pk)
    )
    if locked.closed_at is not None:
        if closing:
            raise RuleViolation(
                "incident_already_closed", "This incident is already closed."
            )
        raise RuleViolation(
            "incident_closed",
            "This incident is closed and takes no further events; its past event texts can "
            "still be corrected.",
        )
    return locked


def _follow(incident: Incident, event: IncidentEvent, now: dt.datetime) -> None:
    incident.state, incident.status = event.state, event.status
    incident.latest_event = event
    incident.updated_at = now
    incident.save(update_fields=["state", "status", "latest_event", "closed_at", "updated_at"])


def _refresh(target: Incident, source: Incident) -> None:
    for name in ("title", "state", "status", "latest_event", "closed_at", "updated_at",
                 "post_mortem"):
        setattr(target, name, getattr(source, name))


def _check_past_events(events: Sequence[PastEvent]) -> list[PastEvent]:
    if len(events) < 2:
        raise InvalidValue(
            "backfill_too_short",
            "A backfilled incident needs at least two events: the first one, and the resolved "
            "one that ended it.",
            field="events",
        )
    now = timezone.now()
    checked: list[PastEvent] = []
    for index, past in enumerate(events):
        field = f"events.{index}"
        at = check_aware(past.at, field=f"{field}.at")
        if at > now:
            raise RuleViolation("event_in_future",
                                f"{field}.at is in the future: give a time up to now.",
                                field=f"{field}.at")
        if checked and at < checked[-1].at:
            raise RuleViolation(
                "event_out_of_order",
                f"{field}.at is before the event above it: list the events oldest first.",
                field=f"{field}.at",
            )
        is_last = index == len(events) - 1
        past = PastEvent(
            at=past.at, text=past.text,
            status=check_choice(past.status, Status, field=f"{field}.status"),
            state=None if past.state is None else check_choice(past.state, State,
                                                               field=f"{field}.state"),
        )
        state = _past_state(past, index, is_last, len(events), field)
        text = check_text(past.text, field=f"{field}.text", max_length=TEXT_MAX)
        checked.append(PastEvent(at=at, status=past.status, text=text, state=state))
    if checked[-1].at == checked[0].at:
        raise RuleViolation(
            "backfill_without_duration",
            "The resolved event is at the same time as the first one: give the time the "
            "incident ended.",
            field=f"events.{len(events) - 1}.at",
        )
    return checked


def _past_state(past: PastEvent, index: int, is_last: bool, count: int, field: str) -> State:
    if is_last:
        if past.status != Status.RESOLVED:
            raise RuleViolation(
                "backfill_not_resolved",
                "The last event of a backfilled incident must be resolved.",
                field=f"{field}.status",
            )
        if past.state not in (None, State.OPERATIONAL):
            raise RuleViolation(
                "resolved_not_operational",
                "A resolved event closes the incident, so its state must be operational.",
                field=f"{field}.state",
            )
        return State.OPERATIONAL
    if past.status == Status.RESOLVED:
        raise RuleViolation(
            "resolved_before_end",
            "Only the last event of an incident can be resolved.",
            field=f"{field}.status",
        )
    if past.state is None:
        raise InvalidValue("required", f"{field}.state is missing.", field=f"{field}.state")
    if index == 0 and past.state == State.OPERATIONAL:
        raise RuleViolation(
            "opening_state_operational",
            "The first event of an incident cannot be operational.",
            field=f"{field}.state",
        )
    return past.state
