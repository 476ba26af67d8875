"""Helpers of the API tests: the routes of the OpenAPI document, error checks, page records."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.api.urls import api as ninja_api
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.pages import PAGE_FIELDS
from heliograph.domain.vocab import State, Status
from heliograph.notifications import subscribers

# A Tuesday in November, away from any DST change in the zones the tests use.
NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    """One operation of the OpenAPI document."""

    method: str
    template: str  # e.g. /pages/{slug}/incidents/{incident_id}, without the /api/v1 prefix
    operation: dict[str, Any]

    @property
    def writes(self) -> bool:
        return self.method != "get"

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.operation

    @property
    def success(self) -> int:
        return min(int(status) for status in self.operation["responses"] if int(status) < 300)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"

    def url(self, **values: Any) -> str:
        return re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), self.template)


@functools.cache
def openapi() -> dict[str, Any]:
    """Return the OpenAPI document, built once per test run; callers must not change it."""
    return ninja_api.get_openapi_schema()


def all_routes() -> list[Route]:
    """Return every operation the OpenAPI document lists, in its order."""
    routes = []
    for path, operations in openapi()["paths"].items():
        for method, operation in operations.items():
            routes.append(Route(method, path.removeprefix(PREFIX), operation))
    return routes


def request_schema(route: Route) -> dict[str, Any]:
    """Return the JSON schema of a route's request body, with its $ref resolved."""
    document = openapi()
    schema = route.operation["requestBody"]["content"]["application/json"]["schema"]
    # An optional body is documented as anyOf the body and null.
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    return resolve(document, variants[0])


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def call(client: Any, route: Route, url: str, body: Any = None) -> Any:
    """Send one request of `route` to `url` (relative to /api/v1)."""
    if route.method == "get":
        return client.get(url)
    if route.method == "delete":
        return client.delete(url)
    return getattr(client, route.method)(url, body)


# The `field` of assert_error when any field, or none, is acceptable.
ANY_FIELD: Any = object()


def assert_error(response: Any, status: int, code: str | None = None,
                 field: str | None = ANY_FIELD) -> dict[str, Any]:
    """Check that `response` is an error of the API's shape with this status, code and field."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"code", "message", "field"} <= set(body), body
    assert isinstance(body["message"], str)
    assert body["message"].strip()
    if code is not None:
        assert body["code"] == code, body
    if field is not ANY_FIELD:
        assert body["field"] == field, body
    return body


def page_record(page: Page) -> dict[str, Any]:
    """Return everything stored on a page, to show that a rejected request changed nothing."""
    return {
        "settings": list(Page.objects.filter(pk=page.pk).values(*PAGE_FIELDS, "version")),
        "services": list(
            Service.objects.filter(page=page).order_by("pk")
            .values_list("pk", "name", "description", "group", "position", "start_date")
        ),
        "groups": list(ServiceGroup.objects.filter(page=page).values_list("pk", "name")),
        "incidents": list(
            Incident.objects.filter(page=page).order_by("pk")
            .values_list("pk", "title", "state", "status", "opened_at", "closed_at",
                         "latest_event", "post_mortem")
        ),
        "incident_services": sorted(
            Incident.services.through.objects.filter(incident__page=page)
            .values_list("incident_id", "service_id")
        ),
        "incident_events": list(
            IncidentEvent.objects.filter(incident__page=page).order_by("pk")
            .values_list("pk", "at", "state", "status", "text", "services_override")
        ),
        "maintenances": list(
            Maintenance.objects.filter(page=page).order_by("pk")
            .values_list("pk", "title", "description", "status", "starts_at", "ends_at",
                         "auto_transition")
        ),
        "maintenance_events": list(
            MaintenanceEvent.objects.filter(maintenance__page=page).order_by("pk")
            .values_list("pk", "at", "status", "text")
        ),
        "audit": AuditEntry.objects.filter(page=page).count(),
    }


def audit_actions(page: Page) -> list[str]:
    """Return the page's audit actions, oldest first."""
    return list(AuditEntry.objects.filter(page=page).order_by("at", "id")
                .values_list("action", flat=True))


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    """Return a wall-clock time of the named zone as ISO 8601 with its offset."""
    moment = dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))
    return moment.isoformat()


# A valid body for each route that takes one, so that only access decides the response.
BODIES: dict[str, dict[str, Any]] = {
    "POST /pages": {"slug": "fresh", "title": "Fresh"},
    "PATCH /pages/{slug}": {"title": "Renamed"},
    "POST /pages/{slug}/services": {"name": "Search"},
    "POST /pages/{slug}/subscribers": {"kind": "email", "address": "new@example.com"},
    "PATCH /pages/{slug}/services/{service_id}": {"description": "Full-text search."},
    "POST /pages/{slug}/incidents": {
        "title": "Slow search", "text": "Looking into it.", "state": "degraded_performance",
        "status": "investigating",
    },
    "POST /pages/{slug}/incidents/backfill": {
        "title": "Night outage", "services": [],
        "events": [
            {"at": "2026-10-01T01:00:00Z", "state": "major_outage", "status": "investigating",
             "text": "Down."},
            {"at": "2026-10-01T02:00:00Z", "status": "resolved", "text": "Up."},
        ],
    },
    "PATCH /pages/{slug}/incidents/{incident_id}": {"title": "Errors on checkout"},
    "POST /pages/{slug}/incidents/{incident_id}/events": {
        "text": "Fix deployed.", "state": "degraded_performance", "status": "monitoring",
    },
    "PATCH /pages/{slug}/incidents/{incident_id}/events/{event_id}": {"text": "Corrected."},
    "POST /pages/{slug}/incidents/{incident_id}/close": {"text": "All good."},
    "POST /pages/{slug}/maintenances": {
        "title": "Upgrade", "starts_at": "2026-12-01T02:00:00Z", "ends_at": "2026-12-01T03:00:00Z",
    },
    "PATCH /pages/{slug}/maintenances/{maintenance_id}": {"description": "Longer window."},
    "POST /pages/{slug}/maintenances/{maintenance_id}/events": {"text": "Started."},
    "POST /pages/{slug}/maintenances/{maintenance_id}/close": {"text": "Done."},
}


def key(route: Route) -> str:
    return str(route)


def body_for(route: Route) -> dict[str, Any] | None:
    return BODIES.get(key(route)) if route.has_body else None


@dataclass
class Objects:
    """The ids of one page's service, open incident, its first event and maintenance."""

    slug: str
    service_id: int
    incident_id: int
    event_id: int
    maintenance_id: int
    subscriber_id: int

    def url(self, route: Route, *, slug: str | None = None) -> str:
        return route.url(slug=slug or self.slug, service_id=self.service_id,
                         incident_id=self.incident_id, event_id=self.event_id,
                         maintenance_id=self.maintenance_id, subscriber_id=self.subscriber_id)


def fill(page: Page, user: User) -> Objects:
    actor = Actor.of_user(user)
    service = pages.add_service(page, name="API", actor=actor)
    incident = incidents.open_incident(
        page, title="Errors", text="Looking.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, services=[service], actor=actor,
    )
    start = timezone.now() + dt.timedelta(days=2)
    maintenance = maintenances.schedule_maintenance(
        page, title="Database upgrade", description="", starts_at=start,
        ends_at=start + dt.timedelta(hours=1), services=[service], actor=actor,
    )
    subscriber = subscribers.add_subscriber(page, email=f"reader@{page.slug}.example",
                                            services=None, actor=actor)
    assert incident.latest_event is not None
    return Objects(page.slug, service.pk, incident.pk, incident.latest_event.pk, maintenance.pk,
                   subscriber.pk)
