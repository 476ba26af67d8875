"""Tests of what a page shows (service states, banner) and of its outage figures per local day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.queries import ServiceFigures, outage_figures, page_status
from heliograph.domain.vocab import DisplayState, State, Status, worst
from tests.domain.support import NOW, local_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def open_incident(
    page: Page,
    actor: Actor,
    services: Iterable[Service],
    state: State = State.MAJOR_OUTAGE,
    *,
    title: str = "Outage",
    at: dt.datetime | None = None,
) -> Incident:
    return incidents.open_incident(
        page, title=title, text="Investigating.", state=state, status=Status.INVESTIGATING,
        services=services, at=at, actor=actor,
    )


def outage(
    page: Page,
    actor: Actor,
    services: Iterable[Service],
    start: dt.datetime,
    end: dt.datetime,
    state: State = State.MAJOR_OUTAGE,
) -> Incident:
    incident = open_incident(page, actor, services, state, at=start)
    incidents.close_incident(incident, at=end, actor=actor)
    return incident


def start_maintenance(page: Page, actor: Actor, services: list[Service]) -> Maintenance:
    maintenance = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=NOW - HOUR, ends_at=NOW + HOUR,
        services=services, actor=actor,
    )
    maintenances.post_event(maintenance, text="Started.", actor=actor)
    return maintenance


def shown_states(page: Page) -> dict[str, DisplayState]:
    return {item.service.name: item.state for item in page_status(page).services}


def days_of(figures: ServiceFigures) -> dict[dt.date, tuple[float, float, float]]:
    """Return (degraded, partial, major) minutes per local date."""
    return {
        day.date: (day.degraded_performance, day.partial_outage, day.major_outage)
        for day in figures.days
    }


# Current state of each service


def test_resolving_one_incident_keeps_service_down_under_another(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api, web = add_service("API"), add_service("Web")
    first = open_incident(page, actor, [api, web], State.MAJOR_OUTAGE, title="Database down")
    second = open_incident(page, actor, [api], State.PARTIAL_OUTAGE, title="Slow API")

    incidents.close_incident(first, actor=actor)

    assert shown_states(page) == {
        "API": DisplayState.PARTIAL_OUTAGE, "Web": DisplayState.OPERATIONAL,
    }

    incidents.close_incident(second, actor=actor)

    assert shown_states(page) == {
        "API": DisplayState.OPERATIONAL, "Web": DisplayState.OPERATIONAL,
    }


def test_service_shows_worst_open_incident(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE)
    open_incident(page, actor, [api], State.MAJOR_OUTAGE)
    open_incident(page, actor, [api], State.PARTIAL_OUTAGE)

    assert shown_states(page) == {"API": DisplayState.MAJOR_OUTAGE}


def test_service_shows_latest_event_state(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    api = add_service("API")
    incident = open_incident(page, actor, [api], State.MAJOR_OUTAGE)
    clock.shift(HOUR)

    incidents.post_event(incident, text="Recovering.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.MONITORING, actor=actor)

    assert shown_states(page) == {"API": DisplayState.DEGRADED_PERFORMANCE}


def test_maintenance_in_progress_shows_under_maintenance(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database = add_service("Database")
    add_service("API")

    start_maintenance(page, actor, [database])

    assert shown_states(page) == {
        "Database": DisplayState.UNDER_MAINTENANCE, "API": DisplayState.OPERATIONAL,
    }


def test_maintenance_in_progress_never_hides_outage(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database, api = add_service("Database"), add_service("API")
    open_incident(page, actor, [database], State.PARTIAL_OUTAGE)

    start_maintenance(page, actor, [database, api])

    assert shown_states(page) == {
        "Database": DisplayState.PARTIAL_OUTAGE, "API": DisplayState.UNDER_MAINTENANCE,
    }


def test_maintenance_shows_when_open_incident_is_operational(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    database = add_service("Database")
    incident = open_incident(page, actor, [database], State.DEGRADED_PERFORMANCE)
    clock.shift(MINUTE)
    incidents.post_event(incident, text="Watching.", state=State.OPERATIONAL,
                         status=Status.MONITORING, actor=actor)

    start_maintenance(page, actor, [database])

    assert shown_states(page) == {"Database": DisplayState.UNDER_MAINTENANCE}


def test_completed_maintenance_leaves_incident_state(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database, api = add_service("Database"), add_service("API")
    open_incident(page, actor, [database], State.DEGRADED_PERFORMANCE)
    maintenance = start_maintenance(page, actor, [database, api])

    maintenances.close_maintenance(maintenance, actor=actor)

    assert shown_states(page) == {
        "Database": DisplayState.DEGRADED_PERFORMANCE, "API": DisplayState.OPERATIONAL,
    }
    assert page_status(page).active_maintenances == []


def test_scheduled_maintenance_leaves_state(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    database = add_service("Database")

    maintenance = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=NOW - HOUR, ends_at=NOW + HOUR,
        services=[database], actor=actor,
    )

    status = page_status(page)
    assert shown_states(page) == {"Database": DisplayState.OPERATIONAL}
    assert [m.pk for m in status.upcoming_maintenances] == [maintenance.pk]


# The banner


def test_banner_without_open_incident_shows_default_message(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    outage(page, actor, [api], NOW - 2 * HOUR, NOW - HOUR)

    banner = page_status(page).banner

    assert banner.message == "All systems operational"
    assert banner.state == DisplayState.OPERATIONAL
    assert banner.titles == ()
    assert banner.incident_ids == ()


def test_banner_shows_page_default_message(page: Page, actor: Actor) -> None:
    pages.update_page(page, {"default_status_message": "Everything works"}, actor=actor)

    assert page_status(page).banner.message == "Everything works"


def test_banner_lists_open_incidents_coloured_by_first_opened(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    # Opened second but dated earlier, so it is the first opened.
    later = open_incident(page, actor, [api], State.MAJOR_OUTAGE, title="Payments fail",
                          at=NOW - HOUR)
    earlier = open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE,
                            title="Slow logins", at=NOW - 2 * HOUR)

    status = page_status(page)

    banner = status.banner
    assert [incident.pk for incident in status.open_incidents] == [earlier.pk, later.pk]
    assert banner.titles == ("Slow logins", "Payments fail")
    assert banner.incident_ids == (earlier.pk, later.pk)
    assert "Slow logins" in banner.message
    assert "Payments fail" in banner.message
    assert banner.message.index("Slow logins") < banner.message.index("Payments fail")
    assert banner.state == DisplayState.DEGRADED_PERFORMANCE


def test_banner_with_worst_rule_takes_worst_state(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE, title="Slow logins",
                  at=NOW - 2 * HOUR)
    open_incident(page, actor, [api], State.MAJOR_OUTAGE, title="Payments fail", at=NOW - HOUR)

    pages.update_page(page, {"banner_color_rule": "worst"}, actor=actor)

    banner = page_status(page).banner
    assert banner.state == DisplayState.MAJOR_OUTAGE
    assert banner.titles == ("Slow logins", "Payments fail")


def test_banner_follows_first_incident_latest_state(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    first = open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE, at=NOW - HOUR)
    open_incident(page, actor, [api], State.MAJOR_OUTAGE, title="Second")

    incidents.post_event(first, text="Worse.", state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)

    assert page_status(page).banner.state == DisplayState.PARTIAL_OUTAGE


def test_banner_drops_closed_incidents(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    first = open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE, title="Slow logins",
                          at=NOW - HOUR)
    open_incident(page, actor, [api], State.MAJOR_OUTAGE, title="Payments fail")

    incidents.close_incident(first, actor=actor)

    banner = page_status(page).banner
    assert banner.titles == ("Payments fail",)
    assert banner.state == DisplayState.MAJOR_OUTAGE


# Outage figures per local day


def test_outage_figures_count_on_sydney_local_date(
    make_page: Callable[..., Page], actor: Actor, add_service: Callable[..., Service]
) -> None:
    sydney = make_page("sydney", time_zone="Australia/Sydney")
    api = add_service("API", on=sydney, start_date=dt.date(2026, 3, 1))
    start = local_time("Australia/Sydney", 2026, 3, 10, 7, 0)
    end = local_time("Australia/Sydney", 2026, 3, 10, 8, 30)
    assert start.date() == dt.date(2026, 3, 9)

    outage(sydney, actor, [api], start, end)

    [figures] = outage_figures(sydney, dt.date(2026, 3, 9), dt.date(2026, 3, 10))
    assert days_of(figures) == {
        dt.date(2026, 3, 9): (0, 0, 0),
        dt.date(2026, 3, 10): (0, 0, 90),
    }


def test_outage_figures_split_over_local_midnight(
    make_page: Callable[..., Page], actor: Actor, add_service: Callable[..., Service]
) -> None:
    sydney = make_page("sydney", time_zone="Australia/Sydney")
    api = add_service("API", on=sydney, start_date=dt.date(2026, 3, 1))
    start = local_time("Australia/Sydney", 2026, 3, 7, 23, 0)
    end = local_time("Australia/Sydney", 2026, 3, 8, 1, 30)

    outage(sydney, actor, [api], start, end, State.PARTIAL_OUTAGE)

    [figures] = outage_figures(sydney, dt.date(2026, 3, 6), dt.date(2026, 3, 9))
    assert days_of(figures) == {
        dt.date(2026, 3, 6): (0, 0, 0),
        dt.date(2026, 3, 7): (0, 60, 0),
        dt.date(2026, 3, 8): (0, 90, 0),
        dt.date(2026, 3, 9): (0, 0, 0),
    }


def test_outage_figures_count_overlap_once(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API", start_date=dt.date(2026, 3, 1))
    web = add_service("Web", start_date=dt.date(2026, 3, 1))
    day = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)

    outage(page, actor, [api], day + 8 * HOUR, day + 10 * HOUR, State.MAJOR_OUTAGE)
    outage(page, actor, [api, web], day + 9 * HOUR, day + 11 * HOUR, State.PARTIAL_OUTAGE)

    api_figures, web_figures = outage_figures(page, dt.date(2026, 3, 9), dt.date(2026, 3, 9))
    [api_day] = api_figures.days
    [web_day] = web_figures.days
    assert (api_day.major_outage, api_day.partial_outage) == (120, 60)
    assert api_day.down == 180
    assert (web_day.major_outage, web_day.partial_outage) == (0, 120)
    assert api_day.worst == State.MAJOR_OUTAGE


def test_outage_figures_report_no_data_before_start_date(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    clock.move_to(NOW - 2 * dt.timedelta(days=1))
    api = add_service("API")
    clock.move_to(NOW)
    assert api.start_date == dt.date(2026, 3, 8)

    [figures] = outage_figures(page, dt.date(2026, 3, 5), dt.date(2026, 3, 11))

    assert {day.date: day.no_data for day in figures.days} == {
        dt.date(2026, 3, 5): True,
        dt.date(2026, 3, 6): True,
        dt.date(2026, 3, 7): True,
        dt.date(2026, 3, 8): False,
        dt.date(2026, 3, 9): False,
        dt.date(2026, 3, 10): False,
        dt.date(2026, 3, 11): True,
    }
    assert figures.uptime == 1


@pytest.mark.parametrize(
    ("day", "minutes"),
    [(dt.date(2026, 3, 29), 1380), (dt.date(2026, 10, 25), 1500), (dt.date(2026, 7, 1), 1440)],
    ids=["spring forward", "fall back", "summer"],
)
def test_outage_figures_follow_berlin_day_length(
    make_page: Callable[..., Page], actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller, day: dt.date, minutes: int,
) -> None:
    clock.move_to(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    berlin = make_page("berlin", time_zone="Europe/Berlin")
    api = add_service("API", on=berlin, start_date=dt.date(2026, 1, 1))
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    # Down from 22:00 the evening before to 02:00 the morning after, local time.
    start = local_time("Europe/Berlin", before.year, before.month, before.day, 22)
    end = local_time("Europe/Berlin", after.year, after.month, after.day, 2)

    outage(berlin, actor, [api], start, end)

    [figures] = outage_figures(berlin, before, after)
    assert [(d.date, d.minutes, d.major_outage) for d in figures.days] == [
        (before, 1440, 120),
        (day, minutes, minutes),
        (after, 1440, 120),
    ]
    assert figures.days[1].uptime == 0


def test_outage_figures_count_open_incident_until_now(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API", start_date=dt.date(2026, 3, 1))

    open_incident(page, actor, [api], State.DEGRADED_PERFORMANCE, at=NOW - 90 * MINUTE)

    [figures] = outage_figures(page, dt.date(2026, 3, 10), dt.date(2026, 3, 11))
    assert days_of(figures)[dt.date(2026, 3, 10)] == (90, 0, 0)
    assert figures.days[1].no_data


def test_outage_figures_follow_partial_fix(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    api = add_service("API", start_date=dt.date(2026, 3, 1))
    web = add_service("Web", start_date=dt.date(2026, 3, 1))
    clock.move_to(NOW - 3 * HOUR)
    incident = open_incident(page, actor, [api, web], State.MAJOR_OUTAGE)
    clock.move_to(NOW - 2 * HOUR)
    incidents.post_event(incident, text="Web is back.", state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, services=[api], actor=actor)
    clock.move_to(NOW)

    incidents.close_incident(incident, at=NOW - HOUR, actor=actor)

    api_figures, web_figures = outage_figures(page, dt.date(2026, 3, 10), dt.date(2026, 3, 10))
    assert api_figures.days[0].major_outage == 120
    assert web_figures.days[0].major_outage == 60


def test_update_incident_services_move_figures(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API", start_date=dt.date(2026, 3, 1))
    web = add_service("Web", start_date=dt.date(2026, 3, 1))
    incident = open_incident(page, actor, [api], State.PARTIAL_OUTAGE, at=NOW - HOUR)

    incidents.update_incident(incident, services=[web], actor=actor)

    api_figures, web_figures = outage_figures(page, dt.date(2026, 3, 10), dt.date(2026, 3, 10))
    assert api_figures.days[0].partial_outage == 0
    assert web_figures.days[0].partial_outage == 60


def test_outage_figures_uptime_over_window(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API", start_date=dt.date(2026, 3, 9))
    day = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)
    outage(page, actor, [api], day + 6 * HOUR, day + 6 * HOUR + 144 * MINUTE)
    outage(page, actor, [api], day + 12 * HOUR, day + 14 * HOUR, State.DEGRADED_PERFORMANCE)

    [figures] = outage_figures(page, dt.date(2026, 3, 1), dt.date(2026, 3, 10))

    # 144 minutes down over two days with data (2880 minutes). Degraded time is not down.
    assert figures.uptime == pytest.approx(1 - 144 / 2880)


# Query counts stay flat as history grows


def add_history(page: Page, actor: Actor, services: list[Service], numbers: range,
                clock: time_machine.Traveller) -> None:
    """Add closed incidents of 20 minutes, one per hour back from a day ago, with a partial fix."""
    for number in numbers:
        clock.move_to(NOW - dt.timedelta(days=1, hours=number))
        incident = open_incident(page, actor, services, State.MAJOR_OUTAGE,
                                 title=f"Outage {number}")
        clock.shift(10 * MINUTE)
        incidents.post_event(incident, text="One is back.", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, services=services[:1], actor=actor)
        clock.shift(10 * MINUTE)
        incidents.close_incident(incident, actor=actor)
    clock.move_to(NOW)


def add_open_incidents(page: Page, actor: Actor, services: list[Service], count: int) -> None:
    for number in range(count):
        incident = open_incident(page, actor, services, State.DEGRADED_PERFORMANCE,
                                 title=f"Open {number}")
        incidents.post_event(incident, text="Narrowed down.", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, services=services[number % 2:][:1],
                             actor=actor)
        start_maintenance(page, actor, services[1:])


def count_queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_page_status_queries_stay_flat(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    services = [add_service("API"), add_service("Web"), add_service("Mail")]
    add_open_incidents(page, actor, services, 1)
    with_one = count_queries(lambda: page_status(page))

    add_open_incidents(page, actor, services, 29)
    with_thirty = count_queries(lambda: page_status(page))

    assert len(page_status(page).open_incidents) == 30
    assert len(page_status(page).active_maintenances) == 30
    assert with_thirty == with_one
    assert with_one <= 10


def test_outage_figures_queries_stay_flat(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    services = [add_service("API", start_date=dt.date(2026, 1, 1)),
                add_service("Web", start_date=dt.date(2026, 1, 1))]
    window = (dt.date(2025, 12, 11), dt.date(2026, 3, 10))
    add_history(page, actor, services, range(1), clock)
    with_one = count_queries(lambda: outage_figures(page, *window))

    add_history(page, actor, services, range(1, 30), clock)
    with_thirty = count_queries(lambda: outage_figures(page, *window))

    api_figures = outage_figures(page, *window)[0]
    assert sum(day.major_outage + day.partial_outage for day in api_figures.days) == 30 * 20
    assert with_thirty == with_one
    assert with_one <= 10


# Rule of the current state, over any mix of incidents


@dataclass(frozen=True)
class IncidentPlan:
    """An incident to build: indexes of its services, its event states, and whether it closes.

    `named` lists the services that the later events name (a partial fix), or None.
    """

    services: frozenset[int]
    states: list[State]
    named: frozenset[int] | None
    closed: bool


service_indexes = st.frozensets(st.integers(0, 2))
incident_plans = st.lists(
    st.builds(
        IncidentPlan,
        services=service_indexes,
        states=st.lists(st.sampled_from(list(State)), min_size=1, max_size=3),
        named=st.none() | service_indexes,
        closed=st.booleans(),
    ),
    max_size=5,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=incident_plans)
def test_service_state_is_worst_latest_open_state(
    page: Page, actor: Actor, plans: list[IncidentPlan]
) -> None:
    """Build any mix of incidents: each service shows the worst latest state that concerns it."""
    with time_machine.travel(NOW, tick=False) as clock, transaction.atomic():
        services = [pages.add_service(page, name=name, actor=actor)
                    for name in ("API", "Web", "Mail")]
        expected: dict[int, list[State]] = {service.pk: [] for service in services}
        open_titles = []
        for number, plan in enumerate(plans):
            title = f"Incident {number}"
            affected = [services[index] for index in sorted(plan.services)]
            named = None if plan.named is None else [services[i] for i in sorted(plan.named)]
            latest = plan.states[0]
            if latest == State.OPERATIONAL:
                latest = State.MAJOR_OUTAGE
            incident = open_incident(page, actor, affected, latest, title=title)
            concerned = affected
            for state in plan.states[1:]:
                clock.shift(MINUTE)
                incidents.post_event(incident, text="Update.", state=state,
                                     status=Status.IDENTIFIED, services=named, actor=actor)
                concerned = affected if named is None else named
                latest = state
            if plan.closed:
                incidents.close_incident(incident, actor=actor)
                continue
            open_titles.append(title)
            for service in concerned:
                expected[service.pk].append(latest)
            clock.shift(MINUTE)

        status = page_status(page)
        assert {item.service.pk: item.state.value for item in status.services} == {
            service_id: worst(states).value for service_id, states in expected.items()
        }
        assert list(status.banner.titles) == open_titles
        transaction.set_rollback(True)
