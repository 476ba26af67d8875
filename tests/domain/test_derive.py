"""Tests of the derived states and outage figures, with local days in real time zones."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.domain.derive import (
    DayFigures,
    EventPoint,
    IncidentTimeline,
    OpenIncident,
    Segment,
    banner,
    daily_figures,
    day_length_minutes,
    incident_segments,
    incident_state_for_service,
    local_day_bounds,
    local_day_start,
    merge_worst,
    page_segments,
    service_display_state,
    service_segments,
    window_uptime,
)
from heliograph.domain.vocab import BannerColorRule, DisplayState, State

SYDNEY = ZoneInfo("Australia/Sydney")
BERLIN = ZoneInfo("Europe/Berlin")
ZONE_NAMES = [
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Chicago",
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",
]
NOW = datetime(2030, 1, 1, tzinfo=UTC)
FAR_FUTURE = date(2100, 1, 1)
SERVICE = 1
OTHER_SERVICE = 2


def outage(
    start: datetime,
    end: datetime,
    state: State = State.MAJOR_OUTAGE,
    *,
    incident_id: int = 1,
    services: frozenset[int] = frozenset({SERVICE}),
) -> IncidentTimeline:
    """Build a closed incident that held `state` from `start` to `end`."""
    return IncidentTimeline(
        incident_id=incident_id,
        events=(
            EventPoint(at=start, state=state, service_ids=services),
            EventPoint(at=end, state=State.OPERATIONAL, service_ids=services),
        ),
        closed_at=end,
    )


def figures_by_date(
    timelines: list[IncidentTimeline],
    tz: ZoneInfo,
    start: date,
    end: date,
    service_id: int = SERVICE,
) -> dict[date, DayFigures]:
    segments = service_segments(timelines, service_id, NOW)
    days = daily_figures(segments, tz, start, end, first_day=None, today=FAR_FUTURE)
    return {day.date: day for day in days}


# --- Fixed cases ---------------------------------------------------------------------------


def test_sydney_morning_outage_counts_on_local_date() -> None:
    # 07:00-08:30 AEST on 12 May is 21:00-22:30 UTC on 11 May.
    timeline = outage(
        datetime(2026, 5, 12, 7, 0, tzinfo=SYDNEY), datetime(2026, 5, 12, 8, 30, tzinfo=SYDNEY)
    )
    figures = figures_by_date([timeline], SYDNEY, date(2026, 5, 11), date(2026, 5, 12))

    assert figures[date(2026, 5, 12)].major_outage == 90
    assert figures[date(2026, 5, 11)].major_outage == 0
    assert figures[date(2026, 5, 11)].worst is State.OPERATIONAL


def test_outage_across_midnight_splits_between_days() -> None:
    timeline = outage(
        datetime(2026, 5, 12, 23, 40, tzinfo=SYDNEY), datetime(2026, 5, 13, 0, 40, tzinfo=SYDNEY)
    )
    figures = figures_by_date([timeline], SYDNEY, date(2026, 5, 12), date(2026, 5, 13))

    assert figures[date(2026, 5, 12)].major_outage == 20
    assert figures[date(2026, 5, 13)].major_outage == 40


def test_overlapping_major_outages_count_once() -> None:
    first = outage(
        datetime(2026, 5, 12, 10, 0, tzinfo=UTC),
        datetime(2026, 5, 12, 10, 45, tzinfo=UTC),
        incident_id=1,
    )
    second = outage(
        datetime(2026, 5, 12, 10, 15, tzinfo=UTC),
        datetime(2026, 5, 12, 11, 0, tzinfo=UTC),
        incident_id=2,
    )
    figures = figures_by_date(
        [first, second], ZoneInfo("UTC"), date(2026, 5, 12), date(2026, 5, 12)
    )

    assert figures[date(2026, 5, 12)].major_outage == 60
    assert figures[date(2026, 5, 12)].down == 60


@pytest.mark.parametrize("partial_first", [True, False])
def test_overlapping_partial_and_major_major_wins(partial_first: bool) -> None:
    early = (datetime(2026, 5, 12, 10, 0, tzinfo=UTC), datetime(2026, 5, 12, 10, 45, tzinfo=UTC))
    late = (datetime(2026, 5, 12, 10, 15, tzinfo=UTC), datetime(2026, 5, 12, 11, 0, tzinfo=UTC))
    early_state, late_state = (
        (State.PARTIAL_OUTAGE, State.MAJOR_OUTAGE)
        if partial_first
        else (State.MAJOR_OUTAGE, State.PARTIAL_OUTAGE)
    )
    timelines = [
        outage(*early, early_state, incident_id=1),
        outage(*late, late_state, incident_id=2),
    ]
    day = figures_by_date(timelines, ZoneInfo("UTC"), date(2026, 5, 12), date(2026, 5, 12))[
        date(2026, 5, 12)
    ]

    assert day.major_outage == 45
    assert day.partial_outage == 15
    assert day.down == 60
    assert day.worst is State.MAJOR_OUTAGE


def test_outage_before_window_counts_only_inside() -> None:
    timeline = outage(
        datetime(2026, 6, 1, 22, 0, tzinfo=UTC), datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
    )
    segments = service_segments([timeline], SERVICE, NOW)
    days = daily_figures(
        segments,
        ZoneInfo("UTC"),
        date(2026, 6, 2),
        date(2026, 6, 3),
        first_day=None,
        today=FAR_FUTURE,
    )

    assert [day.date for day in days] == [date(2026, 6, 2), date(2026, 6, 3)]
    assert days[0].major_outage == 1440
    assert days[1].major_outage == 120
    assert window_uptime(days) == pytest.approx(1 - 1560 / 2880)


def test_berlin_dst_day_lengths() -> None:
    assert day_length_minutes(date(2026, 3, 29), BERLIN) == 1380
    assert day_length_minutes(date(2026, 10, 25), BERLIN) == 1500
    assert day_length_minutes(date(2026, 3, 28), BERLIN) == 1440


def test_berlin_spring_forward_outage_is_real_minutes() -> None:
    # 01:30 CET to 03:30 CEST: the clock jumps from 02:00 to 03:00 in between.
    timeline = outage(
        datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN), datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    )
    day = figures_by_date([timeline], BERLIN, date(2026, 3, 29), date(2026, 3, 29))[
        date(2026, 3, 29)
    ]

    assert day.major_outage == 60
    assert day.minutes == 1380


def test_berlin_fall_back_outage_is_real_minutes() -> None:
    # 01:30 CEST to 03:30 CET: the hour from 02:00 to 03:00 happens twice in between.
    timeline = outage(
        datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN), datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN)
    )
    day = figures_by_date([timeline], BERLIN, date(2026, 10, 25), date(2026, 10, 25))[
        date(2026, 10, 25)
    ]

    assert day.major_outage == 180
    assert day.minutes == 1500


def test_berlin_repeated_hour_uses_fold() -> None:
    # 02:30 on the first pass (CEST, fold=0) to 02:30 on the second pass (CET, fold=1).
    timeline = outage(
        datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
    )
    day = figures_by_date([timeline], BERLIN, date(2026, 10, 25), date(2026, 10, 25))[
        date(2026, 10, 25)
    ]

    assert day.major_outage == 60


def test_days_before_first_day_have_no_data() -> None:
    timeline = outage(
        datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
    )
    segments = service_segments([timeline], SERVICE, NOW)
    days = daily_figures(
        segments,
        ZoneInfo("UTC"),
        date(2026, 6, 1),
        date(2026, 6, 4),
        first_day=date(2026, 6, 2),
        today=date(2026, 6, 3),
    )
    by_date = {day.date: day for day in days}

    assert by_date[date(2026, 6, 1)].no_data
    assert by_date[date(2026, 6, 1)].uptime is None
    assert by_date[date(2026, 6, 1)].worst is None
    assert by_date[date(2026, 6, 1)].down == 0
    assert not by_date[date(2026, 6, 2)].no_data
    assert by_date[date(2026, 6, 2)].uptime == 0.0
    assert by_date[date(2026, 6, 3)].uptime == pytest.approx(1 - 600 / 1440)
    assert by_date[date(2026, 6, 4)].no_data
    assert by_date[date(2026, 6, 4)].uptime is None
    assert window_uptime(days) == pytest.approx(1 - 2040 / 2880)


def test_window_uptime_without_data_is_none() -> None:
    days = daily_figures(
        [],
        ZoneInfo("UTC"),
        date(2026, 6, 1),
        date(2026, 6, 2),
        first_day=None,
        today=date(2026, 5, 1),
    )

    assert all(day.no_data for day in days)
    assert window_uptime(days) is None


def test_resolving_one_incident_leaves_the_other_state() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    major = IncidentTimeline(
        incident_id=1,
        events=(EventPoint(opened, State.MAJOR_OUTAGE, frozenset({SERVICE})),),
        closed_at=None,
    )
    degraded = IncidentTimeline(
        incident_id=2,
        events=(EventPoint(opened, State.DEGRADED_PERFORMANCE, frozenset({SERVICE})),),
        closed_at=None,
    )
    resolved_major = IncidentTimeline(
        incident_id=1,
        events=(
            *major.events,
            EventPoint(opened + timedelta(hours=1), State.OPERATIONAL, frozenset({SERVICE})),
        ),
        closed_at=opened + timedelta(hours=1),
    )

    before = [incident_state_for_service(timeline, SERVICE) for timeline in (major, degraded)]
    after = [
        incident_state_for_service(timeline, SERVICE) for timeline in (resolved_major, degraded)
    ]

    assert service_display_state(before, under_maintenance=False) is DisplayState.MAJOR_OUTAGE
    assert (
        service_display_state(after, under_maintenance=False) is DisplayState.DEGRADED_PERFORMANCE
    )


def test_maintenance_never_hides_open_incident() -> None:
    assert (
        service_display_state([State.PARTIAL_OUTAGE], under_maintenance=True)
        is DisplayState.PARTIAL_OUTAGE
    )
    assert (
        service_display_state([State.DEGRADED_PERFORMANCE], under_maintenance=True)
        is DisplayState.DEGRADED_PERFORMANCE
    )


def test_maintenance_shows_when_nothing_open() -> None:
    assert service_display_state([], under_maintenance=True) is DisplayState.UNDER_MAINTENANCE
    assert (
        service_display_state([State.OPERATIONAL], under_maintenance=True)
        is DisplayState.UNDER_MAINTENANCE
    )
    assert service_display_state([], under_maintenance=False) is DisplayState.OPERATIONAL


def test_banner_without_incidents_shows_default() -> None:
    result = banner([], BannerColorRule.FIRST_OPENED, "All systems operational")

    assert result.message == "All systems operational"
    assert result.state is DisplayState.OPERATIONAL
    assert result.incident_ids == ()


def test_banner_without_incidents_during_maintenance() -> None:
    result = banner(
        [], BannerColorRule.FIRST_OPENED, "All systems operational", maintenance_in_progress=True
    )

    assert result.message == "All systems operational"
    assert result.state is DisplayState.UNDER_MAINTENANCE


def _two_open_incidents() -> list[OpenIncident]:
    # Given newest first, to check that the banner orders them by opening time.
    return [
        OpenIncident(
            incident_id=7,
            title="Payments failing",
            state=State.MAJOR_OUTAGE,
            opened_at=datetime(2026, 6, 1, 11, 0, tzinfo=UTC),
        ),
        OpenIncident(
            incident_id=9,
            title="Slow API",
            state=State.DEGRADED_PERFORMANCE,
            opened_at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        ),
    ]


def test_banner_first_opened_colour() -> None:
    result = banner(_two_open_incidents(), BannerColorRule.FIRST_OPENED, "All good")

    assert result.message == "Slow API · Payments failing"
    assert result.incident_ids == (9, 7)
    assert result.titles == ("Slow API", "Payments failing")
    assert result.state is DisplayState.DEGRADED_PERFORMANCE


def test_banner_worst_colour() -> None:
    result = banner(_two_open_incidents(), BannerColorRule.WORST, "All good")

    assert result.message == "Slow API · Payments failing"
    assert result.state is DisplayState.MAJOR_OUTAGE


def test_banner_same_opening_time_orders_by_id() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    incidents = [
        OpenIncident(5, "Second", State.MAJOR_OUTAGE, opened),
        OpenIncident(4, "First", State.PARTIAL_OUTAGE, opened),
    ]
    result = banner(incidents, BannerColorRule.FIRST_OPENED, "All good")

    assert result.incident_ids == (4, 5)
    assert result.state is DisplayState.PARTIAL_OUTAGE


def test_incident_over_three_days_shows_on_each() -> None:
    timeline = outage(
        datetime(2026, 7, 1, 20, 0, tzinfo=SYDNEY),
        datetime(2026, 7, 3, 4, 0, tzinfo=SYDNEY),
        State.PARTIAL_OUTAGE,
    )
    figures = figures_by_date([timeline], SYDNEY, date(2026, 6, 30), date(2026, 7, 4))

    assert figures[date(2026, 7, 1)].partial_outage == 240
    assert figures[date(2026, 7, 2)].partial_outage == 1440
    assert figures[date(2026, 7, 3)].partial_outage == 240
    assert figures[date(2026, 7, 2)].worst is State.PARTIAL_OUTAGE
    assert figures[date(2026, 6, 30)].down == 0
    assert figures[date(2026, 7, 4)].down == 0


def test_event_dropping_service_ends_its_outage() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    partial_fix = opened + timedelta(minutes=25)
    closed = opened + timedelta(minutes=70)
    timeline = IncidentTimeline(
        incident_id=1,
        events=(
            EventPoint(opened, State.MAJOR_OUTAGE, frozenset({SERVICE, OTHER_SERVICE})),
            EventPoint(partial_fix, State.MAJOR_OUTAGE, frozenset({SERVICE})),
            EventPoint(closed, State.OPERATIONAL, frozenset({SERVICE, OTHER_SERVICE})),
        ),
        closed_at=closed,
    )

    assert incident_segments(timeline, OTHER_SERVICE, NOW) == [
        Segment(opened, partial_fix, State.MAJOR_OUTAGE)
    ]
    assert incident_segments(timeline, SERVICE, NOW) == [
        Segment(opened, closed, State.MAJOR_OUTAGE)
    ]


def test_latest_event_without_service_gives_operational() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    timeline = IncidentTimeline(
        incident_id=1,
        events=(
            EventPoint(opened, State.MAJOR_OUTAGE, frozenset({SERVICE, OTHER_SERVICE})),
            EventPoint(opened + timedelta(minutes=5), State.MAJOR_OUTAGE, frozenset({SERVICE})),
        ),
        closed_at=None,
    )

    assert incident_state_for_service(timeline, SERVICE) is State.MAJOR_OUTAGE
    assert incident_state_for_service(timeline, OTHER_SERVICE) is State.OPERATIONAL


def test_open_incident_lasts_until_now() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    timeline = IncidentTimeline(
        incident_id=1,
        events=(EventPoint(opened, State.PARTIAL_OUTAGE, frozenset({SERVICE})),),
        closed_at=None,
    )
    now = opened + timedelta(minutes=42)

    assert incident_segments(timeline, SERVICE, now) == [Segment(opened, now, State.PARTIAL_OUTAGE)]


def test_events_at_same_instant_last_wins() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    closed = opened + timedelta(minutes=30)
    timeline = IncidentTimeline(
        incident_id=1,
        events=(
            EventPoint(opened, State.MAJOR_OUTAGE, frozenset({SERVICE})),
            EventPoint(opened, State.DEGRADED_PERFORMANCE, frozenset({SERVICE})),
            EventPoint(closed, State.OPERATIONAL, frozenset({SERVICE})),
        ),
        closed_at=closed,
    )

    assert incident_segments(timeline, SERVICE, NOW) == [
        Segment(opened, closed, State.DEGRADED_PERFORMANCE)
    ]


def test_timeline_sorts_events_keeping_ties() -> None:
    opened = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    later = opened + timedelta(minutes=10)
    tie_first = EventPoint(later, State.MAJOR_OUTAGE, frozenset({SERVICE}))
    tie_second = EventPoint(later, State.PARTIAL_OUTAGE, frozenset({SERVICE}))
    first = EventPoint(opened, State.DEGRADED_PERFORMANCE, frozenset({SERVICE}))

    timeline = IncidentTimeline(1, (tie_first, first, tie_second), closed_at=None)

    assert timeline.events == (first, tie_first, tie_second)


def test_page_segments_take_worst_service() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    api = [Segment(start, start + timedelta(minutes=60), State.PARTIAL_OUTAGE)]
    database = [
        Segment(start + timedelta(minutes=30), start + timedelta(minutes=90), State.MAJOR_OUTAGE)
    ]

    assert page_segments([api, database]) == [
        Segment(start, start + timedelta(minutes=30), State.PARTIAL_OUTAGE),
        Segment(start + timedelta(minutes=30), start + timedelta(minutes=90), State.MAJOR_OUTAGE),
    ]


def test_merge_worst_joins_and_drops_operational() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    pieces = [
        Segment(start + 10 * minute, start + 20 * minute, State.DEGRADED_PERFORMANCE),
        Segment(start, start + 10 * minute, State.DEGRADED_PERFORMANCE),
        Segment(start + 20 * minute, start + 30 * minute, State.OPERATIONAL),
        Segment(start + 15 * minute, start + 40 * minute, State.OPERATIONAL),
    ]

    assert merge_worst(pieces) == [Segment(start, start + 20 * minute, State.DEGRADED_PERFORMANCE)]


def test_daily_figures_merge_raw_segments() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    overlapping = [
        Segment(start, start + 2 * hour, State.MAJOR_OUTAGE),
        Segment(start + hour, start + 3 * hour, State.MAJOR_OUTAGE),
    ]
    days = daily_figures(
        overlapping,
        ZoneInfo("UTC"),
        date(2026, 6, 1),
        date(2026, 6, 1),
        first_day=None,
        today=FAR_FUTURE,
    )

    assert days[0].major_outage == 180


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 6, 1, 10, 0)

    with pytest.raises(ValueError, match=r"EventPoint\.at is a naive datetime"):
        EventPoint(naive, State.MAJOR_OUTAGE, frozenset({SERVICE}))
    with pytest.raises(ValueError, match=r"now is a naive datetime"):
        incident_segments(IncidentTimeline(1, (), None), SERVICE, naive)
    with pytest.raises(ValueError, match=r"Segment\.start is a naive datetime"):
        Segment(naive, datetime(2026, 6, 1, 11, 0, tzinfo=UTC), State.MAJOR_OUTAGE)


def test_aware_datetimes_stored_as_utc() -> None:
    event = EventPoint(datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN), State.MAJOR_OUTAGE, frozenset())

    assert event.at.tzinfo is UTC
    assert event.at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def test_empty_segment_rejected() -> None:
    instant = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)

    with pytest.raises(ValueError, match=r"Segment\.end .* must be after Segment\.start"):
        Segment(instant, instant, State.MAJOR_OUTAGE)


def test_daily_figures_reversed_range_rejected() -> None:
    with pytest.raises(ValueError, match=r"end .* is before start"):
        daily_figures(
            [],
            ZoneInfo("UTC"),
            date(2026, 6, 2),
            date(2026, 6, 1),
            first_day=None,
            today=FAR_FUTURE,
        )


def test_day_starts_at_change_when_midnight_skipped() -> None:
    # In Chile, 2022-09-11 began at 01:00 -03 because clocks went from 24:00 -04 to 01:00 -03.
    santiago = ZoneInfo("America/Santiago")
    start, end = local_day_bounds(date(2022, 9, 11), santiago)

    assert start == datetime(2022, 9, 11, 4, 0, tzinfo=UTC)
    assert end == datetime(2022, 9, 12, 3, 0, tzinfo=UTC)
    assert day_length_minutes(date(2022, 9, 11), santiago) == 1380


def test_skipped_day_has_zero_length() -> None:
    # Samoa moved across the date line: 2011-12-29 23:59:59 -10 was followed by 2011-12-31 +14.
    apia = ZoneInfo("Pacific/Apia")

    assert day_length_minutes(date(2011, 12, 30), apia) == 0
    assert local_day_start(date(2011, 12, 30), apia) == datetime(2011, 12, 30, 10, 0, tzinfo=UTC)
    assert day_length_minutes(date(2011, 12, 29), apia) == 1440
    assert day_length_minutes(date(2011, 12, 31), apia) == 1440


def test_day_starts_at_first_of_repeated_midnight() -> None:
    # In Cuba, clocks went from 01:00 -04 back to 00:00 -05 on 2025-11-02, so midnight came twice.
    havana = ZoneInfo("America/Havana")
    start, end = local_day_bounds(date(2025, 11, 2), havana)

    assert start == datetime(2025, 11, 2, 4, 0, tzinfo=UTC)
    assert end == datetime(2025, 11, 3, 5, 0, tzinfo=UTC)
    assert day_length_minutes(date(2025, 11, 1), havana) == 1440


# --- Properties ----------------------------------------------------------------------------

zones = st.sampled_from(ZONE_NAMES).map(ZoneInfo)
# From 1973 on, every offset in the tz database is a whole number of minutes, so day lengths
# in minutes are exact.
anchors = st.datetimes(
    min_value=datetime(1973, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)
states = st.sampled_from(list(State))
service_sets = st.sampled_from(
    [frozenset({SERVICE}), frozenset({OTHER_SERVICE}), frozenset({SERVICE, OTHER_SERVICE})]
)


@st.composite
def timelines_near(draw: st.DrawFn, anchor: datetime, incident_id: int) -> IncidentTimeline:
    """Draw an incident whose events fall within about ten days after `anchor`."""
    at = anchor + timedelta(seconds=draw(st.integers(0, 3 * 86400)))
    events = []
    for _ in range(draw(st.integers(1, 5))):
        events.append(EventPoint(at, draw(states), draw(service_sets)))
        at += timedelta(seconds=draw(st.integers(0, 36 * 3600)))
    closed_at = at if draw(st.booleans()) else None
    return IncidentTimeline(incident_id, tuple(events), closed_at)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime]:
    """Draw a zone, an anchor, a few incidents after it and a `now` that may cut them short."""
    tz = draw(zones)
    anchor = draw(anchors)
    count = draw(st.integers(0, 4))
    timelines = [draw(timelines_near(anchor, incident_id)) for incident_id in range(count)]
    now = anchor + timedelta(seconds=draw(st.integers(0, 12 * 86400)))
    return tz, anchor, timelines, now


@st.composite
def windows(draw: st.DrawFn, tz: ZoneInfo, anchor: datetime) -> tuple[date, date]:
    """Draw a window of local days that may start before or inside the incidents."""
    first = anchor.astimezone(tz).date() + timedelta(days=draw(st.integers(-2, 6)))
    return first, first + timedelta(days=draw(st.integers(0, 10)))


def _utc_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _state_at(
    timeline: IncidentTimeline, service_id: int, instant: datetime, now: datetime
) -> State:
    """Compute one incident's state for a service at an instant by scanning its events."""
    if instant >= now or (timeline.closed_at is not None and instant >= timeline.closed_at):
        return State.OPERATIONAL
    in_force = [event for event in timeline.events if event.at <= instant]
    if not in_force or service_id not in in_force[-1].service_ids:
        return State.OPERATIONAL
    return in_force[-1].state


