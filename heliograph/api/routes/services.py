"""Services of a page: list, add, read, change and remove."""

from __future__ import annotations

from typing import Any

from django.db.models import Value
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from heliograph.api import access, present
from heliograph.api.pagination import DEFAULT_LIMIT, paginate
from heliograph.api.routes.common import ERRORS, Cursor, Limit, PathId
from heliograph.api.schemas import ServiceCreate, ServiceList, ServiceOut, ServiceUpdate
from heliograph.domain import pages as domain_pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Role, Service, ServiceGroup
from heliograph.domain.queries import page_status
from heliograph.domain.validation import check_text
from heliograph.domain.vocab import DisplayState

router = Router(tags=["services"])


def _states(page: Page) -> dict[int, DisplayState]:
    return {item.service.pk: item.state for item in page_status(page).services}


def _group_named(page: Page, name: str | None, actor: Actor) -> ServiceGroup | None:
    """Return the page's group called `name`, creating it when missing; None for no group."""
    if name is None or not name.strip():
        return None
    # Checked before the lookup: PostgreSQL rejects a NUL character in a query parameter.
    name = check_text(name, field="group", max_length=100, multiline=False)
    # The database lower-cases both sides, as the unique constraint on the group's name does,
    # so names outside ASCII match exactly when the constraint would reject them.
    found = (
        ServiceGroup.objects.annotate(lower=Lower("name"))
        .filter(page=page, lower=Lower(Value(name)))
        .first()
    )
    return found or domain_pages.add_group(page, name=name, actor=actor)


@router.get("/{slug}/services", response={200: ServiceList, **ERRORS},
            summary="List a page's services with their current state")
def list_services(request: HttpRequest, slug: str, cursor: Cursor = None,
                  limit: Limit = DEFAULT_LIMIT) -> Any:
    page = access.get_page(request, slug)
    rows, next_cursor = paginate(
        Service.objects.filter(page=page).select_related("group"), ["position", "id"],
        cursor, limit,
    )
    states = _states(page)
    return {"items": [present.service_body(s, states[s.pk]) for s in rows],
            "next_cursor": next_cursor}


@router.post("/{slug}/services", response={201: ServiceOut, **ERRORS}, summary="Add a service")
def add_service(request: HttpRequest, slug: str, payload: ServiceCreate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    actor = access.actor_of(request)
    service = domain_pages.add_service(
        page, name=payload.name, description=payload.description,
        group=_group_named(page, payload.group, actor), position=payload.position,
        start_date=payload.start_date, actor=actor,
    )
    return Status(201, present.service_body(service, DisplayState.OPERATIONAL))


@router.get("/{slug}/services/{service_id}", response={200: ServiceOut, **ERRORS},
            summary="Read a service")
def get_service(request: HttpRequest, slug: str, service_id: PathId) -> Any:
    page = access.get_page(request, slug)
    service = access.get_service(page, service_id)
    return present.service_body(service, _states(page)[service.pk])


@router.patch("/{slug}/services/{service_id}", response={200: ServiceOut, **ERRORS},
              summary="Rename, describe, regroup or move a service")
def update_service(request: HttpRequest, slug: str, service_id: PathId,
                   payload: ServiceUpdate) -> Any:
    page = access.get_page(request, slug, need=Role.EDITOR)
    service = access.get_service(page, service_id)
    actor = access.actor_of(request)
    changes = payload.model_dump(exclude_unset=True)
    if "group" in changes:
        changes["group"] = _group_named(page, changes["group"], actor)
    domain_pages.update_service(service, changes, actor=actor)
    service.refresh_from_db()
    return present.service_body(service, _states(page)[service.pk])


@router.delete("/{slug}/services/{service_id}", response={204: None, **ERRORS},
               summary="Remove a service")
def remove_service(request: HttpRequest, slug: str, service_id: PathId) -> Any:
    """Remove a service; its incidents and maintenances stay, without it."""
    page = access.get_page(request, slug, need=Role.EDITOR)
    domain_pages.remove_service(access.get_service(page, service_id),
                                actor=access.actor_of(request))
    return HttpResponse(status=204)
