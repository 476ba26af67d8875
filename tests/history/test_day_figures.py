"""The stored per-day figures equal a full recomputation from the events, whatever happened."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.domain import day_figures, derive, incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import DomainError
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import DayFigure, FiguresWatermark, Incident, Page, Service
from heliograph.domain.queries import (
    incident_timelines,
    local_today,
    outage_figures_and_page,
    page_zone,
)
from heliograph.domain.vocab import State, Status

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
BAD = [State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE]
_slugs = itertools.count()


def recomputed(page: Page, start: dt.date, end: dt.date, now: dt.datetime
               ) -> tuple[dict[int, list[derive.DayFigures]], list[derive.DayFigures]]:
    """Compute every day from all the events, as the figures were before the table existed."""
    zone = page_zone(page)
    services = list(Service.objects.filter(page=page).order_by("position", "id"))
    timelines = incident_timelines(page, derive.local_day_bounds(start, zone)[0],
                                   derive.local_day_bounds(end, zone)[1])
    today = local_today(page, now)
    per_service = {}
    segments = []
    for service in services:
        touching = [t for t in timelines if any(service.pk in e.service_ids for e in t.events)]
        service_segments = derive.service_segments(touching, service.pk, now)
        segments.append(service_segments)
        per_service[service.pk] = derive.daily_figures(
            service_segments, zone, start, end, first_day=service.start_date, today=today)
    first_day = min((service.start_date for service in services), default=today)
    page_days = derive.daily_figures(derive.page_segments(segments), zone, start, end,
                                     first_day=first_day, today=today)
    return per_service, page_days


def assert_matches(page: Page, now: dt.datetime) -> None:
    today = local_today(page, now)
    start = today - dt.timedelta(days=40)
    services = list(Service.objects.filter(page=page).order_by("position", "id"))
    figures, page_days = outage_figures_and_page(page, start, today, now=now,
                                                 services=services)
    expected, expected_page = recomputed(page, start, today, now)
    for item in figures:
        assert item.days == expected[item.service.pk], item.service.name
    assert page_days == expected_page


operation = st.one_of(
    st.tuples(st.just("open"), st.sets(st.integers(0, 2), min_size=1), st.sampled_from(BAD),
              st.integers(0, 600)),
    st.tuples(st.just("post"), st.integers(0, 9), st.sampled_from(BAD), st.booleans()),
    st.tuples(st.just("close"), st.integers(0, 9)),
    st.tuples(st.just("backfill"), st.sets(st.integers(0, 2), min_size=1),
              st.sampled_from(BAD), st.integers(1, 30 * 24 * 60), st.integers(1, 3000)),
    st.tuples(st.just("services"), st.integers(0, 9), st.sets(st.integers(0, 2), min_size=1)),
    st.tuples(st.just("delete"), st.integers(0, 9)),
    st.tuples(st.just("advance"),),
    st.tuples(st.just("wait"), st.integers(1, 40 * 60)),
)


def apply(operation: tuple[Any, ...], page: Page, services: list[Service], actor: Actor,
          clock: time_machine.Coordinates, now: Callable[[], dt.datetime]) -> None:
    kind = operation[0]
    known = list(Incident.objects.filter(page=page).order_by("pk"))
    open_ones = [incident for incident in known if incident.closed_at is None]
    try:
        if kind == "open":
            _, chosen, state, minutes_ago = operation
            incidents.open_incident(
                page, title="Outage", text="Looking.", state=state, status=Status.INVESTIGATING,
                services=[services[i] for i in chosen],
                at=now() - dt.timedelta(minutes=minutes_ago), actor=actor)
        elif kind == "post" and open_ones:
            _, index, state, partial = operation
            incident = open_ones[index % len(open_ones)]
            incidents.post_event(
                incident, text="Update.", state=state, status=Status.IDENTIFIED,
                services=[services[0]] if partial else None, actor=actor)
        elif kind == "close" and open_ones:
            incidents.close_incident(open_ones[operation[1] % len(open_ones)], actor=actor)
        elif kind == "backfill":
            _, chosen, state, minutes_ago, length = operation
            began = now() - dt.timedelta(minutes=minutes_ago)
            ended = min(began + dt.timedelta(minutes=length), now())
            incidents.backfill_incident(
                page, title="Past", services=[services[i] for i in chosen], actor=actor,
                events=[PastEvent(at=began, status=Status.INVESTIGATING, text="Down.",
                                  state=state),
                        PastEvent(at=ended, status=Status.RESOLVED, text="Fixed.")])
        elif kind == "services" and open_ones:
            _, index, chosen = operation
            incidents.update_incident(open_ones[index % len(open_ones)],
                                      services=[services[i] for i in chosen], actor=actor)
        elif kind == "delete" and known:
            incidents.delete_incident(known[operation[1] % len(known)], actor=actor)
        elif kind == "advance":
            day_figures.advance(page)
        elif kind == "wait":
            clock.shift(dt.timedelta(minutes=operation[1]))
    except DomainError:
        pass  # a rule of the domain rejected the step, such as two events at one time


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(operation, min_size=1, max_size=25),
       zone=st.sampled_from(["UTC", "Europe/Zurich", "America/Chicago"]))
@pytest.mark.django_db
def test_stored_days_equal_recomputation(steps: list[tuple[Any, ...]], zone: str) -> None:
    with time_machine.travel(START, tick=False) as clock:
        from heliograph.accounts.models import User

        user = User.objects.create_user(f"h{next(_slugs)}@example.com", "correct horse 42")
        actor = Actor.of_user(user)
        page = pages.create_page(f"h{next(_slugs)}", title="History", owner=user,
                                 time_zone=zone, actor=actor)
        services = [pages.add_service(page, name=f"S{n}", actor=actor,
                                      start_date=(START - dt.timedelta(days=40)).date())
                    for n in range(3)]
        day_figures.advance(page)
        clock.shift(dt.timedelta(days=2))
        day_figures.advance(page)

        for step in steps:
            apply(step, page, services, actor, clock, lambda: dt.datetime.now(dt.UTC))

        now = dt.datetime.now(dt.UTC)
        assert_matches(page, now)
        clock.shift(dt.timedelta(days=1, hours=3))
        day_figures.advance(page)
        assert_matches(page, dt.datetime.now(dt.UTC))


def test_advance_stores_only_bad_days(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        service = pages.add_service(page, name="API", actor=actor,
                                    start_date=(START - dt.timedelta(days=10)).date())
        began = START - dt.timedelta(days=3)
        incidents.backfill_incident(
            page, title="Past", services=[service], actor=actor,
            events=[PastEvent(at=began, status=Status.INVESTIGATING, text="Down.",
                              state=State.MAJOR_OUTAGE),
                    PastEvent(at=began + dt.timedelta(hours=2), status=Status.RESOLVED,
                              text="Fixed.")])

        through = day_figures.advance(page)

    assert through == (START - dt.timedelta(days=1)).date()
    rows = {(row.service_id, row.date, row.major_outage)
            for row in DayFigure.objects.filter(page=page)}
    assert rows == {(service.pk, began.date(), 120.0), (None, began.date(), 120.0)}


def test_backfill_updates_stored_days(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        service = pages.add_service(page, name="API", actor=actor,
                                    start_date=(START - dt.timedelta(days=10)).date())
        day_figures.advance(page)
        assert not DayFigure.objects.filter(page=page).exists()
        began = START - dt.timedelta(days=5)

        incidents.backfill_incident(
            page, title="Past", services=[service], actor=actor,
            events=[PastEvent(at=began, status=Status.INVESTIGATING, text="Slow.",
                              state=State.DEGRADED_PERFORMANCE),
                    PastEvent(at=began + dt.timedelta(minutes=30), status=Status.RESOLVED,
                              text="Fixed.")])

    row = DayFigure.objects.get(page=page, service=service)
    assert row.degraded_performance == 30.0
    assert row.worst == State.DEGRADED_PERFORMANCE


def test_delete_incident_clears_stored_days(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        service = pages.add_service(page, name="API", actor=actor,
                                    start_date=(START - dt.timedelta(days=10)).date())
        began = START - dt.timedelta(days=5)
        incident = incidents.backfill_incident(
            page, title="Past", services=[service], actor=actor,
            events=[PastEvent(at=began, status=Status.INVESTIGATING, text="Down.",
                              state=State.MAJOR_OUTAGE),
                    PastEvent(at=began + dt.timedelta(hours=1), status=Status.RESOLVED,
                              text="Fixed.")])
        day_figures.advance(page)
        assert DayFigure.objects.filter(page=page).count() == 2

        incidents.delete_incident(incident, actor=actor)

    assert not DayFigure.objects.filter(page=page).exists()


def test_zone_change_reads_events_until_rebuilt(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        day_figures.advance(page)
        pages.update_page(page, {"time_zone": "Asia/Tokyo"}, actor=actor)

        assert day_figures.stored_through(page) is None
        day_figures.advance(page)

    mark = FiguresWatermark.objects.get(page=page)
    assert mark.time_zone == "Asia/Tokyo"
    assert day_figures.stored_through(page) == mark.through


def test_page_deletion_leaves_no_rows(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        service = pages.add_service(page, name="API", actor=actor,
                                    start_date=(START - dt.timedelta(days=10)).date())
        began = START - dt.timedelta(days=5)
        incidents.backfill_incident(
            page, title="Past", services=[service], actor=actor,
            events=[PastEvent(at=began, status=Status.INVESTIGATING, text="Down.",
                              state=State.MAJOR_OUTAGE),
                    PastEvent(at=began + dt.timedelta(hours=1), status=Status.RESOLVED,
                              text="Fixed.")])
        incidents.open_incident(page, title="Now", text="Down.", state=State.MAJOR_OUTAGE,
                                status=Status.INVESTIGATING, services=[service],
                                at=START - dt.timedelta(days=2), actor=actor)
        day_figures.advance(page)
        assert DayFigure.objects.filter(page=page).exists()

        pages.delete_page(page)

    assert not DayFigure.objects.exists()
    assert not FiguresWatermark.objects.exists()


def test_service_removal_drops_watermark(page: Page, actor: Actor) -> None:
    with time_machine.travel(START, tick=False):
        service = pages.add_service(page, name="API", actor=actor,
                                    start_date=(START - dt.timedelta(days=10)).date())
        day_figures.advance(page)

        pages.remove_service(service, actor=actor)

        assert day_figures.stored_through(page) is None