def _segment_state_at(segments: list[Segment], instant: datetime) -> State:
    for segment in segments:
        if segment.start <= instant < segment.end:
            return segment.state
    return State.OPERATIONAL


@settings(max_examples=300, deadline=None)
@given(data=st.data(), scenario=scenarios())
def test_day_minutes_within_day_length(
    data: st.DataObject,
    scenario: tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime],
) -> None:
    tz, anchor, timelines, now = scenario
    start, end = data.draw(windows(tz, anchor))
    segments = service_segments(timelines, SERVICE, now)

    for day in daily_figures(segments, tz, start, end, first_day=None, today=FAR_FUTURE):
        counted = day.degraded_performance + day.partial_outage + day.major_outage
        assert day.degraded_performance >= 0
        assert day.partial_outage >= 0
        assert day.major_outage >= 0
        assert counted <= day.minutes + 1e-9
        assert day.uptime is not None
        assert 0 <= day.uptime <= 1


@settings(max_examples=300, deadline=None)
@given(data=st.data(), scenario=scenarios())
def test_day_sums_equal_window_overlap(
    data: st.DataObject,
    scenario: tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime],
) -> None:
    tz, anchor, timelines, now = scenario
    start, end = data.draw(windows(tz, anchor))
    segments = service_segments(timelines, SERVICE, now)
    # Subtracting two datetimes that share a ZoneInfo gives wall-clock time, so convert to UTC.
    window_start = _utc_midnight(start, tz)
    window_end = _utc_midnight(end + timedelta(days=1), tz)
    days = daily_figures(segments, tz, start, end, first_day=None, today=FAR_FUTURE)

    expected = dict.fromkeys(State, 0.0)
    for segment in segments:
        overlap = min(segment.end, window_end) - max(segment.start, window_start)
        expected[segment.state] += max(overlap.total_seconds(), 0) / 60

    assert sum(day.degraded_performance for day in days) == pytest.approx(
        expected[State.DEGRADED_PERFORMANCE], abs=1e-6
    )
    assert sum(day.partial_outage for day in days) == pytest.approx(
        expected[State.PARTIAL_OUTAGE], abs=1e-6
    )
    assert sum(day.major_outage for day in days) == pytest.approx(
        expected[State.MAJOR_OUTAGE], abs=1e-6
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), scenario=scenarios())
def test_overlapping_incident_never_lowers_down(
    data: st.DataObject,
    scenario: tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime],
) -> None:
    tz, anchor, timelines, now = scenario
    if not timelines:
        timelines = [data.draw(timelines_near(anchor, 0))]
    overlapped = data.draw(st.sampled_from(timelines))
    # The extra incident opens on the service within two hours after `overlapped` opens.
    extra_start = overlapped.events[0].at + timedelta(seconds=data.draw(st.integers(0, 7200)))
    extra = IncidentTimeline(
        incident_id=100,
        events=(
            EventPoint(extra_start, data.draw(states), frozenset({SERVICE})),
            EventPoint(
                extra_start + timedelta(seconds=data.draw(st.integers(1, 86400))),
                data.draw(states),
                data.draw(service_sets),
            ),
        ),
        closed_at=None,
    )
    start, end = data.draw(windows(tz, anchor))

    def down_by_day(incidents: list[IncidentTimeline]) -> list[float]:
        segments = service_segments(incidents, SERVICE, now)
        figures = daily_figures(segments, tz, start, end, first_day=None, today=FAR_FUTURE)
        return [day.down for day in figures]

    without = down_by_day(timelines)
    with_extra = down_by_day([*timelines, extra])

    for before, after in zip(without, with_extra, strict=True):
        assert after >= before - 1e-9


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_merged_segments_sorted_and_disjoint(
    scenario: tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime],
) -> None:
    _, _, timelines, now = scenario
    merged = service_segments(timelines, SERVICE, now)

    for earlier, later in pairwise(merged):
        assert earlier.end <= later.start
        assert earlier.end < later.start or earlier.state is not later.state
    assert all(segment.state is not State.OPERATIONAL for segment in merged)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_merged_state_is_worst_incident_state(
    scenario: tuple[ZoneInfo, datetime, list[IncidentTimeline], datetime],
) -> None:
    _, _, timelines, now = scenario
    merged = service_segments(timelines, SERVICE, now)
    boundaries = sorted(
        {event.at for timeline in timelines for event in timeline.events}
        | {timeline.closed_at for timeline in timelines if timeline.closed_at is not None}
        | {now}
    )
    # Between two consecutive boundaries no incident changes state, so the midpoints and the
    # boundaries themselves cover every distinct case.
    probes = [*boundaries]
    probes += [a + (b - a) / 2 for a, b in pairwise(boundaries)]

    for instant in probes:
        expected = max(
            (_state_at(timeline, SERVICE, instant, now) for timeline in timelines),
            key=lambda state: state.severity,
            default=State.OPERATIONAL,
        )
        assert _segment_state_at(merged, instant) is expected, instant


