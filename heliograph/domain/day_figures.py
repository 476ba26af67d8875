"""Per-day outage figures kept in a table, so that reading them costs the same whatever the history.

`DayFigure` contains, for each page, every local day up to `FiguresWatermark.through` that had
minutes in a bad state, per service and for the page as a whole. Days after the watermark
(normally only today) are computed from the events on each read, as before.

- Every change to an incident or its events recomputes, in the same transaction, the stored
  days that the incident spans (signal handlers below). A change to an incident opened today
  touches no stored day and costs nothing.
- The worker moves the watermark up to yesterday every few minutes (`advance`), computing the
  days it passes. Days already over never change again unless an event changes, because an
  open incident's last state lasts until now, which covers every past day whole.
- A page without a watermark (new, or one that lost a service), or whose time zone changed
  since its days were stored, is computed from the events on every read until the worker or
  `heliograph-admin figures rebuild` stores its days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from heliograph.domain import derive
from heliograph.domain.models import (
    DayFigure,
    FiguresWatermark,
    Incident,
    IncidentEvent,
    Page,
    Service,
)
from heliograph.domain.vocab import State

# A rebuild computes this many days per pass, which bounds the incidents held in memory.
REBUILD_CHUNK_DAYS = 366


def computed_days(
    page: Page, start: dt.date, end: dt.date, now: dt.datetime, services: Sequence[Service]
) -> tuple[dict[int, list[derive.DayFigures]], list[derive.DayFigures],
           dict[int, list[derive.Segment]]]:
    """Compute the figures of `start`..`end` from the events, per service and for the page.

    Days carry their minutes whatever the services' start dates: callers mark no-data days.
    Returns the figures per service id, the page's, and each service's segments.
    """
    from heliograph.domain.queries import incident_timelines, local_today, page_zone

    zone = page_zone(page)
    window_start = derive.local_day_bounds(start, zone)[0]
    window_end = derive.local_day_bounds(end, zone)[1]
    timelines = incident_timelines(page, window_start, window_end)
    today = local_today(page, now)
    per_service: dict[int, list[derive.DayFigures]] = {}
    segments: dict[int, list[derive.Segment]] = {}
    for service in services:
        touching = [timeline for timeline in timelines
                    if any(service.pk in event.service_ids for event in timeline.events)]
        segments[service.pk] = derive.service_segments(touching, service.pk, now)
        per_service[service.pk] = derive.daily_figures(
            segments[service.pk], zone, start, end, first_day=None, today=today)
    page_days = derive.daily_figures(derive.page_segments(segments.values()), zone, start, end,
                                     first_day=None, today=today)
    return per_service, page_days, segments


def write_days(page: Page, start: dt.date, end: dt.date, now: dt.datetime) -> int:
    """Replace the stored figures of `start`..`end` with a computation; return rows written."""
    services = list(Service.objects.filter(page=page))
    per_service, page_days, _ = computed_days(page, start, end, now, services)
    rows = [
        _row(page, service_id, day)
        for service_id, days in [*per_service.items(), (None, page_days)]
        for day in days
        if day.worst is not None and day.worst is not State.OPERATIONAL
    ]
    DayFigure.objects.filter(page=page, date__gte=start, date__lte=end).delete()
    DayFigure.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _row(page: Page, service_id: int | None, day: derive.DayFigures) -> DayFigure:
    assert day.worst is not None
    return DayFigure(page=page, service_id=service_id, date=day.date,
                     degraded_performance=day.degraded_performance,
                     partial_outage=day.partial_outage, major_outage=day.major_outage,
                     worst=day.worst.value)


def stored_through(page: Page) -> dt.date | None:
    """Return the last day the table contains for `page`, or None when it contains none."""
    mark = FiguresWatermark.objects.filter(page=page).first()
    if mark is None or mark.time_zone != page.time_zone:
        return None
    return mark.through


def stored_days(
    page: Page, start: dt.date, end: dt.date, service_ids: Sequence[int | None]
) -> dict[int | None, dict[dt.date, DayFigure]]:
    """Return the stored rows of `start`..`end` by service id (None for the page) and day."""
    found: dict[int | None, dict[dt.date, DayFigure]] = {key: {} for key in service_ids}
    for row in DayFigure.objects.filter(page=page, date__gte=start, date__lte=end):
        if row.service_id in found:
            found[row.service_id][row.date] = row
    return found


def day_from_row(row: DayFigure | None, day: dt.date, minutes: int) -> derive.DayFigures:
    """Return a stored day as `DayFigures`; no row means a day without downtime."""
    if row is None:
        return derive.DayFigures(date=day, minutes=minutes, degraded_performance=0.0,
                                 partial_outage=0.0, major_outage=0.0, no_data=False,
                                 worst=State.OPERATIONAL)
    return derive.DayFigures(date=day, minutes=minutes,
                             degraded_performance=row.degraded_performance,
                             partial_outage=row.partial_outage, major_outage=row.major_outage,
                             no_data=False, worst=State(row.worst))


def advance(page: Page, now: dt.datetime | None = None) -> dt.date:
    """Store every day of `page` up to yesterday that is not stored yet; return the watermark.

    A page seen for the first time, or whose time zone changed, is rebuilt from its first
    incident on, in chunks of REBUILD_CHUNK_DAYS days.
    """
    from heliograph.domain.queries import local_today, page_zone

    now = now or timezone.now()
    yesterday = local_today(page, now) - dt.timedelta(days=1)
    with transaction.atomic():
        mark = FiguresWatermark.objects.select_for_update().filter(page=page).first()
        if mark is None or mark.time_zone != page.time_zone:
            DayFigure.objects.filter(page=page).delete()
            first = Incident.objects.filter(page=page).order_by("opened_at").first()
            start = (first.opened_at.astimezone(page_zone(page)).date() if first is not None
                     else yesterday + dt.timedelta(days=1))
            if mark is None:
                mark = FiguresWatermark(page=page)
            mark.through = start - dt.timedelta(days=1)
            mark.time_zone = page.time_zone
        while mark.through < yesterday:
            start = mark.through + dt.timedelta(days=1)
            end = min(yesterday, start + dt.timedelta(days=REBUILD_CHUNK_DAYS - 1))
            write_days(page, start, end, now)
            mark.through = end
        mark.save()
    return mark.through


def rebuild(page: Page, now: dt.datetime | None = None) -> dt.date:
    """Drop the stored figures of `page` and store them again from its events.

    The services' stored change times are recomputed too, since the writes that need a
    rebuild (bulk inserts) sent no signals for them either.
    """
    from heliograph.domain import service_times

    service_times.rebuild(page)
    FiguresWatermark.objects.filter(page=page).delete()
    return advance(page, now)


def _refresh_span(page_id: int, start: dt.datetime, end: dt.datetime | None) -> None:
    """Recompute the stored days from `start` to `end` (None: now) of a page, if any are stored."""
    from heliograph.domain.queries import page_zone

    # A savepoint inside the caller's transaction, or a transaction of its own for a change
    # saved outside one, so that the watermark's row lock is allowed.
    with transaction.atomic():
        mark = (FiguresWatermark.objects.select_for_update().select_related("page")
                .filter(page_id=page_id).first())
        if mark is None or mark.time_zone != mark.page.time_zone:
            return
        zone = page_zone(mark.page)
        now = timezone.now()
        first = start.astimezone(zone).date()
        last = min((end or now).astimezone(zone).date(), mark.through)
        if first <= last:
            write_days(mark.page, first, last, now)


def _incident_changed(sender: Any, instance: Incident, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _refresh_span(instance.page_id, instance.opened_at, instance.closed_at)


def _event_saved(sender: Any, instance: IncidentEvent, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    incident = Incident.objects.filter(pk=instance.incident_id).first()
    if incident is not None:
        _refresh_span(incident.page_id, min(instance.at, incident.opened_at),
                      incident.closed_at)


def _services_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, Incident):
        _incident_changed(sender, instance)
    elif isinstance(instance, IncidentEvent):
        _event_saved(sender, instance)


def _service_deleted(sender: Any, instance: Service, **kwargs: Any) -> None:
    # The page's own rows merge every service's outages, so they no longer match the remaining
    # services. Dropping the watermark makes reads compute from events until `advance`
    # rebuilds the page.
    FiguresWatermark.objects.filter(page_id=instance.page_id).delete()


def connect() -> None:
    """Connect the handlers that keep stored days in step with incidents and events."""
    post_save.connect(_incident_changed, sender=Incident, dispatch_uid="day_figures.incident")
    post_delete.connect(_incident_changed, sender=Incident,
                        dispatch_uid="day_figures.incident_deleted")
    post_save.connect(_event_saved, sender=IncidentEvent, dispatch_uid="day_figures.event")
    post_delete.connect(_event_saved, sender=IncidentEvent,
                        dispatch_uid="day_figures.event_deleted")
    post_delete.connect(_service_deleted, sender=Service, dispatch_uid="day_figures.service")
    m2m_changed.connect(_services_changed, sender=Incident.services.through,
                        dispatch_uid="day_figures.incident_services")
    m2m_changed.connect(_services_changed, sender=IncidentEvent.services.through,
                        dispatch_uid="day_figures.event_services")
