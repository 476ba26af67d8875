"""Read what a page shows: its banner, each service's state, and the outage figures.

These functions load the rows with a fixed number of queries and hand them to the pure
functions of `heliograph.domain.derive`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from heliograph.domain import derive
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.vocab import BannerColorRule, DisplayState, MaintenanceStatus, State

# How far ahead the status lists scheduled maintenances.
UPCOMING_HORIZON = dt.timedelta(days=60)


@dataclass
class ServiceStatus:
    service: Service
    state: DisplayState


@dataclass
class PageStatus:
    page: Page
    banner: derive.Banner
    services: list[ServiceStatus]
    groups: list[ServiceGroup]
    open_incidents: list[Incident]
    active_maintenances: list[Maintenance]
    upcoming_maintenances: list[Maintenance]
    # Scheduled maintenances whose window has passed; shown to editors only.
    overdue_maintenances: list[Maintenance] = field(default_factory=list)

    @property
    def state(self) -> DisplayState:
        return self.banner.state


def page_zone(page: Page) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(page.time_zone)


def local_today(page: Page, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(page_zone(page)).date()


def open_incidents(page: Page) -> list[Incident]:
    """Return the page's open incidents, oldest first, with their services and latest event."""
    return list(
        Incident.objects.filter(page=page, closed_at__isnull=True)
        .select_related("latest_event")
        .prefetch_related("services", "latest_event__services")
        .order_by("opened_at", "id")
    )


def concerned_service_ids(incident: Incident, event: IncidentEvent | None) -> frozenset[int]:
    """Return the ids of the services an event concerns (its own, or its incident's)."""
    if event is not None and event.services_override:
        return frozenset(service.pk for service in event.services.all())
    return frozenset(service.pk for service in incident.services.all())


def page_status(page: Page, now: dt.datetime | None = None) -> PageStatus:
    """Return the page as its public page shows it at `now`."""
    now = now or timezone.now()
    services = list(Service.objects.filter(page=page).order_by("position", "id"))
    groups = list(ServiceGroup.objects.filter(page=page).order_by("position", "id"))
    incidents = open_incidents(page)
    maintenances = list(
        Maintenance.objects.filter(page=page)
        .filter(
            Q(status=MaintenanceStatus.IN_PROGRESS)
            | Q(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now + UPCOMING_HORIZON)
        )
        .prefetch_related("services")
        .order_by("starts_at", "id")
    )
    active = [m for m in maintenances if m.status == MaintenanceStatus.IN_PROGRESS]
    scheduled = [m for m in maintenances if m.status == MaintenanceStatus.SCHEDULED]
    upcoming = [m for m in scheduled if m.ends_at > now]
    overdue = [m for m in scheduled if m.ends_at <= now]

    states_by_service: dict[int, list[State]] = {service.pk: [] for service in services}
    for incident in incidents:
        for service_id in concerned_service_ids(incident, incident.latest_event):
            if service_id in states_by_service:
                states_by_service[service_id].append(State(incident.state))
    in_maintenance = {service.pk for m in active for service in m.services.all()}

    service_states = [
        ServiceStatus(
            service=service,
            state=derive.service_display_state(
                states_by_service[service.pk], service.pk in in_maintenance
            ),
        )
        for service in services
    ]
    banner = derive.banner(
        [
            derive.OpenIncident(
                incident_id=incident.pk, title=incident.title, state=State(incident.state),
                opened_at=incident.opened_at,
            )
            for incident in incidents
        ],
        BannerColorRule(page.banner_color_rule),
        page.default_status_message,
    )
    return PageStatus(
        page=page, banner=banner, services=service_states, groups=groups,
        open_incidents=incidents, active_maintenances=active, upcoming_maintenances=upcoming,
        overdue_maintenances=overdue,
    )


@dataclass
class ServiceFigures:
    service: Service
    days: list[derive.DayFigures]
    segments: list[derive.Segment]

    @property
    def uptime(self) -> float | None:
        return derive.window_uptime(self.days)


