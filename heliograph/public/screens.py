"""Load what each public screen shows, with a fixed number of queries whatever the history.

Every function takes the page that the request was routed to and returns only that page's
objects. An id of another page's incident or maintenance raises Http404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from heliograph.domain import derive
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.queries import (
    ServiceFigures,
    local_today,
    outage_figures,
    outage_figures_and_page,
    page_status,
    page_zone,
)
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, State, worst
from heliograph.lib import markdown
from heliograph.public.strips import (
    STRIP_DAYS,
    minutes_text,
    percent_text,
    strip_html,
    uptime_text,
)
from heliograph.public.timefmt import format_date, format_month

HISTORY_PAGE_SIZE = 20
MAINTENANCE_PAGE_SIZE = 20
EXCERPT_LENGTH = 200
# Longer latest updates of open incidents are cut on the front page, which keeps one short
# entry per incident.
LATEST_TEXT_LENGTH = 280
UPTIME_WINDOWS = (30, 90, 365)


class PageNumberError(Http404):
    """A `?page=` value that is not a page of the list; shown on the 404 page."""


def parse_page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise PageNumberError(
            gettext("“%(value)s” is not a page number: use ?page=1 or a higher whole number.")
            % {"value": raw[:40]}
        )
    return int(raw)


def paginate(queryset: QuerySet[Any], size: int, number: int) -> Any:
    """Return the Django page `number` of `queryset`, or raise PageNumberError past the end."""
    paginator = Paginator(queryset, size, allow_empty_first_page=True)
    if number > paginator.num_pages:
        raise PageNumberError(
            gettext("There is no page %(number)d: this list has %(count)d.")
            % {"number": number, "count": paginator.num_pages}
        )
    return paginator.page(number)


def worst_display_state(states: Iterable[DisplayState]) -> DisplayState:
    """Return the worst of several display states; maintenance outranks operational only."""
    listed = list(states)
    incident_states = [
        State(state.value) for state in listed if state is not DisplayState.UNDER_MAINTENANCE
    ]
    current = worst(incident_states)
    if current is State.OPERATIONAL and DisplayState.UNDER_MAINTENANCE in listed:
        return DisplayState.UNDER_MAINTENANCE
    return DisplayState(current.value)


# --- Front page ----------------------------------------------------------------------------


@dataclass
class ServiceRow:
    service: Service
    state: DisplayState
    strip: SafeString
    uptime: str


@dataclass
class ServiceBlock:
    """Consecutive services of one group, or ungrouped services (`group` None)."""

    group: ServiceGroup | None
    rows: list[ServiceRow] = field(default_factory=list)

    @property
    def state(self) -> DisplayState:
        return worst_display_state(row.state for row in self.rows)


def group_rows(rows: Sequence[ServiceRow], groups: Sequence[ServiceGroup]) -> list[ServiceBlock]:
    """Arrange services in their order, each group shown whole where its first service is."""
    by_group: dict[int, ServiceBlock] = {}
    blocks: list[ServiceBlock] = []
    known = {group.pk: group for group in groups}
    for row in rows:
        group = known.get(row.service.group_id) if row.service.group_id else None
        if group is None:
            if not blocks or blocks[-1].group is not None:
                blocks.append(ServiceBlock(group=None))
            blocks[-1].rows.append(row)
            continue
        block = by_group.get(group.pk)
        if block is None:
            block = by_group[group.pk] = ServiceBlock(group=group)
            blocks.append(block)
        block.rows.append(row)
    return blocks


def strip_window(page: Page, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = local_today(page, now)
    return today - dt.timedelta(days=STRIP_DAYS - 1), today


def service_rows(
    figures: Sequence[ServiceFigures], states: dict[int, DisplayState], days: int
) -> list[ServiceRow]:
    labels: dict[dt.date, str] = {}
    rows = []
    for service_figures in figures:
        service = service_figures.service
        recent = service_figures.days[-days:]
        rows.append(ServiceRow(
            service=service,
            state=states.get(service.pk, DisplayState.OPERATIONAL),
            strip=strip_html(recent, service.name, labels),
            uptime=uptime_text(derive.window_uptime(recent)),
        ))
    return rows


@dataclass
class OpenIncidentView:
    incident: Incident
    latest_html: str
    # Whether `latest_html` is only the start of a long update, which the incident page shows.
    shortened: bool = False


def open_incident_view(incident: Incident) -> OpenIncidentView:
    """Show a short latest update whole and a long one as a plain-text excerpt."""
    assert incident.latest_event is not None
    text = incident.latest_event.text
    if len(text) <= LATEST_TEXT_LENGTH:
        return OpenIncidentView(incident, markdown.render(text))
    excerpt = markdown.excerpt(text, LATEST_TEXT_LENGTH)
    return OpenIncidentView(incident, format_html("<p>{}</p>", excerpt), shortened=True)


@dataclass
class MaintenanceItem:
    maintenance: Maintenance
    excerpt: str


def front_screen(page: Page, now: dt.datetime) -> dict[str, Any]:
    """Return the banner, open incidents, services with strips and maintenances."""
    status = page_status(page, now)
    start, end = strip_window(page, now)
    services = [item.service for item in status.services]
    figures = outage_figures(page, start, end, now=now, services=services)
    states = {item.service.pk: item.state for item in status.services}
    rows = service_rows(figures, states, STRIP_DAYS)
    return {
        "status": status,
        "banner_links": list(zip(status.banner.incident_ids, status.banner.titles, strict=True)),
        "blocks": group_rows(rows, status.groups),
        "service_count": len(rows),
        "open_incidents": [
            open_incident_view(incident)
            for incident in status.open_incidents if incident.latest_event is not None
        ],
        "maintenances": [
            MaintenanceItem(maintenance, markdown.excerpt(maintenance.description, EXCERPT_LENGTH))
            for maintenance in [*status.active_maintenances, *status.upcoming_maintenances]
        ],
        "strip_days": STRIP_DAYS,
        "strip_start": format_date(start),
    }


# --- Incident and maintenance pages --------------------------------------------------------


def incident_or_404(page: Page, incident_id: int) -> Incident:
    """Return the page's incident with its services and events, newest event first."""
    events = IncidentEvent.objects.order_by("-at", "-id").prefetch_related("services")
    incident = (
        Incident.objects.filter(page=page, pk=incident_id)
        .prefetch_related("services", Prefetch("events", queryset=events))
        .first()
    )
    if incident is None:
        raise Http404(gettext("This page has no incident %(id)d.") % {"id": incident_id})
    return incident


