"""The notification deliveries of an incident, with their attempts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Schema

from heliograph.api import access
from heliograph.api.pagination import DEFAULT_LIMIT, paginate
from heliograph.api.routes.common import ERRORS, Cursor, Limit, PathId
from heliograph.notifications.models import Attempt, Delivery

router = Router(tags=["notifications"])


class AttemptOut(Schema):
    started_at: dt.datetime
    outcome: str
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    channel: str
    recipient: str
    kind: str
    event_id: int | None
    status: str
    attempt_count: int
    last_error: str
    created_at: dt.datetime
    due_at: dt.datetime
    give_up_at: dt.datetime
    sent_at: dt.datetime | None
    failed_at: dt.datetime | None
    attempts: list[AttemptOut]


class DeliveryList(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


@router.get("/{slug}/incidents/{incident_id}/deliveries",
            response={200: DeliveryList, **ERRORS},
            summary="List an incident's notification deliveries, newest first")
def list_deliveries(request: HttpRequest, slug: str, incident_id: PathId,
                    cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    """List one delivery per channel and recipient of each event, with every attempt."""
    page = access.get_page(request, slug)
    incident = access.get_incident(page, incident_id)
    deliveries = Delivery.objects.filter(incident=incident).prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("started_at", "id"))
    )
    rows, next_cursor = paginate(deliveries, ["-created_at", "-id"], cursor, limit)
    return {"items": [_body(delivery) for delivery in rows], "next_cursor": next_cursor}


def _body(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "channel": delivery.channel,
        "recipient": delivery.recipient_label or delivery.recipient,
        "kind": delivery.kind,
        "event_id": delivery.incident_event_id,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "due_at": delivery.due_at,
        "give_up_at": delivery.give_up_at,
        "sent_at": delivery.sent_at,
        "failed_at": delivery.failed_at,
        "attempts": [
            {"started_at": attempt.started_at, "outcome": attempt.outcome,
             "error": attempt.error, "duration_ms": attempt.duration_ms}
            for attempt in delivery.attempts.all()
        ],
    }
