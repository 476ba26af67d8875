"""Pages: list, create, read, change and delete."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import AuthorizationError

from heliograph.api import access, present
from heliograph.api.pagination import DEFAULT_LIMIT, paginate
from heliograph.api.routes.common import ERRORS, Cursor, Limit
from heliograph.api.schemas import AuditList, PageCreate, PageList, PageOut, PageUpdate
from heliograph.domain import pages as domain_pages
from heliograph.domain.models import AuditEntry, Membership, Page, Role

router = Router(tags=["pages"])


def _role(request: HttpRequest, page: Page) -> str:
    membership = Membership.objects.filter(page=page, user=access.token_of(request).user).first()
    return membership.role if membership else ""


@router.get("", response={200: PageList, **ERRORS}, summary="List the token's pages")
def list_pages(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    token = access.token_of(request)
    roles = dict(
        Membership.objects.filter(user=token.user, page__api_tokens=token)
        .values_list("page_id", "role")
    )
    rows, next_cursor = paginate(Page.objects.filter(pk__in=roles), ["slug"], cursor, limit)
    return {"items": [present.page_body(page, roles[page.pk]) for page in rows],
            "next_cursor": next_cursor}


@router.post("", response={201: PageOut, **ERRORS}, summary="Create a page")
def create_page(request: HttpRequest, payload: PageCreate) -> Any:
    """Create a page owned by the token's user and add it to the token's scope."""
    token = access.token_of(request)
    if not token.can_write:
        raise AuthorizationError(message="This token is read-only: create a token with write "
                                 "access to create pages.")
    values = payload.model_dump(exclude_none=True)
    slug, title = values.pop("slug"), values.pop("title")
    page = domain_pages.create_page(slug, title=title, owner=token.user,
                                    actor=access.actor_of(request), **values)
    token.pages.add(page)
    return Status(201, present.page_body(page, Role.OWNER))


@router.get("/{slug}", response={200: PageOut, **ERRORS}, summary="Read a page's settings")
def get_page(request: HttpRequest, slug: str) -> Any:
    page = access.get_page(request, slug)
    return present.page_body(page, _role(request, page))


@router.patch("/{slug}", response={200: PageOut, **ERRORS}, summary="Change a page's settings")
def update_page(request: HttpRequest, slug: str, payload: PageUpdate) -> Any:
    page = access.get_page(request, slug, need=Role.OWNER)
    changes = payload.model_dump(exclude_unset=True)
    domain_pages.update_page(page, changes, actor=access.actor_of(request))
    return present.page_body(page, _role(request, page))


@router.delete("/{slug}", response={204: None, **ERRORS}, summary="Delete a page")
def delete_page(request: HttpRequest, slug: str) -> Any:
    """Delete the page and everything on it: services, incidents, maintenances, audit log."""
    page = access.get_page(request, slug, need=Role.OWNER)
    domain_pages.delete_page(page)
    return HttpResponse(status=204)


ActionPrefix = Annotated[
    str | None,
    Query(None, max_length=64, pattern=r"^[a-z_.]*$",
          description="Only actions that start with this, such as `incident.`."),
]


@router.get("/{slug}/audit", response={200: AuditList, **ERRORS}, summary="Read the audit log")
def audit_log(request: HttpRequest, slug: str, cursor: Cursor = None,
              limit: Limit = DEFAULT_LIMIT, action: ActionPrefix = None) -> Any:
    """List who changed what, newest first; `action` filters by prefix (e.g. `incident.`)."""
    page = access.get_page(request, slug, need=Role.OWNER, write=False)
    entries = AuditEntry.objects.filter(page=page)
    if action:
        entries = entries.filter(action__startswith=action)
    rows, next_cursor = paginate(entries, ["-at", "-id"], cursor, limit)
    return {"items": [present.audit_body(entry) for entry in rows], "next_cursor": next_cursor}