def maintenance_or_404(page: Page, maintenance_id: int) -> Maintenance:
    """Return the page's maintenance with its services and events, newest event first."""
    events = MaintenanceEvent.objects.order_by("-at", "-id")
    maintenance = (
        Maintenance.objects.filter(page=page, pk=maintenance_id)
        .prefetch_related("services", Prefetch("events", queryset=events))
        .first()
    )
    if maintenance is None:
        raise Http404(gettext("This page has no maintenance %(id)d.") % {"id": maintenance_id})
    return maintenance


@dataclass
class EventView:
    event: IncidentEvent
    html: str
    # The services this event names when they differ from the incident's (a partial fix).
    own_services: list[Service] | None


def incident_screen(page: Page, incident_id: int) -> dict[str, Any]:
    incident = incident_or_404(page, incident_id)
    events = [
        EventView(
            event=event,
            html=markdown.render(event.text),
            own_services=list(event.services.all()) if event.services_override else None,
        )
        for event in incident.events.all()
    ]
    worst_state = worst([State(view.event.state) for view in events])
    return {
        "incident": incident,
        "events": events,
        "services": list(incident.services.all()),
        "worst_state": worst_state,
        "post_mortem_html": markdown.render(incident.post_mortem) if incident.post_mortem else "",
    }


def maintenance_screen(page: Page, maintenance_id: int) -> dict[str, Any]:
    maintenance = maintenance_or_404(page, maintenance_id)
    return {
        "maintenance": maintenance,
        "description_html": markdown.render(maintenance.description),
        "events": [
            {"event": event, "html": markdown.render(event.text)}
            for event in maintenance.events.all()
        ],
        "services": list(maintenance.services.all()),
    }


# --- History -------------------------------------------------------------------------------


@dataclass
class PastIncident:
    incident: Incident
    worst_state: State
    duration: dt.timedelta


@dataclass
class MonthGroup:
    title: str
    items: list[Any]


