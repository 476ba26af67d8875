"""Tests of opening, updating, closing, backfilling, correcting and deleting incidents."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue, RuleViolation
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import AuditEntry, Incident, IncidentEvent, Page, Service
from heliograph.domain.queries import outage_figures, page_status
from heliograph.domain.vocab import DisplayState, State, Status
from tests.domain.support import NOW, audited, failing_inserts, footprint, local_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

HOUR = dt.timedelta(hours=1)


def open_major(
    page: Page,
    actor: Actor,
    services: Iterable[Service] = (),
    *,
    title: str = "API errors",
    at: dt.datetime | None = None,
) -> Incident:
    return incidents.open_incident(
        page, title=title, text="We are looking into it.", state=State.MAJOR_OUTAGE,
        status=Status.INVESTIGATING, services=services, at=at, actor=actor,
    )


def shown_states(page: Page) -> dict[str, DisplayState]:
    return {item.service.name: item.state for item in page_status(page).services}


# Rejected requests change nothing


def test_open_incident_rejects_operational_state(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.open_incident(page, title="Slow", text="Slow pages.", state=State.OPERATIONAL,
                                status=Status.INVESTIGATING, actor=actor)

    assert error.value.code == "opening_state_operational"
    assert error.value.field == "state"
    assert footprint(page) == before


def test_open_incident_rejects_resolved_status(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.open_incident(page, title="Slow", text="Slow pages.",
                                state=State.DEGRADED_PERFORMANCE, status=Status.RESOLVED,
                                actor=actor)

    assert error.value.code == "opening_status_resolved"
    assert error.value.field == "status"
    assert footprint(page) == before


def test_open_incident_rejects_future_time(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        open_major(page, actor, at=NOW + dt.timedelta(minutes=1))

    assert error.value.code == "event_in_future"
    assert error.value.field == "at"
    assert footprint(page) == before


def test_open_incident_rejects_naive_time(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        open_major(page, actor, at=dt.datetime(2026, 3, 10, 9, 0))

    assert error.value.code == "naive_time"
    assert error.value.field == "at"
    assert footprint(page) == before


def test_open_incident_rejects_service_of_other_page(
    page: Page, actor: Actor, add_service: Callable[..., Service], outsider: object
) -> None:
    other_page = Page.objects.get(slug="other")
    foreign = add_service("Billing", on=other_page)
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        open_major(page, actor, [foreign])

    assert error.value.code == "unknown_service"
    assert error.value.field == "services"
    assert footprint(page) == before


def test_open_incident_rejects_blank_title(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        open_major(page, actor, title="   ")

    assert error.value.code == "required"
    assert error.value.field == "title"
    assert footprint(page) == before


def test_post_event_rejects_closed_incident(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    incidents.close_incident(incident, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.post_event(incident, text="Again.", state=State.MAJOR_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

    assert error.value.code == "incident_closed"
    assert error.value.field is None
    assert footprint(page) == before


def test_close_incident_rejects_second_close(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    incidents.close_incident(incident, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.close_incident(incident, text="Closed again.", actor=actor)

    assert error.value.code == "incident_already_closed"
    assert error.value.field is None
    assert footprint(page) == before


def test_post_event_rejects_time_before_previous(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor)
    clock.shift(HOUR)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.post_event(incident, text="Found it.", state=State.MAJOR_OUTAGE,
                             status=Status.IDENTIFIED, at=NOW - dt.timedelta(minutes=1),
                             actor=actor)

    assert error.value.code == "event_before_previous"
    assert error.value.field == "at"
    assert footprint(page) == before


def test_post_event_rejects_future_time(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.post_event(incident, text="Found it.", state=State.MAJOR_OUTAGE,
                             status=Status.IDENTIFIED, at=NOW + dt.timedelta(seconds=1),
                             actor=actor)

    assert error.value.code == "event_in_future"
    assert error.value.field == "at"
    assert footprint(page) == before


def test_close_incident_rejects_time_before_previous(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor)
    clock.shift(HOUR)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.close_incident(incident, at=NOW - HOUR, actor=actor)

    assert error.value.code == "event_before_previous"
    assert error.value.field == "at"
    assert footprint(page) == before


def test_post_event_rejects_resolved_outage(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.post_event(incident, text="Fixed.", state=State.PARTIAL_OUTAGE,
                             status=Status.RESOLVED, actor=actor)

    assert error.value.code == "resolved_not_operational"
    assert error.value.field == "state"
    assert footprint(page) == before


# One transaction per change


def test_open_incident_writes_incident_and_first_event(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    started = NOW - dt.timedelta(minutes=20)

    incident = open_major(page, actor, [api], at=started)

    stored = Incident.objects.get(pk=incident.pk)
    events = list(stored.events.all())
    assert len(events) == 1
    assert stored.latest_event_id == events[0].pk
    assert events[0].at == started
    assert events[0].text == "We are looking into it."
    assert (events[0].state, events[0].status) == (State.MAJOR_OUTAGE, Status.INVESTIGATING)
    assert (stored.state, stored.status) == (State.MAJOR_OUTAGE, Status.INVESTIGATING)
    assert stored.opened_at == started
    assert stored.closed_at is None
    assert [service.name for service in stored.services.all()] == ["API"]
    assert AuditEntry.objects.filter(page=page, action="incident.open",
                                     object_id=incident.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_open_incident_leaves_nothing_when_event_write_fails(page: Page, actor: Actor) -> None:
    before = footprint(page)

    with failing_inserts("domain_incidentevent"), pytest.raises(DatabaseError):
        open_major(page, actor)

    assert footprint(page) == before
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_post_event_leaves_nothing_when_audit_write_fails(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    before = footprint(page)

    with failing_inserts("domain_auditentry"), pytest.raises(DatabaseError):
        incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

    assert footprint(page) == before


# Closing and corrections


def test_resolved_event_closes_incident(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor)
    clock.shift(HOUR)

    event = incidents.post_event(incident, text="Fixed for everyone.", state=State.OPERATIONAL,
                                 status=Status.RESOLVED, actor=actor)

    stored = Incident.objects.get(pk=incident.pk)
    assert stored.closed_at == NOW + HOUR
    assert (stored.state, stored.status) == (State.OPERATIONAL, Status.RESOLVED)
    assert stored.latest_event_id == event.pk
    assert event.text == "Fixed for everyone."
    assert stored.events.count() == 2


def test_close_incident_adds_default_last_event(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor)
    clock.shift(HOUR)

    event = incidents.close_incident(incident, actor=actor)

    last = Incident.objects.get(pk=incident.pk).events.last()
    assert last is not None
    assert last.pk == event.pk
    assert (last.state, last.status) == (State.OPERATIONAL, Status.RESOLVED)
    assert last.text == incidents.DEFAULT_CLOSING_TEXT
    assert last.at == NOW + HOUR
    assert incident.closed_at == NOW + HOUR


def test_close_incident_keeps_given_text_and_time(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor)
    clock.shift(3 * HOUR)
    fixed_at = NOW + HOUR

    event = incidents.close_incident(incident, text="A bad deploy, rolled back.", at=fixed_at,
                                     actor=actor)

    stored = Incident.objects.get(pk=incident.pk)
    assert event.text == "A bad deploy, rolled back."
    assert event.at == fixed_at
    assert stored.closed_at == fixed_at


def test_edit_event_text_of_closed_incident_is_audited(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    incidents.close_incident(incident, actor=actor)
    first = incident.events.first()
    assert first is not None

    incidents.edit_event_text(first, text="We are looking into errors on the API.", actor=actor)
    incidents.edit_event_text(first, text="Errors on the API, fixed by a rollback.",
                              actor=actor)

    first.refresh_from_db()
    assert first.text == "Errors on the API, fixed by a rollback."
    assert first.edited_at == NOW
    edits = list(AuditEntry.objects.filter(action="incident.event.edit", object_id=first.pk)
                 .order_by("id"))
    assert [entry.before for entry in edits] == [
        {"text": "We are looking into it."},
        {"text": "We are looking into errors on the API."},
    ]
    assert [entry.after for entry in edits] == [
        {"text": "We are looking into errors on the API.", "incident": incident.pk},
        {"text": "Errors on the API, fixed by a rollback.", "incident": incident.pk},
    ]


def test_edit_event_text_rejects_blank_text(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    first = incident.events.get()
    before = footprint(page)

    with pytest.raises(InvalidValue) as error:
        incidents.edit_event_text(first, text=" \n ", actor=actor)

    assert error.value.code == "required"
    assert error.value.field == "text"
    assert footprint(page) == before
    assert IncidentEvent.objects.get(pk=first.pk).text == "We are looking into it."


# Event times


def test_post_event_stores_earlier_time_in_utc(
    page: Page, actor: Actor, clock: time_machine.Traveller
) -> None:
    incident = open_major(page, actor, at=NOW - 2 * HOUR)
    given_time = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))

    event = incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                                 status=Status.IDENTIFIED, at=given_time, actor=actor)

    event.refresh_from_db()
    assert event.at == NOW - dt.timedelta(minutes=30)
    assert event.at.utcoffset() == dt.timedelta(0)
    assert event.posted_at == NOW


def test_post_event_accepts_time_equal_to_previous(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor, at=NOW - HOUR)

    event = incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                                 status=Status.IDENTIFIED, at=NOW - HOUR, actor=actor)

    incident.refresh_from_db()
    assert incident.latest_event_id == event.pk
    assert incident.state == State.PARTIAL_OUTAGE


# Affected services


def test_partial_fix_leaves_only_named_services_affected(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    api, web = add_service("API"), add_service("Web")
    add_service("Mail")
    incident = open_major(page, actor, [api, web])
    assert shown_states(page) == {
        "API": DisplayState.MAJOR_OUTAGE, "Web": DisplayState.MAJOR_OUTAGE,
        "Mail": DisplayState.OPERATIONAL,
    }
    clock.shift(HOUR)

    incidents.post_event(incident, text="Web is back; the API is still down.",
                         state=State.MAJOR_OUTAGE, status=Status.MONITORING, services=[api],
                         actor=actor)

    assert shown_states(page) == {
        "API": DisplayState.MAJOR_OUTAGE, "Web": DisplayState.OPERATIONAL,
        "Mail": DisplayState.OPERATIONAL,
    }
    assert sorted(s.name for s in Incident.objects.get(pk=incident.pk).services.all()) == [
        "API", "Web",
    ]


def test_event_without_services_concerns_incident_services(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    clock: time_machine.Traveller,
) -> None:
    api, web = add_service("API"), add_service("Web")
    incident = open_major(page, actor, [api, web])
    incidents.post_event(incident, text="Web is back.", state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, services=[api], actor=actor)
    clock.shift(HOUR)

    incidents.post_event(incident, text="Both slow now.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.MONITORING, actor=actor)

    assert shown_states(page) == {
        "API": DisplayState.DEGRADED_PERFORMANCE, "Web": DisplayState.DEGRADED_PERFORMANCE,
    }


def test_update_incident_changes_services_while_open(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api, web = add_service("API"), add_service("Web")
    incident = open_major(page, actor, [api])

    incidents.update_incident(incident, services=[web], actor=actor)

    assert shown_states(page) == {
        "API": DisplayState.OPERATIONAL, "Web": DisplayState.MAJOR_OUTAGE,
    }
    before, after = audited("incident.update", incident.pk)
    assert before["services"] == [api.pk]
    assert after["services"] == [web.pk]


def test_update_incident_rejects_services_once_closed(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api, web = add_service("API"), add_service("Web")
    incident = open_major(page, actor, [api])
    incidents.close_incident(incident, actor=actor)
    before = footprint(page)

    with pytest.raises(RuleViolation) as error:
        incidents.update_incident(incident, services=[web], title="Renamed", actor=actor)

    assert error.value.code == "incident_closed"
    assert error.value.field == "services"
    assert footprint(page) == before
    assert [s.pk for s in Incident.objects.get(pk=incident.pk).services.all()] == [api.pk]


def test_update_incident_renames_closed_incident(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor)
    incidents.close_incident(incident, actor=actor)

    incidents.update_incident(incident, title="API errors after a deploy",
                              post_mortem="A missing index.", actor=actor)

    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title == "API errors after a deploy"
    assert stored.post_mortem == "A missing index."


def test_open_incident_backdated_moves_start_date_back(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    api = add_service("API")
    assert api.start_date == dt.date(2026, 3, 10)

    open_major(page, actor, [api], at=NOW - dt.timedelta(hours=13))

    api.refresh_from_db()
    assert api.start_date == dt.date(2026, 3, 9)


# Backfill


def past_outage(start: dt.datetime, end: dt.datetime) -> list[PastEvent]:
    return [
        PastEvent(at=start, status=Status.INVESTIGATING, text="Payments fail.",
                  state=State.MAJOR_OUTAGE),
        PastEvent(at=start + (end - start) / 2, status=Status.MONITORING,
                  text="Some payments fail.", state=State.PARTIAL_OUTAGE),
        PastEvent(at=end, status=Status.RESOLVED, text="All payments go through."),
    ]


def test_backfill_goes_straight_into_history(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    payments = add_service("Payments", start_date=dt.date(2026, 1, 1))
    start, end = NOW - 5 * HOUR, NOW - 3 * HOUR

    incident = incidents.backfill_incident(page, title="Payments down", services=[payments],
                                           events=past_outage(start, end), actor=actor)

    stored = Incident.objects.get(pk=incident.pk)
    assert stored.backfilled is True
    assert stored.opened_at == start
    assert stored.closed_at == end
    assert (stored.state, stored.status) == (State.OPERATIONAL, Status.RESOLVED)
    assert [event.at for event in stored.events.all()] == [start, start + HOUR, end]
    assert [event.state for event in stored.events.all()] == [
        State.MAJOR_OUTAGE, State.PARTIAL_OUTAGE, State.OPERATIONAL,
    ]
    assert stored.latest_event_id == stored.events.last().pk  # type: ignore[union-attr]
    assert page_status(page).open_incidents == []
    assert shown_states(page) == {"Payments": DisplayState.OPERATIONAL}


def test_backfill_counts_in_outage_figures(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    payments = add_service("Payments", start_date=dt.date(2026, 1, 1))
    start = dt.datetime(2026, 3, 8, 10, 0, tzinfo=dt.UTC)

    incidents.backfill_incident(page, title="Payments down", services=[payments],
                                events=past_outage(start, start + 2 * HOUR), actor=actor)

    [figures] = outage_figures(page, dt.date(2026, 3, 7), dt.date(2026, 3, 9))
    by_day = {day.date: day for day in figures.days}
    assert by_day[dt.date(2026, 3, 8)].major_outage == 60
    assert by_day[dt.date(2026, 3, 8)].partial_outage == 60
    assert by_day[dt.date(2026, 3, 7)].down == 0
    assert by_day[dt.date(2026, 3, 9)].down == 0


def naive(event: PastEvent) -> PastEvent:
    return PastEvent(at=event.at.replace(tzinfo=None), status=event.status, text=event.text,
                     state=event.state)


GOOD = past_outage(NOW - 5 * HOUR, NOW - 3 * HOUR)
BAD_BACKFILLS = {
    "no events": ([], InvalidValue, "backfill_too_short", "events"),
    "only the resolved event": ([GOOD[2]], InvalidValue, "backfill_too_short", "events"),
    "no duration": (
        [GOOD[0], PastEvent(at=GOOD[0].at, status=Status.RESOLVED, text="Fixed.")],
        RuleViolation, "backfill_without_duration", "events.1.at",
    ),
    "out of order": ([GOOD[1], GOOD[0], GOOD[2]], RuleViolation, "event_out_of_order",
                     "events.1.at"),
    "last not resolved": (GOOD[:2], RuleViolation, "backfill_not_resolved",
                          "events.1.status"),
    "resolved in the middle": (
        [GOOD[0], PastEvent(at=GOOD[1].at, status=Status.RESOLVED, text="Fixed."), GOOD[2]],
        RuleViolation, "resolved_before_end", "events.1.status",
    ),
    "future time": (
        [GOOD[0], PastEvent(at=NOW + HOUR, status=Status.RESOLVED, text="Fixed.")],
        RuleViolation, "event_in_future", "events.1.at",
    ),
    "naive time": ([naive(GOOD[0]), GOOD[1], GOOD[2]], InvalidValue, "naive_time",
                   "events.0.at"),
    "resolved outage": (
        [GOOD[0], PastEvent(at=GOOD[2].at, status=Status.RESOLVED, text="Fixed.",
                            state=State.MAJOR_OUTAGE)],
        RuleViolation, "resolved_not_operational", "events.1.state",
    ),
    "missing state": (
        [PastEvent(at=GOOD[0].at, status=Status.INVESTIGATING, text="Down."), GOOD[2]],
        InvalidValue, "required", "events.0.state",
    ),
    "opens operational": (
        [PastEvent(at=GOOD[0].at, status=Status.INVESTIGATING, text="Fine.",
                   state=State.OPERATIONAL), GOOD[2]],
        RuleViolation, "opening_state_operational", "events.0.state",
    ),
}


@pytest.mark.parametrize(("events", "error_type", "code", "field"),
                         list(BAD_BACKFILLS.values()), ids=list(BAD_BACKFILLS))
def test_backfill_rejects_bad_events(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    events: list[PastEvent], error_type: type[Exception], code: str, field: str,
) -> None:
    payments = add_service("Payments")
    before = footprint(page)

    with pytest.raises(error_type) as error:
        incidents.backfill_incident(page, title="Payments down", services=[payments],
                                    events=events, actor=actor)

    assert error.value.code == code  # type: ignore[attr-defined]
    assert error.value.field == field  # type: ignore[attr-defined]
    assert footprint(page) == before


def test_backfill_moves_start_date_to_local_first_day(
    make_page: Callable[..., Page], actor: Actor, add_service: Callable[..., Service]
) -> None:
    sydney = make_page("sydney", time_zone="Australia/Sydney")
    payments = add_service("Payments", on=sydney)
    assert payments.start_date == dt.date(2026, 3, 10)
    # 01:30 on 2 March in Sydney is still 1 March in UTC.
    start = local_time("Australia/Sydney", 2026, 3, 2, 1, 30)
    assert start.date() == dt.date(2026, 3, 1)

    incidents.backfill_incident(sydney, title="Payments down", services=[payments],
                                events=past_outage(start, start + HOUR), actor=actor)

    payments.refresh_from_db()
    assert payments.start_date == dt.date(2026, 3, 2)


def test_backfill_keeps_earlier_start_date(
    page: Page, actor: Actor, add_service: Callable[..., Service]
) -> None:
    payments = add_service("Payments", start_date=dt.date(2025, 6, 1))

    incidents.backfill_incident(page, title="Payments down", services=[payments],
                                events=past_outage(NOW - 5 * HOUR, NOW - 4 * HOUR), actor=actor)

    payments.refresh_from_db()
    assert payments.start_date == dt.date(2025, 6, 1)


# Deletion


def test_delete_incident_keeps_events_in_audit_log(page: Page, actor: Actor) -> None:
    incident = open_major(page, actor, at=NOW - HOUR)
    incidents.close_incident(incident, actor=actor)
    incident_id = incident.pk

    incidents.delete_incident(incident, actor=actor)

    assert not Incident.objects.filter(pk=incident_id).exists()
    assert not IncidentEvent.objects.filter(incident_id=incident_id).exists()
    before, _ = audited("incident.delete", incident_id)
    assert before["title"] == "API errors"
    assert [event["text"] for event in before["events"]] == [
        "We are looking into it.", incidents.DEFAULT_CLOSING_TEXT,
    ]
    assert before["events"][0]["at"] == (NOW - HOUR).isoformat()


# Concurrent requests


def run_in_threads(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released at once; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def work(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def skip_on_sqlite_memory() -> None:
    if connection.vendor == "sqlite":
        # The SQLite test database is in memory with a shared cache. Its table locks fail at
        # once instead of waiting, so threads cannot share it.
        pytest.skip("threads need a database with row locks or a busy timeout")


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_keep_latest_event(page: Page, actor: Actor) -> None:
    skip_on_sqlite_memory()
    incident = open_major(page, actor)
    states = [State.DEGRADED_PERFORMANCE, State.PARTIAL_OUTAGE] * 4

    def post(state: State) -> IncidentEvent:
        return incidents.post_event(Incident.objects.get(pk=incident.pk), text="Update.",
                                    state=state, status=Status.IDENTIFIED, actor=actor)

    outcomes = run_in_threads([functools.partial(post, state) for state in states])

    assert all(isinstance(outcome, IncidentEvent) for outcome in outcomes)
    stored = Incident.objects.get(pk=incident.pk)
    last = stored.events.last()
    assert last is not None
    assert stored.events.count() == 9
    assert stored.latest_event_id == last.pk
    assert stored.state == last.state


@pytest.mark.django_db(transaction=True)
def test_concurrent_closes_close_once(page: Page, actor: Actor) -> None:
    skip_on_sqlite_memory()
    incident = open_major(page, actor)

    outcomes = run_in_threads([
        lambda: incidents.close_incident(Incident.objects.get(pk=incident.pk), actor=actor)
        for _ in range(4)
    ])

    closed = [outcome for outcome in outcomes if isinstance(outcome, IncidentEvent)]
    rejected = [outcome for outcome in outcomes if isinstance(outcome, RuleViolation)]
    assert len(closed) == 1
    assert len(rejected) == 3
    assert {error.code for error in rejected} == {"incident_already_closed"}
    assert Incident.objects.get(pk=incident.pk).events.filter(
        status=Status.RESOLVED).count() == 1


# The event stream under any sequence of requests


event_requests = st.lists(
    st.tuples(
        st.sampled_from(list(State)),
        st.sampled_from(list(Status)),
        st.integers(min_value=-90, max_value=90),
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=event_requests)
def test_event_stream_stays_ordered_and_current(
    page: Page, actor: Actor, requests: list[tuple[State, Status, int]]
) -> None:
    """Post events at times around the clock: each is stored in order or rejected without trace."""
    with time_machine.travel(NOW, tick=False) as clock, transaction.atomic():
        incident = open_major(page, actor, at=NOW - 3 * HOUR)
        for state, status, minutes in requests:
            clock.shift(dt.timedelta(minutes=10))
            before = footprint(page)
            at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
            try:
                incidents.post_event(incident, text="Update.", state=state, status=status,
                                     at=at, actor=actor)
            except (InvalidValue, RuleViolation):
                assert footprint(page) == before
                continue

        stored = Incident.objects.get(pk=incident.pk)
        events = list(stored.events.all())
        times = [event.at for event in events]
        assert times == sorted(times)
        assert times[-1] <= dt.datetime.now(dt.UTC)
        assert stored.latest_event_id == events[-1].pk
        assert (stored.state, stored.status) == (events[-1].state, events[-1].status)
        assert (stored.closed_at is not None) == (events[-1].status == Status.RESOLVED)
        assert [event.status for event in events[:-1]].count(Status.RESOLVED) == 0
        transaction.set_rollback(True)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=40), text=st.text(max_size=40))
def test_open_incident_stores_or_rejects_any_text(
    page: Page, actor: Actor, title: str, text: str
) -> None:
    """Any title and text is stored as given (trimmed) or rejected as invalid, never a crash."""
    with transaction.atomic():
        try:
            incident = incidents.open_incident(
                page, title=title, text=text, state=State.MAJOR_OUTAGE,
                status=Status.INVESTIGATING, actor=actor,
            )
        except InvalidValue as error:
            assert error.field in {"title", "text"}
        else:
            stored = Incident.objects.get(pk=incident.pk)
            assert stored.title == title.strip()
            assert stored.events.get().text == text.strip()
        transaction.set_rollback(True)
