"""Maintenances: schedule, list, read, change, post events, close and delete."""

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
    MaintenanceClose,
    MaintenanceCreate,
    MaintenanceEventCreate,
    MaintenanceList,
    MaintenanceOut,
    MaintenanceUpdate,
)
from heliograph.domain import maintenances as domain_maintenances
from heliograph.domain.models import Maintenance, Role

router = Router(tags=["maintenances"])

Which = Annotated[
    Literal["scheduled", "in_progress", "completed", "all"],
    Query("all", description="Only maintenances with this status."),
]


@router.get("/{slug}/maintenances", response={200: MaintenanceList, **ERRORS},
            summary="List maintenances, latest window first")
def list_maintenances(request: HttpRequest, slug: str, status: Which = "all",
                      title_prefix: TitlePrefix = None, cursor: Cursor = None,
                      limit: Limit = DEFAULT_LIMIT) -> Any:
    page = access.get_page(request, slug)
    maintenances = Maintenance.objects.filter(page=page).prefetch_related("services")
    maintenances = with_title_prefix(maintenances, title_prefix)
    if status != "all":
        maintenances = maintenances.filter(status=status)
    rows, next_cursor = paginate(maintenances, ["-starts_at", "-id"], cursor, limit)
    return {"items": [present.maintenance_body(m) for m in rows], "next_cursor": next_cursor}


@router.post("/{slug}/maintenances", response={201: MaintenanceOut, **ERRORS},
             summary="Schedule a maintenance")
def schedule_maintenance(request: HttpRequest, slug: str, payload: MaintenanceCreate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    maintenance = domain_maintenances.schedule_maintenance(
        page, title=payload.title, description=payload.description,
        starts_at=payload.starts_at, ends_at=payload.ends_at, services=payload.services,
        auto_transition=payload.auto_transition, actor=access.actor_of(request),
    )
    return Status(201, present.maintenance_body(maintenance, with_events=True))


@router.get("/{slug}/maintenances/{maintenance_id}", response={200: MaintenanceOut, **ERRORS},
            summary="Read a maintenance with its events")
def get_maintenance(request: HttpRequest, slug: str, maintenance_id: PathId) -> Any:
    page = access.get_page(request, slug)
    return present.maintenance_body(access.get_maintenance(page, maintenance_id),
                                    with_events=True)


@router.patch("/{slug}/maintenances/{maintenance_id}", response={200: MaintenanceOut, **ERRORS},
              summary="Change a maintenance's announcement")
def update_maintenance(request: HttpRequest, slug: str, maintenance_id: PathId,
                       payload: MaintenanceUpdate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    maintenance = access.get_maintenance(page, maintenance_id)
    changes = payload.model_dump(exclude_unset=True)
    for name in ("title", "description", "starts_at", "ends_at", "services"):
        if name in changes and changes[name] is None:
            del changes[name]
    domain_maintenances.update_maintenance(maintenance, actor=access.actor_of(request),
                                           **changes)
    return present.maintenance_body(maintenance, with_events=True)


@router.delete("/{slug}/maintenances/{maintenance_id}", response={204: None, **ERRORS},
               summary="Delete a maintenance")
def delete_maintenance(request: HttpRequest, slug: str, maintenance_id: PathId) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    domain_maintenances.delete_maintenance(access.get_maintenance(page, maintenance_id),
                                           actor=access.actor_of(request))
    return HttpResponse(status=204)


@router.post("/{slug}/maintenances/{maintenance_id}/events",
             response={201: MaintenanceOut, **ERRORS}, summary="Post a maintenance event")
def post_event(request: HttpRequest, slug: str, maintenance_id: PathId,
               payload: MaintenanceEventCreate) -> Any:
    """Post an update; a scheduled maintenance moves to in_progress, `completed` closes it."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    maintenance = access.get_maintenance(page, maintenance_id)
    domain_maintenances.post_event(maintenance, text=payload.text, status=payload.status,
                                   at=payload.at, actor=access.actor_of(request))
    return Status(201, present.maintenance_body(maintenance, with_events=True))


@router.post("/{slug}/maintenances/{maintenance_id}/close",
             response={200: MaintenanceOut, **ERRORS}, summary="Complete a maintenance")
def close_maintenance(request: HttpRequest, slug: str, maintenance_id: PathId,
                      payload: MaintenanceClose | None = None) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    maintenance = access.get_maintenance(page, maintenance_id)
    payload = payload or MaintenanceClose()
    domain_maintenances.close_maintenance(maintenance, text=payload.text, at=payload.at,
                                          actor=access.actor_of(request))
    return present.maintenance_body(maintenance, with_events=True)
