"""Turn pages, services, incidents and maintenances into the JSON objects of the Runstatus API.

Every object carries its absolute `url`, built on the scheme and host of HELIOGRAPH_BASE_URL,
so that the links stay right behind a reverse proxy. Times are UTC with a `Z`. Services are
named by name, and maintenance statuses are spelled with a hyphen (`in-progress`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from heliograph.domain import derive
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
)
from heliograph.domain.queries import page_status
from heliograph.domain.vocab import BannerColorRule, DisplayState, MaintenanceStatus, State
from heliograph.lib.urls import public_url

# Maintenance statuses as this API spells them, and back.
WIRE_STATUS = {
    MaintenanceStatus.SCHEDULED: "scheduled",
    MaintenanceStatus.IN_PROGRESS: "in-progress",
    MaintenanceStatus.COMPLETED: "completed",
}
# How many incidents and maintenances a page's detail embeds besides the open ones; the whole
# lists are at its `incidents_url` and `maintenances_url`.
EMBEDDED_RECENT = 20


def wire_time(moment: dt.datetime | None) -> str | None:
    """Return `moment` as ISO 8601 in UTC with a `Z`, with microseconds only when not zero."""
    if moment is None:
        return None
    utc = moment.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def wire_state(state: DisplayState | str) -> str:
    """Return a display state as one of the four states of Runstatus.

    Runstatus had no maintenance state, and `runstatus-cli` 0.3 fails on any state it does
    not know, so a service under maintenance is reported as operational.
    """
    if state == DisplayState.UNDER_MAINTENANCE:
        return State.OPERATIONAL.value
    return str(state)


def absolute(path: str) -> str:
    base = urlsplit(settings.HELIOGRAPH_BASE_URL)
    return f"{base.scheme}://{base.netloc}{path}"


def link(name: str, *args: object) -> str:
    """Return the absolute URL of the API's view `name`, such as `link("incident", "acme", 5)`."""
    return absolute(reverse(f"runstatus:{name}", args=[str(arg) for arg in args]))


def endpoint_url() -> str:
    """Return the URL that clients are configured with: the API's root, without a slash."""
    return link("pages").removesuffix("/pages")


def rgba(colour: str) -> str:
    """Return a `#rrggbb` colour as the `"R,G,B,A"` text of this API."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return f"{red},{green},{blue},1"


# --- Pages ---------------------------------------------------------------------------------


def page_states(pages: Sequence[Page]) -> dict[int, str]:
    """Return the overall state of each page, as its banner shows it, in one query."""
    by_page: dict[int, list[derive.OpenIncident]] = {page.pk: [] for page in pages}
    open_incidents = Incident.objects.filter(page__in=list(by_page), closed_at__isnull=True)
    for incident in open_incidents.only("pk", "page_id", "title", "state", "opened_at"):
        by_page[incident.page_id].append(derive.OpenIncident(
            incident_id=incident.pk, title=incident.title, state=State(incident.state),
            opened_at=incident.opened_at,
        ))
    states = {}
    for page in pages:
        banner = derive.banner(by_page[page.pk], BannerColorRule(page.banner_color_rule),
                               page.default_status_message)
        states[page.pk] = wire_state(banner.state)
    return states


def page_body(page: Page, state: str) -> dict[str, Any]:
    slug = page.slug
    return {
        "id": page.pk,
        "url": link("page", slug),
        "created": wire_time(page.created_at),
        "subdomain": slug,
        "title": page.title,
        "ok_text": page.default_status_message,
        "time_zone": page.time_zone,
        "domain": page.custom_domain or None,
        "dark_theme": page.theme == "dark",
        "support_email": page.support_email,
        "twitter_username": page.twitter_username,
        "logo": _logo_url(page),
        "header_background": rgba(page.header_background),
        # The header has one background colour, so both ends of the gradient are that colour.
        "gradient_start": rgba(page.header_background),
        "gradient_end": rgba(page.header_background),
        "title_color": rgba(page.header_text_color),
        "state": state,
        "public_url": public_url(page),
        "services_url": link("services", slug),
        "incidents_url": link("incidents", slug),
        "maintenances_url": link("maintenances", slug),
    }


def page_detail(page: Page) -> dict[str, Any]:
    """Return a page with its services, its open and latest incidents, and its maintenances."""
    status = page_status(page)
    body = page_body(page, wire_state(status.banner.state))
    body["services"] = [service_body(item.service, item.state, page.slug)
                        for item in status.services]

    recent = list(incidents_with_events(page)[:EMBEDDED_RECENT])
    listed_ids = {incident.pk for incident in recent}
    still_open = [incident for incident in incidents_with_events(page).filter(
        closed_at__isnull=True) if incident.pk not in listed_ids]
    body["incidents"] = [incident_body(incident)
                         for incident in sorted([*recent, *still_open], key=_newest_first)]

    recent_work = list(maintenances_with_events(page)[:EMBEDDED_RECENT])
    listed_ids = {maintenance.pk for maintenance in recent_work}
    not_done = [maintenance for maintenance in maintenances_with_events(page).exclude(
        status=MaintenanceStatus.COMPLETED) if maintenance.pk not in listed_ids]
    body["maintenances"] = [maintenance_body(maintenance) for maintenance in
                            sorted([*recent_work, *not_done], key=_latest_start_first)]
    return body


def _logo_url(page: Page) -> str | None:
    if not page.logo:
        return None
    return absolute(reverse("logo", args=[page.logo.name.rsplit("/", 1)[-1]]))


def _newest_first(incident: Incident) -> tuple[float, int]:
    return (-incident.opened_at.timestamp(), -incident.pk)


def _latest_start_first(maintenance: Maintenance) -> tuple[float, int]:
    return (-maintenance.starts_at.timestamp(), -maintenance.pk)


# --- Services ------------------------------------------------------------------------------


def service_states(page: Page) -> dict[int, str]:
    """Return the current state of each of the page's services."""
    return {item.service.pk: wire_state(item.state) for item in page_status(page).services}


