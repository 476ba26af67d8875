"""Console views: the user's pages, creating a page, and each page's dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from heliograph.console import once
from heliograph.console.access import actor_of, can, console_view, member_page
from heliograph.console.page_forms import TIME_ZONE_LIST_ID, NewPageForm, sorted_time_zones
from heliograph.console.signed_in import user_of
from heliograph.domain import pages as domain_pages
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Membership, Role
from heliograph.domain.queries import UPCOMING_HORIZON, PageStatus, page_status, page_zone
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.lib.urls import public_url


@require_GET
@console_view
def home(request: HttpRequest) -> HttpResponse:
    return _render_home(request, NewPageForm())


def _render_home(request: HttpRequest, form: NewPageForm, *, template: str = "console/home.html",
                 status: int = 200) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=user_of(request)).select_related("page")
        .annotate(
            open_incidents=Count("page__incidents", filter=Q(page__incidents__closed_at=None),
                                 distinct=True),
            active_maintenances=Count(
                "page__maintenances",
                filter=Q(page__maintenances__status=MaintenanceStatus.IN_PROGRESS),
                distinct=True,
            ),
        )
        .order_by("page__title", "page__slug")
    )
    return render(request, template, {
        "memberships": memberships,
        "form": form,
        "form_token": once.token_for(request),
        "form_token_field": once.FIELD,
        "time_zones": sorted_time_zones(),
        "time_zone_list_id": TIME_ZONE_LIST_ID,
    }, status=status)


@require_http_methods(["GET", "POST"])
@console_view
def new_page(request: HttpRequest) -> HttpResponse:
    """Create a page whose only member, as owner, is the signed-in user."""
    template = "console/new_page.html"
    if request.method != "POST":
        return _render_home(request, NewPageForm(), template=template)
    form = NewPageForm(request.POST)
    if not form.is_valid():
        return _render_home(request, form, template=template, status=422)

    def create() -> str:
        page = domain_pages.create_page(
            form.cleaned_data["slug"], title=form.cleaned_data["title"], owner=user_of(request),
            actor=actor_of(request), time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, f"Created the page {page.title}. Next, add the services "
                                  "it reports on.")
        return reverse("console:dashboard", args=[page.slug])

    try:
        return once.run_once(request, create)
    except DomainError as error:
        form.show_error(error)
    except once.MissingToken as error:
        form.add_error(None, str(error))
    return _render_home(request, form, template=template, status=422)


@require_GET
@console_view
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    status = page_status(page)
    return render(request, "console/dashboard.html", {
        "page": page,
        "role": role,
        "status": status,
        "service_groups": _grouped(status),
        "zone": page_zone(page),
        "public_url": public_url(page),
        "can_edit": can(role, Role.EDITOR),
        "horizon_days": UPCOMING_HORIZON.days,
        "section": "dashboard",
    })


def _grouped(status: PageStatus) -> list[dict[str, Any]]:
    """Return the service states in display order: ungrouped first, then each group's."""
    ungrouped: dict[str, Any] = {"group": None, "items": []}
    grouped = {group.pk: {"group": group, "items": []} for group in status.groups}
    for item in status.services:
        target = grouped.get(item.service.group_id or 0, ungrouped)
        target["items"].append(item)
    return [entry for entry in [ungrouped, *grouped.values()] if entry["items"]]
