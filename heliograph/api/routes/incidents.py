"""Incidents: open, list, read, post events, close, backfill, correct and delete."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from heliograph.api import access, present
from heliograph.api.pagination import DEFAULT_LIMIT, paginate
from heliograph.api.routes.common import (
    ERRORS,
    Cursor,
    Limit,
    PathId,
    TitlePrefix,
    with_title_prefix,
)
from heliograph.api.schemas import (
    EventTextUpdate,
    IncidentBackfill,
    IncidentClose,
    IncidentEventCreate,
    IncidentEventOut,
    IncidentList,
    IncidentOpen,
    IncidentOut,
    IncidentUpdate,
)
from heliograph.domain import incidents as domain_incidents
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import Incident, Role

router = Router(tags=["incidents"])

Which = Annotated[Literal["open", "closed", "all"],
                  Query("all", description="Only open, only closed, or all incidents.")]


@router.get("/{slug}/incidents", response={200: IncidentList, **ERRORS},
            summary="List incidents, newest first")
def list_incidents(request: HttpRequest, slug: str, status: Which = "all",
                   title_prefix: TitlePrefix = None, cursor: Cursor = None,
                   limit: Limit = DEFAULT_LIMIT) -> Any:
    page = access.get_page(request, slug)
    incidents = Incident.objects.filter(page=page).prefetch_related("services")
    incidents = with_title_prefix(incidents, title_prefix)
    if status == "open":
        incidents = incidents.filter(closed_at__isnull=True)
    elif status == "closed":
        incidents = incidents.filter(closed_at__isnull=False)
    rows, next_cursor = paginate(incidents, ["-opened_at", "-id"], cursor, limit)
    return {"items": [present.incident_body(incident) for incident in rows],
            "next_cursor": next_cursor}


@router.post("/{slug}/incidents", response={201: IncidentOut, **ERRORS},
             summary="Open an incident")
def open_incident(request: HttpRequest, slug: str, payload: IncidentOpen) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = domain_incidents.open_incident(
        page, title=payload.title, text=payload.text, state=payload.state,
        status=payload.status, services=payload.services, at=payload.at,
        actor=access.actor_of(request),
    )
    return Status(201, present.incident_body(incident, with_events=True))


@router.post("/{slug}/incidents/backfill", response={201: IncidentOut, **ERRORS},
             summary="Record a past incident with its events")
def backfill_incident(request: HttpRequest, slug: str, payload: IncidentBackfill) -> Any:
    """Record an incident that is over: events oldest first, the last one resolved."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = domain_incidents.backfill_incident(
        page, title=payload.title, services=payload.services,
        events=[
            PastEvent(at=event.at, state=event.state, status=event.status, text=event.text)
            for event in payload.events
        ],
        actor=access.actor_of(request),
    )
    return Status(201, present.incident_body(incident, with_events=True))


@router.get("/{slug}/incidents/{incident_id}", response={200: IncidentOut, **ERRORS},
            summary="Read an incident with its events")
def get_incident(request: HttpRequest, slug: str, incident_id: PathId) -> Any:
    page = access.get_page(request, slug)
    return present.incident_body(access.get_incident(page, incident_id), with_events=True)


@router.patch("/{slug}/incidents/{incident_id}", response={200: IncidentOut, **ERRORS},
              summary="Change an incident's title, services or post-mortem")
def update_incident(request: HttpRequest, slug: str, incident_id: PathId,
                    payload: IncidentUpdate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = access.get_incident(page, incident_id)
    changes = payload.model_dump(exclude_unset=True)
    domain_incidents.update_incident(incident, actor=access.actor_of(request), **changes)
    return present.incident_body(incident, with_events=True)


@router.delete("/{slug}/incidents/{incident_id}", response={204: None, **ERRORS},
               summary="Delete an incident (owners only)")
def delete_incident(request: HttpRequest, slug: str, incident_id: PathId) -> Any:
    page = access.get_page(request, slug, need=Role.OWNER)
    domain_incidents.delete_incident(access.get_incident(page, incident_id),
                                     actor=access.actor_of(request))
    return HttpResponse(status=204)


@router.post("/{slug}/incidents/{incident_id}/events",
             response={201: IncidentEventOut, **ERRORS}, summary="Post an event")
def post_event(request: HttpRequest, slug: str, incident_id: PathId,
               payload: IncidentEventCreate) -> Any:
    """Post an update; status `resolved` (with state operational) closes the incident."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = access.get_incident(page, incident_id)
    event = domain_incidents.post_event(
        incident, text=payload.text, state=payload.state, status=payload.status,
        at=payload.at, services=payload.services, actor=access.actor_of(request),
    )
    return Status(201, present.incident_event_body(incident, event))


@router.patch("/{slug}/incidents/{incident_id}/events/{event_id}",
              response={200: IncidentEventOut, **ERRORS}, summary="Correct an event's text")
def edit_event(request: HttpRequest, slug: str, incident_id: PathId, event_id: PathId,
               payload: EventTextUpdate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = access.get_incident(page, incident_id)
    event = access.get_incident_event(incident, event_id)
    event = domain_incidents.edit_event_text(event, text=payload.text,
                                             actor=access.actor_of(request))
    return present.incident_event_body(incident, event)


@router.post("/{slug}/incidents/{incident_id}/close", response={200: IncidentOut, **ERRORS},
             summary="Close an incident")
def close_incident(request: HttpRequest, slug: str, incident_id: PathId,
                   payload: IncidentClose | None = None) -> Any:
    """Close with a last event, operational and resolved; the text is optional."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    incident = access.get_incident(page, incident_id)
    payload = payload or IncidentClose()
    domain_incidents.close_incident(incident, text=payload.text, at=payload.at,
                                    actor=access.actor_of(request))
    return present.incident_body(incident, with_events=True)
