"""The mapping of source statuses, impacts and component statuses onto Heliograph's words."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.importers.mapping import Skip, plan_incident, plan_maintenance
from heliograph.importers.records import Affected, SourceIncident, SourceMaintenance, SourceUpdate
from heliograph.importers.statuspage import COMPONENT_STATUSES, IMPACTS, STATUSES

START = dt.datetime(2025, 2, 1, 12, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def update(number: int, status: str, *, minutes: int | None = None,
           affected: list[Affected] | None = None, text: str = "") -> SourceUpdate:
    at = START + dt.timedelta(minutes=number * 10 if minutes is None else minutes)
    return SourceUpdate(external_id=f"u{number}", at=at, status=status,
                        text=text or f"Update {number}.", affected=affected, updated_at=at,
                        origin="test", created_at=at)


def incident(*updates: SourceUpdate, status: str = "investigating", impact: str | None = "minor",
             components: tuple[str, ...] = ("api",)) -> SourceIncident:
    return SourceIncident(external_id="i1", title="Trouble", status=status, impact=impact,
                          updates=list(reversed(updates)), component_ids=list(components),
                          updated_at=None, resolved_at=None, origin="test")


def maintenance(*updates: SourceUpdate, status: str = "scheduled") -> SourceMaintenance:
    return SourceMaintenance(
        external_id="m1", title="Work", status=status, starts_at=START,
        ends_at=START + dt.timedelta(hours=2), updates=list(reversed(updates)),
        component_ids=["api"], updated_at=None, resolved_at=None, origin="test",
    )


def down(component: str, status: str) -> list[Affected]:
    return [Affected(external_id=component, name=component, status=status)]


@pytest.mark.parametrize(("source", "expected"), [
    ("investigating", Status.INVESTIGATING),
    ("identified", Status.IDENTIFIED),
    ("monitoring", Status.MONITORING),
    ("scheduled", Status.INVESTIGATING),
    ("in_progress", Status.IDENTIFIED),
    ("verifying", Status.MONITORING),
])
def test_incident_update_status(source: str, expected: Status) -> None:
    plan = plan_incident(incident(update(1, "investigating"), update(2, source)),
                         keep_html=False, now=NOW)

    assert plan.events[1].status == expected
    assert not plan.closed


@pytest.mark.parametrize("closing", ["resolved", "completed"])
def test_last_closing_update_resolves(closing: str) -> None:
    plan = plan_incident(incident(update(1, "investigating"), update(2, closing)),
                         keep_html=False, now=NOW)

    assert plan.closed
    assert (plan.events[-1].status, plan.events[-1].state) == (Status.RESOLVED,
                                                               State.OPERATIONAL)


def test_postmortem_update_becomes_post_mortem() -> None:
    plan = plan_incident(incident(update(1, "investigating"), update(2, "resolved"),
                                  update(3, "postmortem", text="## Cause\n\nA full disk."),
                                  status="postmortem"),
                         keep_html=False, now=NOW)

    assert plan.post_mortem == "## Cause\n\nA full disk."
    assert [event.external_id for event in plan.events] == ["u1", "u2"]


def test_postmortem_without_resolved_update_closes() -> None:
    plan = plan_incident(incident(update(1, "investigating"), update(2, "postmortem"),
                                  status="postmortem"),
                         keep_html=False, now=NOW)

    assert plan.closed
    assert plan.events[-1].external_id == "i1#resolved"
    assert plan.events[-1].at == plan.events[0].at


@pytest.mark.parametrize(("impact", "expected"), [
    ("none", State.DEGRADED_PERFORMANCE),
    ("minor", State.DEGRADED_PERFORMANCE),
    ("maintenance", State.DEGRADED_PERFORMANCE),
    (None, State.DEGRADED_PERFORMANCE),
    ("major", State.PARTIAL_OUTAGE),
    ("critical", State.MAJOR_OUTAGE),
])
def test_impact_gives_first_state(impact: str | None, expected: State) -> None:
    plan = plan_incident(incident(update(1, "investigating"), impact=impact),
                         keep_html=False, now=NOW)

    assert plan.events[0].state == expected


@pytest.mark.parametrize(("component_status", "expected"), [
    ("degraded_performance", State.DEGRADED_PERFORMANCE),
    ("partial_outage", State.PARTIAL_OUTAGE),
    ("major_outage", State.MAJOR_OUTAGE),
    # Neither gives a state, so the impact decides.
    ("operational", State.DEGRADED_PERFORMANCE),
    ("under_maintenance", State.DEGRADED_PERFORMANCE),
])
def test_component_status_gives_state(component_status: str, expected: State) -> None:
    plan = plan_incident(incident(update(1, "investigating",
                                         affected=down("api", component_status))),
                         keep_html=False, now=NOW)

    assert plan.events[0].state == expected


def test_later_operational_component_recovers() -> None:
    plan = plan_incident(incident(
        update(1, "investigating", affected=down("api", "major_outage")),
        update(2, "monitoring", affected=down("api", "operational")),
        update(3, "monitoring"),
    ), keep_html=False, now=NOW)

    assert [event.state for event in plan.events] == [
        State.MAJOR_OUTAGE, State.OPERATIONAL, State.OPERATIONAL
    ]


def test_partial_fix_names_remaining_services() -> None:
    both = [Affected("api", "API", "major_outage"), Affected("web", "Web", "partial_outage")]
    plan = plan_incident(incident(
        update(1, "investigating", affected=both),
        update(2, "identified", affected=down("api", "operational")),
        update(3, "monitoring"), components=("api", "web"),
    ), keep_html=False, now=NOW)

    assert [event.services for event in plan.events] == [None, ("web",), ("web",)]
    assert [event.state for event in plan.events] == [
        State.MAJOR_OUTAGE, State.PARTIAL_OUTAGE, State.PARTIAL_OUTAGE
    ]
    assert plan.services == ("api", "web")


def test_affected_components_join_incident_services() -> None:
    plan = plan_incident(incident(update(1, "investigating", affected=down("db", "major_outage")),
                                  components=("api",)),
                         keep_html=False, now=NOW)

    assert plan.services == ("api", "db")
    assert plan.events[0].services == ("db",)


def test_equal_times_keep_source_order() -> None:
    first = update(1, "investigating", minutes=0)
    second = update(2, "identified", minutes=0)

    plan = plan_incident(incident(first, second), keep_html=False, now=NOW)

    assert [event.external_id for event in plan.events] == ["u1", "u2"]


def test_incident_without_updates_skipped() -> None:
    with pytest.raises(Skip, match="it has no updates"):
        plan_incident(incident(), keep_html=False, now=NOW)


def test_empty_update_text_gets_status_label() -> None:
    empty = SourceUpdate(external_id="u1", at=START, status="identified", text="  ",
                         affected=None, updated_at=None, origin="test")

    plan = plan_incident(incident(empty), keep_html=False, now=NOW)

    assert plan.events[0].text == "Identified"


@pytest.mark.parametrize(("statuses", "expected"), [
    (["scheduled", "in_progress", "completed"],
     [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED]),
    (["scheduled", "scheduled", "in_progress"],
     [MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS]),
    (["scheduled", "in_progress", "verifying", "completed"],
     [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.IN_PROGRESS,
      MaintenanceStatus.COMPLETED]),
    (["scheduled", "in_progress", "scheduled"],
     [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.IN_PROGRESS]),
    (["scheduled", "completed", "in_progress"],
     [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.IN_PROGRESS]),
    (["scheduled", "investigating", "identified", "monitoring", "resolved"],
     [MaintenanceStatus.IN_PROGRESS] * 3 + [MaintenanceStatus.COMPLETED]),
    (["in_progress", "completed"], [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED]),
])
def test_maintenance_update_statuses(statuses: list[str],
                                     expected: list[MaintenanceStatus]) -> None:
    plan = plan_maintenance(maintenance(*(update(number, status)
                                          for number, status in enumerate(statuses))),
                            keep_html=False, now=NOW)

    assert [event.status for event in plan.events] == expected
    assert plan.description == ("Update 0." if statuses[0] == "scheduled" else "")


def test_completed_maintenance_without_completing_update() -> None:
    source = maintenance(update(1, "scheduled"), update(2, "in_progress"), status="completed")
    source.resolved_at = START + dt.timedelta(hours=2)

    plan = plan_maintenance(source, keep_html=False, now=NOW)

    assert plan.events[-1].status == MaintenanceStatus.COMPLETED
    assert plan.events[-1].at == START + dt.timedelta(hours=2)
    assert plan.events[-1].external_id == "m1#completed"


def test_maintenance_window_must_be_ordered() -> None:
    source = maintenance(update(1, "scheduled"))
    source.ends_at = source.starts_at

    with pytest.raises(Skip, match="no later than it starts"):
        plan_maintenance(source, keep_html=False, now=NOW)


affected_lists = st.one_of(st.none(), st.lists(st.builds(
    Affected, external_id=st.sampled_from(["api", "web", "db"]), name=st.just("x"),
    status=st.one_of(st.none(), st.sampled_from(sorted(COMPONENT_STATUSES))),
), max_size=3))
source_updates = st.lists(st.tuples(
    st.sampled_from(sorted(STATUSES)), st.integers(min_value=0, max_value=600), affected_lists,
), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(source_updates, st.sampled_from(sorted(IMPACTS)), st.sampled_from(sorted(STATUSES)))
def test_any_incident_maps_to_valid_events(raw: list[tuple[str, int, list[Affected] | None]],
                                           impact: str, status: str) -> None:
    updates = [update(number, kind, minutes=minutes, affected=affected)
               for number, (kind, minutes, affected) in enumerate(raw)]
    source = incident(*updates, status=status, impact=impact)
    if all(item.status == "postmortem" for item in updates):
        with pytest.raises(Skip):
            plan_incident(source, keep_html=False, now=NOW)
        return

    plan = plan_incident(source, keep_html=False, now=NOW)
    events = plan.events

    assert [event.at for event in events] == sorted(event.at for event in events)
    assert events[0].state != State.OPERATIONAL or events[0].status == Status.RESOLVED
    assert all(event.status in set(Status) for event in events)
    assert all(event.state in set(State) for event in events)
    assert all(event.status != Status.RESOLVED for event in events[:-1])
    assert plan.closed == (events[-1].status == Status.RESOLVED)
    assert all(event.text for event in events)
    assert all(set(event.services or ()) <= set(plan.services) for event in events)
    assert all(event.at <= NOW for event in events)
