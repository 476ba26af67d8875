"""Routes of the Runstatus-compatible API, mounted at HELIOGRAPH_RUNSTATUS_PREFIX.

Paths take an optional trailing slash, and links are built without one, as Runstatus gave
them. Every other path under the prefix gets a 404 response in the API's error shape.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, include, path, re_path

from heliograph.runstatus import incidents, maintenances, pages
from heliograph.runstatus.endpoint import unknown_path

# First path segments that the rest of the service uses, which the prefix must not hide.
TAKEN = frozenset({"api", "accounts", "console", "media", "static", "p", "incidents",
                   "maintenances", "history", "live", "favicon.svg", "api.json"})
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")

# Leading slashes are skipped: clients given an endpoint that ends with "/" add another one.
_PAGE = r"^[/]*pages/(?P<slug>[^/]+)"


app_name = "runstatus"
urlpatterns = [
    re_path(r"^[/]*pages/?$", pages.pages_view, name="pages"),
    re_path(rf"{_PAGE}/?$", pages.page_view, name="page"),
    re_path(rf"{_PAGE}/services/?$", pages.services_view, name="services"),
    re_path(rf"{_PAGE}/services/(?P<service_id>[^/]+)/?$", pages.service_view, name="service"),
    re_path(rf"{_PAGE}/incidents/?$", incidents.incidents_view, name="incidents"),
    re_path(rf"{_PAGE}/incidents/(?P<incident_id>[^/]+)/?$", incidents.incident_view,
            name="incident"),
    re_path(rf"{_PAGE}/incidents/(?P<incident_id>[^/]+)/events/?$",
            incidents.incident_events_view, name="incident-events"),
    re_path(rf"{_PAGE}/maintenances/?$", maintenances.maintenances_view, name="maintenances"),
    re_path(rf"{_PAGE}/maintenances/(?P<maintenance_id>[^/]+)/?$",
            maintenances.maintenance_view, name="maintenance"),
    re_path(rf"{_PAGE}/maintenances/(?P<maintenance_id>[^/]+)/events/?$",
            maintenances.maintenance_events_view, name="maintenance-events"),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]


def route_prefix(raw: str) -> str:
    """Return a configured prefix such as "/runstatus/" as a route ("runstatus/").

    Raise ImproperlyConfigured, naming HELIOGRAPH_RUNSTATUS_PREFIX, for an empty prefix, a
    character outside URL path segments, or a first segment that another part of Heliograph
    serves.
    """
    segments = [segment for segment in raw.strip().split("/") if segment]
    problem = ""
    if not segments:
        problem = "it is empty, so the API would hide the status pages"
    elif not all(_SEGMENT.fullmatch(segment) for segment in segments):
        problem = "use only letters, digits, '.', '_', '~' and '-' between the slashes"
    elif segments[0] in TAKEN:
        problem = f"/{segments[0]}/ is already used by Heliograph"
    if problem:
        raise ImproperlyConfigured(
            f"HELIOGRAPH_RUNSTATUS_PREFIX={raw!r} is not usable: {problem}. Give a path such "
            "as /runstatus/."
        )
    return "/".join(segments) + "/"


def mount() -> URLResolver:
    """Return the API's routes under the configured prefix, for the root URLconf."""
    return path(route_prefix(settings.HELIOGRAPH_RUNSTATUS_PREFIX),
                include("heliograph.runstatus.urls"))