def service_body(service: Service, state: DisplayState | str, slug: str) -> dict[str, Any]:
    """Serialise a service of the page `slug`; without an `id`, as clients take the last path
    segment of `url`."""
    return {
        "url": link("service", slug, service.pk),
        "name": service.name,
        "state": wire_state(state),
    }


# --- Incidents -----------------------------------------------------------------------------


def incidents_with_events(page: Page) -> QuerySet[Incident]:
    """Return the page's incidents newest first, with their services and events loaded."""
    return (
        Incident.objects.filter(page=page)
        .select_related("page", "latest_event")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("position", "id")),
            Prefetch("events", queryset=IncidentEvent.objects.order_by("-at", "-id")),
        )
        .order_by("-opened_at", "-id")
    )


def incident_body(incident: Incident, *, links: bool = True) -> dict[str, Any]:
    """Serialise an incident loaded by `incidents_with_events`; its events come newest first.

    Without `links`, the body leaves out the API's own `url` and `events_url`, for the public
    summary whose readers hold no credential.
    """
    slug = incident.page.slug
    events = list(incident.events.all())
    latest = incident.latest_event
    body: dict[str, Any] = {
        "id": incident.pk,
        "url": link("incident", slug, incident.pk),
        "title": incident.title,
        "services": [service.name for service in incident.services.all()],
        "state": incident.state,
        "status": incident.status,
        "status_text": latest.text if latest is not None else "",
        "start_date": wire_time(incident.opened_at),
        "end_date": wire_time(incident.closed_at),
        "events": [incident_event_body(event) for event in events],
        "events_url": link("incident-events", slug, incident.pk),
        "post_mortem": incident.post_mortem or None,
        # NOTE: neither client reads `real_time`, and its Runstatus meaning is not documented
        # in them; an incident recorded afterwards (backfill) is taken as not real time.
        "real_time": not incident.backfilled,
    }
    if not links:
        del body["url"], body["events_url"]
    return body


def incident_event_body(event: IncidentEvent) -> dict[str, Any]:
    return {
        "created": wire_time(event.at),
        "text": event.text,
        "status": event.status,
        "state": event.state,
    }


# --- Maintenances --------------------------------------------------------------------------


def maintenances_with_events(page: Page) -> QuerySet[Maintenance]:
    """Return the page's maintenances, latest start first, with services and events loaded."""
    return (
        Maintenance.objects.filter(page=page)
        .select_related("page")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("position", "id")),
            Prefetch("events", queryset=MaintenanceEvent.objects.order_by("-at", "-id")),
        )
        .order_by("-starts_at", "-id")
    )


def maintenance_body(maintenance: Maintenance, *, links: bool = True) -> dict[str, Any]:
    """Serialise a maintenance loaded by `maintenances_with_events`; events newest first."""
    slug = maintenance.page.slug
    body: dict[str, Any] = {
        "id": maintenance.pk,
        "url": link("maintenance", slug, maintenance.pk),
        "created": wire_time(maintenance.created_at),
        "title": maintenance.title,
        "description": maintenance.description,
        "start_date": wire_time(maintenance.starts_at),
        "end_date": wire_time(maintenance.ends_at),
        "services": [service.name for service in maintenance.services.all()],
        "status": WIRE_STATUS[MaintenanceStatus(maintenance.status)],
        "events": [maintenance_event_body(event) for event in maintenance.events.all()],
        "events_url": link("maintenance-events", slug, maintenance.pk),
        "real_time": True,
    }
    if not links:
        del body["url"], body["events_url"]
    return body


def maintenance_event_body(event: MaintenanceEvent) -> dict[str, Any]:
    return {
        "created": wire_time(event.at),
        "text": event.text,
        "status": WIRE_STATUS[MaintenanceStatus(event.status)],
    }
