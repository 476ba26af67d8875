"""Derived states and outage figures, computed from incident events.

Everything here is pure: the caller loads incidents, events and maintenances, resolves which
services each event concerns, and passes plain values in. Instants are timezone-aware; they are
converted to UTC on the way in, and a naive datetime raises ValueError. Calendar days are local
days in the page's time zone, so a day lasts 23, 24 or 25 hours across a DST change.

The outage figures cost O(n log n) in the number of events, plus one step per day and per day
that a segment touches. There are no per-minute loops. Segments are merged with a sweep over
their sorted boundaries, and a cursor over the merged segments walks the days.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from heliograph.domain.vocab import BannerColorRule, DisplayState, State, worst

__all__ = [
    "Banner",
    "DayFigures",
    "EventPoint",
    "IncidentTimeline",
    "OpenIncident",
    "Segment",
    "banner",
    "daily_figures",
    "day_length_minutes",
    "incident_segments",
    "incident_state_for_service",
    "local_day_bounds",
    "local_day_start",
    "merge_worst",
    "page_segments",
    "service_display_state",
    "service_segments",
    "window_uptime",
]

BANNER_SEPARATOR = " · "

_STATES = tuple(State)
_STATE_BY_SEVERITY = {state.severity: state for state in State}
_MAX_SEVERITY = max(_STATE_BY_SEVERITY)
_ZERO = timedelta(0)
_ONE_SECOND = timedelta(seconds=1)


def _as_utc(value: datetime, field: str) -> datetime:
    """Return `value` converted to UTC, or raise ValueError when it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{field} is a naive datetime ({value.isoformat()}). Pass a timezone-aware one, "
            "such as datetime.now(UTC) or a value with tzinfo=UTC."
        )
    return value.astimezone(UTC)


# --- Inputs and segments -------------------------------------------------------------------


@dataclass(frozen=True)
class EventPoint:
    """One incident event, reduced to what the derived state and the figures need."""

    at: datetime
    state: State
    service_ids: frozenset[int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _as_utc(self.at, "EventPoint.at"))
        object.__setattr__(self, "service_ids", frozenset(self.service_ids))


@dataclass(frozen=True)
class IncidentTimeline:
    """The events of one incident, oldest first, and when it closed (None while open).

    Events are sorted by time on construction. The sort is stable, so events with the same
    time keep the order given, and the last of them is the one in force.
    """

    incident_id: int
    events: tuple[EventPoint, ...]
    closed_at: datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda event: event.at)))
        if self.closed_at is not None:
            object.__setattr__(
                self, "closed_at", _as_utc(self.closed_at, "IncidentTimeline.closed_at")
            )


