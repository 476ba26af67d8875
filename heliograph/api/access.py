"""Tenant-scoped lookups: the only way handlers reach a page and what is on it.

A token reaches a page only when the page is in the token's scope and the token's user is
still a member of it. Any other page gets a 404, so that slugs and ids of other pages do not
leak.
"""

from __future__ import annotations

import re
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from ninja.errors import AuthorizationError

from heliograph.api.models import ApiToken
from heliograph.api.schemas import SLUG_PATTERN
from heliograph.domain.audit import Actor
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    Membership,
    Page,
    Role,
    Service,
)

M = TypeVar("M", bound=Model)

_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}
_SLUG = re.compile(SLUG_PATTERN)


def token_of(request: HttpRequest) -> ApiToken:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)
    return token


def actor_of(request: HttpRequest) -> Actor:
    token = token_of(request)
    return Actor.of_user(token.user, via=f"API token {token.hint}…")


def visible_pages(request: HttpRequest) -> list[int]:
    """Return the ids of the pages the request's token may see."""
    token = token_of(request)
    scoped = token.pages.values_list("pk", flat=True)
    return list(
        Membership.objects.filter(user=token.user, page__in=scoped).values_list("page", flat=True)
    )


def get_page(request: HttpRequest, slug: str, *, need: Role = Role.VIEWER,
             write: bool | None = None) -> Page:
    """Return the page `slug` if the token may act on it with at least the role `need`.

    `write` is whether the request changes the page, which a read-only token may not do. By
    default, a request that needs more than the viewer role is a write.
    """
    token = token_of(request)
    # A slug that no page can have is not looked up: PostgreSQL rejects NUL characters in
    # query parameters, and the response is 404 either way.
    if not _SLUG.fullmatch(slug):
        raise Http404
    membership = (
        Membership.objects.select_related("page")
        .filter(page__slug=slug, user=token.user, page__api_tokens=token)
        .first()
    )
    if membership is None:
        raise Http404
    if write is None:
        write = need != Role.VIEWER
    if write and not token.can_write:
        raise AuthorizationError(message="This token is read-only: create a token with write "
                                 "access to change the page.")
    if _RANK[Role(membership.role)] < _RANK[need]:
        raise AuthorizationError(message=f"This needs the {need.label.lower()} role on the page; "
                                 f"the token's user is {membership.role}.")
    return membership.page


def get_service(page: Page, service_id: int) -> Service:
    return _one(Service.objects.select_related("group"), page, service_id)


def get_incident(page: Page, incident_id: int, *, lock: bool = False) -> Incident:
    return _one(Incident.objects.select_related("page", "latest_event"), page, incident_id)


def get_incident_event(incident: Incident, event_id: int) -> IncidentEvent:
    event = IncidentEvent.objects.filter(incident=incident, pk=event_id).first()
    if event is None:
        raise Http404
    return event


def get_maintenance(page: Page, maintenance_id: int) -> Maintenance:
    return _one(Maintenance.objects.select_related("page"), page, maintenance_id)


def _one(queryset: QuerySet[M], page: Page, pk: int) -> M:
    found = queryset.filter(page=page, pk=pk).first()
    if found is None:
        raise Http404
    return found