def group_by_month(
    items: Sequence[Any], moment_of: Any, zone: Any
) -> list[MonthGroup]:
    """Split items, already newest first, into runs of the same local month."""
    groups: list[MonthGroup] = []
    current: tuple[int, int] | None = None
    for item in items:
        local = moment_of(item).astimezone(zone)
        key = (local.year, local.month)
        if key != current:
            groups.append(MonthGroup(title=format_month(local.date()), items=[]))
            current = key
        groups[-1].items.append(item)
    return groups


def past_incidents(page: Page, number: int) -> tuple[Any, list[MonthGroup]]:
    """Return one page of closed incidents, newest first, grouped by local month."""
    states = IncidentEvent.objects.only("id", "incident_id", "state", "at")
    queryset = (
        Incident.objects.filter(page=page, closed_at__isnull=False)
        .order_by("-opened_at", "-id")
        .prefetch_related("services", Prefetch("events", queryset=states))
    )
    listing = paginate(queryset, HISTORY_PAGE_SIZE, number)
    items = [
        PastIncident(
            incident=incident,
            worst_state=worst([State(event.state) for event in incident.events.all()]),
            duration=(incident.closed_at or incident.opened_at) - incident.opened_at,
        )
        for incident in listing.object_list
    ]
    return listing, group_by_month(items, lambda item: item.incident.opened_at, page_zone(page))


@dataclass
class UptimeRow:
    name: str
    figures: list[str]


@dataclass
class FigureRow:
    date: str
    service: str
    degraded: str
    partial: str
    major: str


def uptime_rows(
    figures: Sequence[ServiceFigures], page_days: list[derive.DayFigures]
) -> list[UptimeRow]:
    """Return the uptime over each window, per service and for the whole page first."""
    rows = [UptimeRow(
        name=gettext("All services"),
        figures=[percent_text(derive.window_uptime(page_days[-days:])) for days in UPTIME_WINDOWS],
    )]
    for service_figures in figures:
        rows.append(UptimeRow(
            name=service_figures.service.name,
            figures=[
                percent_text(derive.window_uptime(service_figures.days[-days:]))
                for days in UPTIME_WINDOWS
            ],
        ))
    return rows


def figure_rows(figures: Sequence[ServiceFigures], days: int) -> list[FigureRow]:
    """Return the days with any minutes degraded or down, newest first, per service."""

    def cell(minutes: float) -> str:
        return minutes_text(minutes) if minutes > 0 else "\N{EN DASH}"

    rows = []
    for offset in range(days):
        for service_figures in figures:
            day = service_figures.days[-1 - offset]
            if day.no_data or (day.down == 0 and day.degraded_performance == 0):
                continue
            rows.append(FigureRow(
                date=format_date(day.date),
                service=service_figures.service.name,
                degraded=cell(day.degraded_performance),
                partial=cell(day.partial_outage),
                major=cell(day.major_outage),
            ))
    return rows


def history_screen(page: Page, number: int, now: dt.datetime) -> dict[str, Any]:
    """Return past incidents, the day strips, the table of figures and the uptimes."""
    listing, months = past_incidents(page, number)
    today = local_today(page, now)
    year_start = today - dt.timedelta(days=max(UPTIME_WINDOWS) - 1)
    figures, page_days = outage_figures_and_page(page, year_start, today, now=now)
    states = {item.service.pk: DisplayState.OPERATIONAL for item in figures}
    rows = service_rows(figures, states, STRIP_DAYS)
    return {
        "listing": listing,
        "months": months,
        "rows": rows,
        "uptime_windows": UPTIME_WINDOWS,
        "uptime_rows": uptime_rows(figures, page_days) if figures else [],
        "figure_rows": figure_rows(figures, STRIP_DAYS),
        "strip_days": STRIP_DAYS,
        "strip_start": format_date(today - dt.timedelta(days=STRIP_DAYS - 1)),
    }


def past_maintenances_screen(page: Page, number: int) -> dict[str, Any]:
    queryset = (
        Maintenance.objects.filter(page=page, status=MaintenanceStatus.COMPLETED)
        .order_by("-starts_at", "-id")
        .prefetch_related("services")
    )
    listing = paginate(queryset, MAINTENANCE_PAGE_SIZE, number)
    items = [
        MaintenanceItem(maintenance, markdown.excerpt(maintenance.description, EXCERPT_LENGTH))
        for maintenance in listing.object_list
    ]
    return {
        "listing": listing,
        "months": group_by_month(items, lambda item: item.maintenance.starts_at, page_zone(page)),
    }
