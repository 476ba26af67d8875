"""The public `api.json` of a page, as Runstatus served it: no credential needed.

`{"status": {"<service>": {"state"}}, "incidents": [...], "upcoming_maintenances": [...],
"url"}` lists the open incidents and the maintenances in progress or still to come. Incidents
and maintenances carry the `url` of their public page in place of the API's links.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags

from heliograph.domain.queries import page_status
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.lib.urls import public_url
from heliograph.public.routing import PageRoute
from heliograph.public.views import live_etag, public_view
from heliograph.runstatus import wire


@public_view()
def summary(request: HttpRequest, route: PageRoute) -> HttpResponse:
    """Return the page's summary, or 304 while the client's ETag still matches.

    The ETag is the front page's live tag: it changes with the page's version and every few
    minutes, because the list of upcoming maintenances also changes with time alone.
    """
    now = timezone.now()
    etag = live_etag(route, now)
    response: HttpResponse
    tags = [tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))]
    if etag in tags or "*" in tags:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(json.dumps(summary_body(route)), content_type="application/json")
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, no_cache=True)
    return response


def summary_body(route: PageRoute) -> dict[str, object]:
    page = route.page
    status = page_status(page)
    base = public_url(page)
    open_ids = [incident.pk for incident in status.open_incidents]
    incidents = wire.incidents_with_events(page).filter(pk__in=open_ids)

    maintenance_ids = [m.pk for m in status.active_maintenances + status.upcoming_maintenances]
    maintenances = wire.maintenances_with_events(page).filter(pk__in=maintenance_ids).exclude(
        status=MaintenanceStatus.COMPLETED).order_by("starts_at", "pk")

    return {
        "status": {item.service.name: {"state": wire.wire_state(item.state)}
                   for item in status.services},
        "incidents": [
            wire.incident_body(incident, links=False) | {"url": f"{base}incidents/{incident.pk}"}
            for incident in incidents
        ],
        "upcoming_maintenances": [
            wire.maintenance_body(maintenance, links=False)
            | {"url": f"{base}maintenances/{maintenance.pk}"}
            for maintenance in maintenances
        ],
        "url": base,
    }
