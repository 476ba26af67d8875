"""The deliveries shown on an incident's or a maintenance's console page.

Each update lists its X and Mastodon posts, with the post's id and link once sent. A panel
lists the failed deliveries of every channel with their last error. For editors each has a
retry button that returns to the same page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from heliograph.domain.models import Incident, IncidentEvent, Maintenance
from heliograph.notifications.models import Delivery, DeliveryStatus
from heliograph.social.models import Network

POSTED_CHANNELS = (Network.X.value, Network.MASTODON.value)


def _deliveries(incident: Incident | None, maintenance: Maintenance | None) -> QuerySet[Delivery]:
    if incident is not None:
        return Delivery.objects.filter(incident=incident)
    return Delivery.objects.filter(maintenance=maintenance)


def delivery_context(request: HttpRequest, *, incident: Incident | None = None,
                     maintenance: Maintenance | None = None,
                     events: list[IncidentEvent] | None = None) -> dict[str, Any]:
    """Return the failed deliveries and the social posts of an incident or a maintenance.

    Each of `events` gets a `posts` attribute: its X and Mastodon deliveries, oldest first.
    """
    deliveries = _deliveries(incident, maintenance)
    posts = list(
        deliveries.filter(channel__in=POSTED_CHANNELS)
        .select_related("social_post").order_by("created_at", "id")
    )
    by_event: dict[int, list[Delivery]] = {}
    for delivery in posts:
        if delivery.incident_event_id is not None:
            by_event.setdefault(delivery.incident_event_id, []).append(delivery)
    for event in events or []:
        event.posts = by_event.get(event.pk, [])  # type: ignore[attr-defined]
    failed = list(deliveries.filter(status=DeliveryStatus.FAILED).order_by("-created_at", "-id"))
    return {
        "failed_deliveries": failed,
        # The posts that belong to no incident event: a maintenance's announcement and reminder.
        "maintenance_posts": posts if maintenance is not None else [],
        "retry_next": request.get_full_path(),
    }