def incident_timelines(
    page: Page, start: dt.datetime, end: dt.datetime
) -> list[derive.IncidentTimeline]:
    """Return the timelines of the page's incidents that overlap [start, end)."""
    incidents = Incident.objects.filter(page=page).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=start)
    )
    if end <= timezone.now():
        # Only a window that ends in the past needs this filter. Without it, a window that
        # ends today is read through the index on (page, closed_at), rather than through
        # the index on `opened_at`, which would scan the whole history.
        incidents = incidents.filter(opened_at__lt=end)
    incidents = (
        incidents.prefetch_related(
            "services",
            Prefetch(
                "events",
                queryset=IncidentEvent.objects.order_by("at", "id").prefetch_related("services"),
            ),
        )
    )
    timelines = []
    for incident in incidents:
        events = tuple(
            derive.EventPoint(
                at=event.at, state=State(event.state),
                service_ids=concerned_service_ids(incident, event),
            )
            for event in incident.events.all()
        )
        if events:
            timelines.append(derive.IncidentTimeline(
                incident_id=incident.pk, events=events, closed_at=incident.closed_at,
            ))
    return timelines


def outage_figures(
    page: Page,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    services: list[Service] | None = None,
) -> list[ServiceFigures]:
    """Return per service and per local day the minutes degraded and down, `start` to `end`."""
    return outage_figures_and_page(page, start, end, now=now, services=services)[0]


def outage_figures_and_page(
    page: Page,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    services: list[Service] | None = None,
) -> tuple[list[ServiceFigures], list[derive.DayFigures]]:
    """Return `outage_figures` and the page's own days, where all services' outages merge.

    Days up to the stored watermark come from `DayFigure` rows, two queries whatever the
    history. Later days (normally only today) are computed from the events of the incidents
    that overlap them. A service's `segments` cover only those computed days.
    """
    from heliograph.domain import day_figures

    now = now or timezone.now()
    zone = page_zone(page)
    if services is None:
        services = list(Service.objects.filter(page=page).order_by("position", "id"))
    today = now.astimezone(zone).date()
    through = day_figures.stored_through(page)
    live_start = start if through is None else max(start, through + dt.timedelta(days=1))

    keys: list[int | None] = [service.pk for service in services]
    stored: dict[int | None, dict[dt.date, Any]] = {key: {} for key in [*keys, None]}
    stored_end = min(end, through) if through is not None else None
    if stored_end is not None and start <= stored_end:
        stored = day_figures.stored_days(page, start, stored_end, [*keys, None])

    live: dict[int, list[derive.DayFigures]] = {}
    live_page: list[derive.DayFigures] = []
    segments: dict[int, list[derive.Segment]] = {}
    if live_start <= end:
        live, live_page, segments = day_figures.computed_days(page, live_start, end, now,
                                                              services)

    def days_of(key: int | None, computed: list[derive.DayFigures],
                first_day: dt.date) -> list[derive.DayFigures]:
        days = []
        day = start
        while day < live_start and day <= end:
            minutes = derive.day_length_minutes(day, zone)
            days.append(day_figures.day_from_row(stored[key].get(day), day, minutes))
            day += dt.timedelta(days=1)
        days += computed
        return [_with_data_range(figure, first_day, today) for figure in days]

    figures = [
        ServiceFigures(service=service,
                       days=days_of(service.pk, live.get(service.pk, []), service.start_date),
                       segments=segments.get(service.pk, []))
        for service in services
    ]
    page_first = min((service.start_date for service in services), default=today)
    return figures, days_of(None, live_page, page_first)


def _with_data_range(figure: derive.DayFigures, first_day: dt.date,
                     today: dt.date) -> derive.DayFigures:
    """Turn a day before `first_day` or after `today` into a no-data day, as `daily_figures`."""
    if first_day <= figure.date <= today:
        return figure
    return derive.DayFigures(date=figure.date, minutes=figure.minutes,
                             degraded_performance=0.0, partial_outage=0.0, major_outage=0.0,
                             no_data=True, worst=None)
