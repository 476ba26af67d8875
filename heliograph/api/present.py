"""Turn models into the JSON bodies of the management API."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from heliograph.domain.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    Maintenance,
    Page,
    Service,
)
from heliograph.domain.queries import PageStatus, ServiceFigures, concerned_service_ids
from heliograph.domain.vocab import DisplayState
from heliograph.lib.urls import public_url


def page_body(page: Page, role: str) -> dict[str, Any]:
    return {
        "slug": page.slug,
        "title": page.title,
        "default_status_message": page.default_status_message,
        "time_zone": page.time_zone,
        "banner_color_rule": page.banner_color_rule,
        "theme": page.theme,
        "language": page.language,
        "custom_domain": page.custom_domain,
        "header_background": page.header_background,
        "header_text_color": page.header_text_color,
        "main_site_url": page.main_site_url,
        "support_email": page.support_email,
        "is_private": page.is_private,
        "auto_maintenance": page.auto_maintenance,
        "subscriptions_enabled": page.subscriptions_enabled,
        "public_url": public_url(page),
        "role": role,
        "created_at": page.created_at,
        "updated_at": page.updated_at,
    }


def service_body(service: Service, state: DisplayState) -> dict[str, Any]:
    return {
        "id": service.pk,
        "name": service.name,
        "description": service.description,
        "group": service.group.name if service.group else None,
        "position": service.position,
        "start_date": service.start_date,
        "state": state,
        "created_at": service.created_at,
    }


def incident_body(incident: Incident, *, with_events: bool = False) -> dict[str, Any]:
    """Serialise an incident; with events, newest first (loads them: one query each)."""
    body: dict[str, Any] = {
        "id": incident.pk,
        "title": incident.title,
        "state": incident.state,
        "status": incident.status,
        "services": sorted(service.pk for service in incident.services.all()),
        "opened_at": incident.opened_at,
        "closed_at": incident.closed_at,
        "backfilled": incident.backfilled,
        "post_mortem": incident.post_mortem,
        "events": None,
    }
    if with_events:
        events = incident.events.order_by("-at", "-id").prefetch_related("services")
        body["events"] = [incident_event_body(incident, event) for event in events]
    return body


def incident_event_body(incident: Incident, event: IncidentEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at,
        "state": event.state,
        "status": event.status,
        "text": event.text,
        "services": sorted(concerned_service_ids(incident, event)),
        "posted_at": event.posted_at,
        "edited_at": event.edited_at,
    }


def maintenance_body(maintenance: Maintenance, *, with_events: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": maintenance.pk,
        "title": maintenance.title,
        "description": maintenance.description,
        "starts_at": maintenance.starts_at,
        "ends_at": maintenance.ends_at,
        "status": maintenance.status,
        "services": sorted(service.pk for service in maintenance.services.all()),
        "auto_transition": maintenance.auto_transition,
        "started_at": maintenance.started_at,
        "completed_at": maintenance.completed_at,
        "overdue": maintenance.is_overdue(timezone.now()),
        "events": None,
    }
    if with_events:
        body["events"] = [
            {"id": event.pk, "at": event.at, "status": event.status, "text": event.text}
            for event in maintenance.events.order_by("-at", "-id")
        ]
    return body


def status_body(status: PageStatus) -> dict[str, Any]:
    page = status.page
    return {
        "page": page.slug,
        "time_zone": page.time_zone,
        "banner": {
            "message": status.banner.message,
            "state": status.banner.state,
            "incidents": list(status.banner.incident_ids),
        },
        "services": [
            {
                "id": item.service.pk,
                "name": item.service.name,
                "group": item.service.group.name if item.service.group else None,
                "state": item.state,
            }
            for item in status.services
        ],
        "incidents": [
            {
                "id": incident.pk,
                "title": incident.title,
                "state": incident.state,
                "status": incident.status,
                "opened_at": incident.opened_at,
                "services": sorted(concerned_service_ids(incident, incident.latest_event)),
                "latest_text": incident.latest_event.text if incident.latest_event else "",
            }
            for incident in status.open_incidents
        ],
        "maintenances": [
            {
                "id": maintenance.pk,
                "title": maintenance.title,
                "status": maintenance.status,
                "starts_at": maintenance.starts_at,
                "ends_at": maintenance.ends_at,
                "services": sorted(service.pk for service in maintenance.services.all()),
            }
            for maintenance in status.active_maintenances + status.upcoming_maintenances
        ],
        "updated_at": page.updated_at,
    }


def figures_body(figures: ServiceFigures) -> dict[str, Any]:
    return {
        "id": figures.service.pk,
        "name": figures.service.name,
        "start_date": figures.service.start_date,
        "uptime": _round(figures.uptime, 6),
        "days": [
            {
                "date": day.date,
                "minutes": day.minutes,
                "degraded_performance": _round(day.degraded_performance, 3),
                "partial_outage": _round(day.partial_outage, 3),
                "major_outage": _round(day.major_outage, 3),
                "uptime": _round(day.uptime, 6),
                "no_data": day.no_data,
            }
            for day in figures.days
        ],
    }


def audit_body(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at,
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
