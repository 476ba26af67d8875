"""Schedule, update, start, close and delete maintenances, and move them along their window.

Each function runs in one transaction, applies the rules of the domain, raises a `DomainError`
without changing anything when a rule is broken, and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from heliograph.domain import audit, service_times
from heliograph.domain.audit import Actor
from heliograph.domain.common import event_time, resolve_services
from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.models import Maintenance, MaintenanceEvent, Page, Service
from heliograph.domain.validation import check_aware, check_choice, check_text
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.notifications import outbox

logger = logging.getLogger(__name__)

TITLE_MAX = 300
TEXT_MAX = 20_000
DEFAULT_START_TEXT = "This maintenance has started."
DEFAULT_CLOSING_TEXT = "This maintenance has been completed."

_AUDITED = ["title", "description", "starts_at", "ends_at", "status", "services",
            "auto_transition"]


def schedule_maintenance(
    page: Page,
    *,
    title: str,
    description: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    services: Iterable[int | Service] = (),
    auto_transition: bool | None = None,
    actor: Actor,
) -> Maintenance:
    """Announce a maintenance window; it starts as scheduled."""
    title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    description = check_text(description, field="description", max_length=TEXT_MAX,
                             required=False)
    starts_at, ends_at = _check_window(starts_at, ends_at)
    chosen = resolve_services(page, services)
    now = timezone.now()

    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            page=page, title=title, description=description, starts_at=starts_at,
            ends_at=ends_at, auto_transition=auto_transition, created_by=actor.user,
            created_at=now, updated_at=now,
        )
        maintenance.services.set(chosen)
        audit.record(page, actor, "maintenance.schedule", maintenance,
                     after=audit.snapshot(maintenance, _AUDITED))
        outbox.record_maintenance_scheduled(maintenance)
    return maintenance


def update_maintenance(
    maintenance: Maintenance,
    *,
    title: str | None = None,
    description: str | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    services: Iterable[int | Service] | None = None,
    auto_transition: bool | Literal["keep"] | None = "keep",
    actor: Actor,
) -> Maintenance:
    """Edit a maintenance's announcement; a completed one keeps its window and services."""
    if title is not None:
        title = check_text(title, field="title", max_length=TITLE_MAX, multiline=False)
    if description is not None:
        description = check_text(description, field="description", max_length=TEXT_MAX,
                                 required=False)
    chosen = None if services is None else resolve_services(maintenance.page, services)

    with transaction.atomic():
        locked = _lock(maintenance)
        changed = [name for name, value in
                   (("starts_at", starts_at), ("ends_at", ends_at), ("services", chosen))
                   if value is not None]
        if locked.status == MaintenanceStatus.COMPLETED and changed:
            raise RuleViolation(
                "maintenance_completed",
                "The window and services of a completed maintenance cannot change.",
                field=changed[0],
            )
        new_start, new_end = _check_window(starts_at or locked.starts_at,
                                           ends_at or locked.ends_at)
        before = audit.snapshot(locked, _AUDITED)
        locked.title = title if title is not None else locked.title
        locked.description = description if description is not None else locked.description
        locked.starts_at, locked.ends_at = new_start, new_end
        if auto_transition != "keep":
            locked.auto_transition = auto_transition
        locked.updated_at = timezone.now()
        locked.save()
        if chosen is not None:
            locked.services.set(chosen)
        after = audit.snapshot(locked, _AUDITED)
        if after != before:
            audit.record(locked.page, actor, "maintenance.update", locked,
                         before=before, after=after)
    _refresh(maintenance, locked)
    return maintenance


def post_event(
    maintenance: Maintenance,
    *,
    text: str,
    status: MaintenanceStatus | None = None,
    at: dt.datetime | None = None,
    actor: Actor,
) -> MaintenanceEvent:
    """Add an event to a maintenance that is not completed.

    Without a status, or with `in_progress`, the maintenance is (or stays) in progress. With
    `completed` it closes. With `scheduled` it posts a note to a maintenance not yet started.
    """
    if status is not None:
        status = check_choice(status, MaintenanceStatus, field="status")
    if status == MaintenanceStatus.COMPLETED:
        return close_maintenance(maintenance, text=text, at=at, actor=actor)
    text = check_text(text, field="text", max_length=TEXT_MAX)

    with transaction.atomic():
        locked = _lock_not_completed(maintenance)
        if status == MaintenanceStatus.SCHEDULED and locked.status != MaintenanceStatus.SCHEDULED:
            raise RuleViolation(
                "maintenance_started",
                "This maintenance is already in progress and cannot go back to scheduled.",
                field="status",
            )
        new_status = status or MaintenanceStatus.IN_PROGRESS
        event = _add_event(locked, text=text, status=new_status, at=at, actor=actor)
    _refresh(maintenance, locked)
    return event


def close_maintenance(
    maintenance: Maintenance,
    *,
    text: str | None = None,
    at: dt.datetime | None = None,
    actor: Actor,
) -> MaintenanceEvent:
    """Complete a scheduled or in-progress maintenance with a last event."""
    text = check_text(text or DEFAULT_CLOSING_TEXT, field="text", max_length=TEXT_MAX)
    with transaction.atomic():
        locked = _lock_not_completed(maintenance, closing=True)
        event = _add_event(locked, text=text, status=MaintenanceStatus.COMPLETED, at=at,
                           actor=actor)
    _refresh(maintenance, locked)
    return event