@dataclass(frozen=True)
class Segment:
    """A half-open span of time [start, end) during which a service was in `state`."""

    start: datetime
    end: datetime
    state: State

    def __post_init__(self) -> None:
        start = _as_utc(self.start, "Segment.start")
        end = _as_utc(self.end, "Segment.end")
        if end <= start:
            raise ValueError(
                f"Segment.end ({end.isoformat()}) must be after Segment.start "
                f"({start.isoformat()}). Drop empty spans before building a Segment."
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


# A span is a Segment before validation: building plain tuples while joining and creating each
# Segment once keeps the validation in Segment.__post_init__ out of the inner loops.
_Span = tuple[datetime, datetime, State]


def _append_joined(spans: list[_Span], start: datetime, end: datetime, state: State) -> None:
    """Append [start, end) in `state`, extending the last span when the two touch and match."""
    if spans and spans[-1][1] == start and spans[-1][2] is state:
        spans[-1] = (spans[-1][0], end, state)
    else:
        spans.append((start, end, state))


def _to_segments(spans: list[_Span]) -> list[Segment]:
    return [Segment(start, end, state) for start, end, state in spans]


def incident_segments(timeline: IncidentTimeline, service_id: int, now: datetime) -> list[Segment]:
    """Return the non-operational spans that one incident gave one service, oldest first.

    Each event is in force from its time until the next event's time. It gives the service its
    state when the service is among the event's service_ids, and operational otherwise. The last
    event of an open incident lasts until `now`, and a closed incident ends at `closed_at`.
    Nothing counts after `now`, so a figure computed at `now` never reports future time.
    """
    stop = _as_utc(now, "now")
    if timeline.closed_at is not None:
        stop = min(stop, timeline.closed_at)

    spans: list[_Span] = []
    events = timeline.events
    for index, event in enumerate(events):
        next_at = events[index + 1].at if index + 1 < len(events) else stop
        end = min(next_at, stop)
        if end <= event.at or event.state is State.OPERATIONAL:
            continue
        if service_id not in event.service_ids:
            continue
        _append_joined(spans, event.at, end, event.state)
    return _to_segments(spans)


def merge_worst(segments: Iterable[Segment]) -> list[Segment]:
    """Merge possibly overlapping segments so that the worst state wins at every instant.

    The result is sorted, its segments never overlap, touching segments of the same state are
    joined, and operational time is left out.
    """
    # Each boundary is (instant, +1 or -1, severity). The sweep keeps a count of open
    # segments per severity, so the worst state in force is the highest non-zero count.
    boundaries: list[tuple[datetime, int, int]] = []
    for segment in segments:
        severity = segment.state.severity
        if severity == 0:
            continue
        boundaries.append((segment.start, 1, severity))
        boundaries.append((segment.end, -1, severity))
    boundaries.sort(key=lambda boundary: boundary[0])

    open_counts = [0] * (_MAX_SEVERITY + 1)
    spans: list[_Span] = []
    index = 0
    while index < len(boundaries):
        instant = boundaries[index][0]
        while index < len(boundaries) and boundaries[index][0] == instant:
            _, delta, severity = boundaries[index]
            open_counts[severity] += delta
            index += 1
        if index == len(boundaries):
            break
        current = _MAX_SEVERITY
        while current and not open_counts[current]:
            current -= 1
        if current:
            _append_joined(spans, instant, boundaries[index][0], _STATE_BY_SEVERITY[current])
    return _to_segments(spans)


def _is_sorted_and_disjoint(segments: Sequence[Segment]) -> bool:
    return all(earlier.end <= later.start for earlier, later in pairwise(segments))


def service_segments(
    timelines: Iterable[IncidentTimeline], service_id: int, now: datetime
) -> list[Segment]:
    """Return the non-operational spans of one service over all incidents, worst state winning."""
    pieces: list[Segment] = []
    for timeline in timelines:
        pieces.extend(incident_segments(timeline, service_id, now))
    return merge_worst(pieces)


def page_segments(per_service_segments: Iterable[Iterable[Segment]]) -> list[Segment]:
    """Return the page-wide spans: at each instant, the worst state of any service.

    Page-wide daily figures are `daily_figures(page_segments(...), ...)`. Combining per-service
    daily figures instead would count twice the minutes in which two services were down.
    """
    return merge_worst(segment for segments in per_service_segments for segment in segments)


# --- Local days ----------------------------------------------------------------------------


def _local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


# Every service on a page needs the same days, so the bounds are cached per zone and day.
@lru_cache(maxsize=4096)
def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    """Return the first UTC instant whose local date in `tz` is `day` or later.

    That is local midnight. When midnight occurs twice (clocks set back across it), the day
    starts at the first one. When midnight does not exist (clocks set forward across it, as in
    America/Santiago or America/Havana), the day starts at the instant of the change. A day
    skipped entirely, such as 2011-12-30 in Pacific/Apia, starts where the next day starts.
    """
    midnight = datetime.combine(day, time())
    candidates = [midnight.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    existing = [
        instant for instant in candidates if instant.astimezone(tz).replace(tzinfo=None) == midnight
    ]
    if existing:
        return min(existing)
    return _first_instant_of_day(day, tz, min(candidates), max(candidates))


def _first_instant_of_day(day: date, tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """Bisect to the offset change that skips local midnight of `day`.

    `before` has a local date before `day` and `after` has `day` or later. Offset changes fall on
    whole seconds, so bisecting down to one second finds the change exactly, in about 17 steps
    for a gap of a day or less.
    """
    while after - before > _ONE_SECOND:
        middle = before + ((after - before) // 2 // _ONE_SECOND) * _ONE_SECOND
        if _local_date(middle, tz) < day:
            before = middle
        else:
            after = middle
    return after


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC instants [start, end) of the local calendar day `day` in `tz`."""
    return local_day_start(day, tz), local_day_start(day + timedelta(days=1), tz)


def _minutes(span: timedelta) -> float:
    return span.total_seconds() / 60


def _day_length(bounds: tuple[datetime, datetime]) -> int:
    # NOTE: a few zones used offsets with seconds, the last being Africa/Monrovia until 1972.
    # On the day such an offset changed, the day's real length is rounded to whole minutes.
    return round(_minutes(bounds[1] - bounds[0]))


def day_length_minutes(day: date, tz: ZoneInfo) -> int:
    """Return the real elapsed minutes of the local day: 1440, or e.g. 1380 or 1500 on DST days."""
    return _day_length(local_day_bounds(day, tz))


# --- Daily figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayFigures:
    """The outage figures of one local calendar day, in minutes.

    `no_data` days (before the service existed, or after today) carry zero minutes of each state,
    no worst state and no uptime, so that they neither raise nor lower an uptime.
    """

    date: date
    minutes: int
    degraded_performance: float
    partial_outage: float
    major_outage: float
    no_data: bool
    worst: State | None

    @property
    def down(self) -> float:
        """Minutes in partial or major outage."""
        return self.partial_outage + self.major_outage

    @property
    def uptime(self) -> float | None:
        """The fraction of the day not down, or None for a no-data or zero-length day."""
        if self.no_data or self.minutes == 0:
            return None
        return _uptime(self.down, self.minutes)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def daily_figures(
    segments: Iterable[Segment],
    tz: ZoneInfo,
    start: date,
    end: date,
    *,
    first_day: date | None,
    today: date,
) -> list[DayFigures]:
    """Compute the figures of each local day from `start` to `end`, both included.

    Only the part of each segment inside a day counts towards it. The segments may overlap (they
    are merged first, worst state winning), so one service's raw incident segments, its merged
    segments, or `page_segments` can all be passed.

    Days before `first_day` (no lower limit when None) and after `today` are no-data days. For a
    service, `first_day` is the earlier of its creation date and its first backfilled incident.
    Today counts as a whole day: segments stop at the `now` they were built with, so the rest of
    today counts as operational.
    """
    if end < start:
        raise ValueError(
            f"end ({end.isoformat()}) is before start ({start.isoformat()}); "
            "pass the earlier date as start"
        )
    segment_list = list(segments)
    merged = segment_list if _is_sorted_and_disjoint(segment_list) else merge_worst(segment_list)
    days = _days(start, end)
    starts = [local_day_start(day, tz) for day in [*days, end + timedelta(days=1)]]

    figures: list[DayFigures] = []
    cursor = 0
    for index, day in enumerate(days):
        bounds = (starts[index], starts[index + 1])
        while cursor < len(merged) and merged[cursor].end <= bounds[0]:
            cursor += 1
        if (first_day is not None and day < first_day) or day > today:
            figures.append(_no_data_day(day, _day_length(bounds)))
            continue
        figures.append(_day_from_segments(day, bounds, merged, cursor))
    return figures


def _no_data_day(day: date, minutes: int) -> DayFigures:
    return DayFigures(
        date=day,
        minutes=minutes,
        degraded_performance=0.0,
        partial_outage=0.0,
        major_outage=0.0,
        no_data=True,
        worst=None,
    )


def _day_from_segments(
    day: date, bounds: tuple[datetime, datetime], merged: list[Segment], cursor: int
) -> DayFigures:
    """Add up the overlap with one day of the sorted, disjoint segments from `cursor` on."""
    day_start, day_end = bounds
    totals = dict.fromkeys(_STATES, _ZERO)
    index = cursor
    while index < len(merged) and merged[index].start < day_end:
        segment = merged[index]
        overlap = min(segment.end, day_end) - max(segment.start, day_start)
        if overlap > _ZERO:
            totals[segment.state] += overlap
        index += 1

    return DayFigures(
        date=day,
        minutes=_day_length(bounds),
        degraded_performance=_minutes(totals[State.DEGRADED_PERFORMANCE]),
        partial_outage=_minutes(totals[State.PARTIAL_OUTAGE]),
        major_outage=_minutes(totals[State.MAJOR_OUTAGE]),
        no_data=False,
        worst=worst([state for state, total in totals.items() if total > _ZERO]),
    )


def window_uptime(days: Sequence[DayFigures]) -> float | None:
    """Return 1 - down minutes / minutes over the days with data, or None when there are none."""
    with_data = [day for day in days if not day.no_data]
    total_minutes = sum(day.minutes for day in with_data)
    if total_minutes == 0:
        return None
    return _uptime(sum(day.down for day in with_data), total_minutes)


def _uptime(down_minutes: float, minutes: int) -> float:
    # Down time never exceeds the day, but the sum of the per-state minutes can overshoot it by
    # a rounding error (1184.9667049 + 255.0332951 > 1440), which would give -2e-16.
    return min(1.0, max(0.0, 1 - down_minutes / minutes))


# --- Current state and banner --------------------------------------------------------------


def incident_state_for_service(timeline: IncidentTimeline, service_id: int) -> State:
    """Return the state an incident gives a service now: its latest event's, if that concerns it.

    A closed incident, an incident without events, and a latest event that leaves the service
    out (a partial fix) all give operational.
    """
    if timeline.closed_at is not None or not timeline.events:
        return State.OPERATIONAL
    latest = timeline.events[-1]
    if service_id not in latest.service_ids:
        return State.OPERATIONAL
    return latest.state


def service_display_state(
    open_incident_states: Iterable[State], under_maintenance: bool
) -> DisplayState:
    """Return the state a service shows: the worst of its open incidents' states.

    Under maintenance is shown only when no open incident makes the service worse than
    operational and a maintenance affecting it is in progress. It never hides an outage.
    """
    current = worst(list(open_incident_states))
    if current is State.OPERATIONAL and under_maintenance:
        return DisplayState.UNDER_MAINTENANCE
    return DisplayState(current.value)


@dataclass(frozen=True)
class OpenIncident:
    """An open incident as the banner needs it: its current state and when it opened."""

    incident_id: int
    title: str
    state: State
    opened_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "opened_at", _as_utc(self.opened_at, "OpenIncident.opened_at"))


@dataclass(frozen=True)
class Banner:
    """The status message at the top of the page.

    `incident_ids` and `titles` list the open incidents in the same order, oldest first, so a
    template can link each title to its incident.
    """

    message: str
    state: DisplayState
    incident_ids: tuple[int, ...]
    titles: tuple[str, ...]


def banner(
    open_incidents: Iterable[OpenIncident],
    rule: BannerColorRule,
    default_message: str,
    *,
    maintenance_in_progress: bool = False,
) -> Banner:
    """Build the page's status message from its open incidents.

    With no open incident, the message is `default_message` in operational green. When
    `maintenance_in_progress` is true, it is shown as under maintenance (blue) instead, so the
    banner matches the services that show "Under maintenance". Callers that want the banner
    green during maintenance pass False, the default.

    With open incidents, the message joins their titles, oldest first (ties broken by id), with
    " · ". Its state is the current state of the incident opened first, or the worst among them
    when `rule` is WORST. A maintenance in progress does not change that state.
    """
    ordered = sorted(
        open_incidents, key=lambda incident: (incident.opened_at, incident.incident_id)
    )
    if not ordered:
        state = (
            DisplayState.UNDER_MAINTENANCE if maintenance_in_progress else DisplayState.OPERATIONAL
        )
        return Banner(message=default_message, state=state, incident_ids=(), titles=())

    if rule is BannerColorRule.WORST:
        colour_state = worst([incident.state for incident in ordered])
    else:
        colour_state = ordered[0].state
    titles = tuple(incident.title for incident in ordered)
    return Banner(
        message=BANNER_SEPARATOR.join(titles),
        state=DisplayState(colour_state.value),
        incident_ids=tuple(incident.incident_id for incident in ordered),
        titles=titles,
    )
