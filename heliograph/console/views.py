"""Console views: the list of the user's pages and each page's dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from heliograph.console.access import can, console_view, member_page
from heliograph.domain.models import Membership, Role
from heliograph.domain.queries import page_status
from heliograph.lib.urls import public_url


@console_view
def home(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user).select_related("page")
        .order_by("page__title", "page__slug")
    )
    return render(request, "console/home.html", {"memberships": memberships})


@console_view
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    status = page_status(page)
    return render(request, "console/dashboard.html", {
        "page": page,
        "role": role,
        "status": status,
        "public_url": public_url(page),
        "can_edit": can(role, Role.EDITOR),
        "section": "dashboard",
    })