@settings(max_examples=500, deadline=None)
@given(
    zone_name=st.sampled_from(sorted(available_timezones())),
    day=st.dates(min_value=date(1973, 1, 1), max_value=date(2037, 12, 31)),
)
def test_day_start_is_first_instant_of_day(zone_name: str, day: date) -> None:
    tz = ZoneInfo(zone_name)
    start, end = local_day_bounds(day, tz)
    second = timedelta(seconds=1)

    assert start <= end
    assert start.astimezone(tz).date() >= day
    assert (start - second).astimezone(tz).date() < day
    if start < end:
        assert start.astimezone(tz).date() == day
        assert (end - second).astimezone(tz).date() == day


@settings(max_examples=300, deadline=None)
@given(
    tz=zones,
    first=st.dates(min_value=date(1973, 1, 1), max_value=date(2099, 1, 1)),
    count=st.integers(0, 800),
)
def test_day_lengths_sum_to_elapsed_minutes(tz: ZoneInfo, first: date, count: int) -> None:
    last = first + timedelta(days=count)
    days = [first + timedelta(days=offset) for offset in range(count)]
    # None of these zones changes offset at midnight, so local midnight always exists.
    elapsed = _utc_midnight(last, tz) - _utc_midnight(first, tz)

    lengths = [day_length_minutes(day, tz) for day in days]

    assert sum(lengths) == elapsed.total_seconds() / 60
    assert set(lengths) <= {1380, 1440, 1500}
