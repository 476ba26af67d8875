"""Maintenances and their events on the Runstatus API, through the domain's functions.

Statuses are spelled `scheduled`, `in-progress` and `completed` here; `in_progress` is
accepted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpResponse

from heliograph.domain import maintenances as domain_maintenances
from heliograph.domain.errors import DomainError
from heliograph.domain.models import MaintenanceEvent
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.runstatus import access, wire
from heliograph.runstatus.endpoint import Call, Created, endpoint, no_content
from heliograph.runstatus.errors import from_domain
from heliograph.runstatus.inputs import Fields
from heliograph.runstatus.pagination import paginate

STATUSES = {text: status for status, text in wire.WIRE_STATUS.items()}
STATUS_ALIASES = {MaintenanceStatus.IN_PROGRESS.value: MaintenanceStatus.IN_PROGRESS}
# This API's names of the window's ends.
WINDOW_FIELDS = {"starts_at": "start_date", "ends_at": "end_date"}


def list_maintenances(call: Call, slug: str) -> dict[str, Any]:
    """List the page's maintenances, latest start first, each with its events."""
    page = access.get_page(call.credential, slug)

    def present(rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [wire.maintenance_body(maintenance) for maintenance in rows]

    return paginate(call.request, wire.maintenances_with_events(page), present,
                    wire.link("maintenances", slug))


def schedule_maintenance(call: Call, slug: str) -> Created:
    """Schedule a maintenance; a `status` of in-progress or completed moves it on at once."""
    page = access.get_page(call.credential, slug)
    fields = call.fields()
    title = fields.text("title", required=True)
    description = fields.text("description") or ""
    starts_at = fields.time("start_date", required=True)
    ends_at = fields.time("end_date", required=True)
    services = fields.services("services", page)
    status = _status(fields)
    fields.check()
    assert title is not None
    assert starts_at is not None
    assert ends_at is not None

    try:
        with transaction.atomic():
            maintenance = domain_maintenances.schedule_maintenance(
                page, title=title, description=description, starts_at=starts_at,
                ends_at=ends_at, services=services or [], actor=call.actor,
            )
            if status == MaintenanceStatus.IN_PROGRESS:
                domain_maintenances.post_event(
                    maintenance, text=domain_maintenances.DEFAULT_START_TEXT,
                    status=MaintenanceStatus.IN_PROGRESS, actor=call.actor,
                )
            elif status == MaintenanceStatus.COMPLETED:
                domain_maintenances.close_maintenance(maintenance, actor=call.actor)
    except DomainError as error:
        raise from_domain(error, WINDOW_FIELDS) from None
    return Created(wire.maintenance_body(access.get_maintenance(page, str(maintenance.pk))))


def get_maintenance(call: Call, slug: str, maintenance_id: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    return wire.maintenance_body(access.get_maintenance(page, maintenance_id))


def update_maintenance(call: Call, slug: str, maintenance_id: str) -> dict[str, Any]:
    """Change the title, description, window or services of a maintenance.

    A window end or services equal to the maintenance's own are no change, so that a client
    may send a completed maintenance back as it received it, with another title.
    """
    page = access.get_page(call.credential, slug)
    maintenance = access.get_maintenance(page, maintenance_id)
    fields = call.fields()
    title = fields.text("title")
    description = fields.text("description")
    starts_at = fields.time("start_date")
    ends_at = fields.time("end_date")
    services = fields.services("services", page)
    fields.check()
    if starts_at == maintenance.starts_at:
        starts_at = None
    if ends_at == maintenance.ends_at:
        ends_at = None
    if services is not None and set(services) == set(maintenance.services.all()):
        services = None

    try:
        domain_maintenances.update_maintenance(
            maintenance, title=title, description=description, starts_at=starts_at,
            ends_at=ends_at, services=services, actor=call.actor,
        )
    except DomainError as error:
        raise from_domain(error, WINDOW_FIELDS) from None
    return wire.maintenance_body(access.get_maintenance(page, maintenance_id))


def delete_maintenance(call: Call, slug: str, maintenance_id: str) -> HttpResponse:
    page = access.get_page(call.credential, slug)
    domain_maintenances.delete_maintenance(access.get_maintenance(page, maintenance_id),
                                           actor=call.actor)
    return no_content()


def list_events(call: Call, slug: str, maintenance_id: str) -> dict[str, Any]:
    page = access.get_page(call.credential, slug)
    maintenance = access.get_maintenance(page, maintenance_id)
    events = MaintenanceEvent.objects.filter(maintenance=maintenance).order_by("-at", "-id")

    def present(rows: Sequence[MaintenanceEvent]) -> list[dict[str, Any]]:
        return [wire.maintenance_event_body(event) for event in rows]

    return paginate(call.request, events, present,
                    wire.link("maintenance-events", slug, maintenance.pk))


def post_event(call: Call, slug: str, maintenance_id: str) -> Created:
    """Post `{"text", "status"}`: no status or in-progress starts the maintenance (or keeps it
    going), completed closes it, and scheduled adds a note to one not yet started."""
    page = access.get_page(call.credential, slug)
    maintenance = access.get_maintenance(page, maintenance_id)
    fields = call.fields()
    text = fields.text("text", required=True)
    status = _status(fields)
    fields.check()
    assert text is not None

    event = domain_maintenances.post_event(maintenance, text=text, status=status,
                                           actor=call.actor)
    return Created(wire.maintenance_event_body(event))


def _status(fields: Fields) -> MaintenanceStatus | None:
    return fields.choice("status", STATUSES, aliases=STATUS_ALIASES)


maintenances_view = endpoint(get=list_maintenances, post=schedule_maintenance)
maintenance_view = endpoint(get=get_maintenance, patch=update_maintenance,
                            delete=delete_maintenance)
maintenance_events_view = endpoint(get=list_events, post=post_event)
