"""A page's notification deliveries: the failed ones and the recent ones, with their attempts.

Every member can read them, and owners and editors can queue a failed delivery again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from heliograph.console.access import can, console_view, member_page
from heliograph.domain.models import Page, Role
from heliograph.domain.queries import page_zone
from heliograph.notifications import sending
from heliograph.notifications.models import Attempt, Delivery, DeliveryStatus
from heliograph.public.timefmt import zone_abbreviation

PER_PAGE = 50
# "Recent" deliveries are those recorded within this period; failed ones are listed whatever
# their age.
RECENT = dt.timedelta(days=7)
SHOWN = [("failed", "Failed"), ("recent", "Recent")]


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    subject: str
    created: str
    attempts: list[tuple[Attempt, str]]


def deliveries_of(page: Page, shown: str, now: dt.datetime) -> QuerySet[Delivery]:
    """Return the page's failed deliveries, or all those recorded within `RECENT`."""
    deliveries = Delivery.objects.filter(page=page)
    if shown == "failed":
        deliveries = deliveries.filter(status=DeliveryStatus.FAILED)
    else:
        deliveries = deliveries.filter(created_at__gte=now - RECENT)
    return (
        deliveries.select_related("incident", "maintenance")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("started_at")))
        .order_by("-created_at", "-id")
    )


@require_GET
@console_view
def delivery_list(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug)
    shown = request.GET.get("show", "failed")
    if shown not in dict(SHOWN):
        shown = "failed"
    zone = page_zone(page)
    listing = Paginator(deliveries_of(page, shown, dt.datetime.now(dt.UTC)), PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [_row(delivery, zone) for delivery in listing.object_list]
    return render(request, "console/deliveries.html", {
        "page": page,
        "role": role,
        "section": "deliveries",
        "rows": rows,
        "listing": listing,
        "shown": shown,
        "choices": SHOWN,
        "filter_query": urlencode({"show": shown}),
        "can_retry": can(role, Role.EDITOR),
        "zone_name": zone.key,
        "failed_count": Delivery.objects.filter(page=page, status=DeliveryStatus.FAILED).count(),
    })


@require_POST
@console_view
def delivery_retry(request: HttpRequest, slug: str, delivery_id: int) -> HttpResponse:
    page, _role = member_page(request, slug, need=Role.EDITOR)
    delivery = get_object_or_404(Delivery, pk=delivery_id, page=page)
    if sending.retry(delivery):
        messages.success(request, f"Delivery to {delivery.recipient_label or delivery.recipient} "
                                  "is queued again.")
    else:
        messages.info(request, "This delivery is no longer failed, so it was not queued again.")
    # The incident and maintenance pages send their own address, to come back to it.
    back = request.POST.get("next", "")
    console_root = reverse("console:dashboard", args=[page.slug])
    if back.startswith(console_root) and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(reverse("console:deliveries", args=[page.slug]))


def _row(delivery: Delivery, zone: dt.tzinfo) -> DeliveryRow:
    if delivery.incident is not None:
        subject = delivery.incident.title
    elif delivery.maintenance is not None:
        subject = delivery.maintenance.title
    else:
        subject = ""
    return DeliveryRow(
        delivery=delivery,
        subject=subject,
        created=_local(delivery.created_at, zone),
        attempts=[(attempt, _local(attempt.started_at, zone))
                  for attempt in delivery.attempts.all()],
    )


def _local(moment: dt.datetime, zone: dt.tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {zone_abbreviation(local)}"