def delete_maintenance(maintenance: Maintenance, *, actor: Actor) -> None:
    with transaction.atomic():
        before = audit.snapshot(maintenance, _AUDITED)
        audit.record(maintenance.page, actor, "maintenance.delete", maintenance, before=before)
        maintenance.delete()


def advance_due_maintenances(now: dt.datetime | None = None) -> list[MaintenanceEvent]:
    """Start and complete the maintenances that follow their window, once each.

    Safe with several workers: each transition is a conditional update of the status, so only
    the worker whose update matched adds the event.
    """
    now = now or timezone.now()
    follows = Q(auto_transition=True) | Q(auto_transition__isnull=True, page__auto_maintenance=True)
    due_start = Maintenance.objects.filter(
        follows, status=MaintenanceStatus.SCHEDULED, starts_at__lte=now, ends_at__gt=now
    )
    due_end = Maintenance.objects.filter(
        follows,
        status__in=[MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS],
        ends_at__lte=now,
    )
    events = []
    for maintenance in due_start.select_related("page"):
        event = _advance(maintenance, MaintenanceStatus.IN_PROGRESS, DEFAULT_START_TEXT, now)
        if event is not None:
            events.append(event)
    for maintenance in due_end.select_related("page"):
        event = _advance(maintenance, MaintenanceStatus.COMPLETED, DEFAULT_CLOSING_TEXT, now)
        if event is not None:
            events.append(event)
    return events


def _advance(
    maintenance: Maintenance, target: MaintenanceStatus, text: str, now: dt.datetime
) -> MaintenanceEvent | None:
    start_or_end = maintenance.starts_at if target == MaintenanceStatus.IN_PROGRESS else (
        maintenance.ends_at
    )
    at = min(max(start_or_end, _last_event_time(maintenance)), now)
    changes: dict[str, object] = {"status": target, "updated_at": now}
    changes["started_at" if target == MaintenanceStatus.IN_PROGRESS else "completed_at"] = at
    with transaction.atomic():
        claimed = Maintenance.objects.filter(
            pk=maintenance.pk, status=maintenance.status
        ).update(**changes)
        if not claimed:
            return None
        # A queryset update sends no signal: store the services' change time here.
        service_times.refresh(maintenance.services.values_list("pk", flat=True))
        event = MaintenanceEvent.objects.create(
            maintenance=maintenance, at=at, status=target, text=text, posted_at=now
        )
        audit.record(maintenance.page, Actor.system("worker"), f"maintenance.auto.{target}",
                     maintenance, before={"status": maintenance.status},
                     after={"status": str(target)})
        outbox.record_maintenance_event(event)
    logger.info("maintenance %s on page %s moved to %s", maintenance.pk,
                maintenance.page.slug, target)
    return event


def _last_event_time(maintenance: Maintenance) -> dt.datetime:
    last = maintenance.events.order_by("-at", "-id").first()
    return last.at if last is not None else maintenance.created_at


def _add_event(
    maintenance: Maintenance,
    *,
    text: str,
    status: MaintenanceStatus,
    at: dt.datetime | None,
    actor: Actor,
) -> MaintenanceEvent:
    now = timezone.now()
    previous = maintenance.events.order_by("-at", "-id").first()
    at = event_time(at, previous=previous, now=now)
    before = audit.snapshot(maintenance, _AUDITED)
    event = MaintenanceEvent.objects.create(
        maintenance=maintenance, at=at, status=status, text=text, author=actor.user,
        posted_at=now,
    )
    if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
        maintenance.started_at = at
    if status == MaintenanceStatus.COMPLETED:
        maintenance.completed_at = at
    maintenance.status = status
    maintenance.updated_at = now
    maintenance.save(update_fields=["status", "started_at", "completed_at", "updated_at"])
    audit.record(maintenance.page, actor, f"maintenance.event.{status}", maintenance,
                 before=before,
                 after=audit.snapshot(maintenance, _AUDITED) | {"event": event.pk, "text": text})
    outbox.record_maintenance_event(event)
    return event


def _check_window(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    starts_at = check_aware(starts_at, field="starts_at")
    ends_at = check_aware(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise InvalidValue(
            "window_end_before_start",
            f"The maintenance ends ({ends_at.isoformat()}) no later than it starts "
            f"({starts_at.isoformat()}): give an end after the start.",
            field="ends_at",
        )
    return starts_at, ends_at


def _lock(maintenance: Maintenance) -> Maintenance:
    return Maintenance.objects.select_for_update().select_related("page").get(pk=maintenance.pk)


def _lock_not_completed(maintenance: Maintenance, *, closing: bool = False) -> Maintenance:
    locked = _lock(maintenance)
    if locked.status == MaintenanceStatus.COMPLETED:
        if closing:
            raise RuleViolation("maintenance_already_completed",
                                "This maintenance is already completed.")
        raise RuleViolation("maintenance_completed",
                            "This maintenance is completed and takes no further events.")
    return locked


def _refresh(target: Maintenance, source: Maintenance) -> None:
    for name in ("title", "description", "starts_at", "ends_at", "status", "auto_transition",
                 "started_at", "completed_at", "updated_at"):
        setattr(target, name, getattr(source, name))
