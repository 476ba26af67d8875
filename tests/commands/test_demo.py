"""Tests of `heliograph-admin demo`: the demo page, its history, and idempotence."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
    ServiceGroup,
)
from heliograph.domain.vocab import MaintenanceStatus, State, Status

ZURICH = ZoneInfo("Europe/Zurich")


def run_demo() -> str:
    output = StringIO()
    call_command("demo", stdout=output)
    return output.getvalue()


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZURICH).date()


def clock_change_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the days from `first` to `last` that are not 24 hours long in Europe/Zurich."""
    days = []
    day = first
    while day <= last:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=ZURICH)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZURICH)
        if end.astimezone(dt.UTC) - start.astimezone(dt.UTC) != dt.timedelta(hours=24):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def ended(incident: Incident) -> dt.datetime:
    assert incident.closed_at is not None
    return incident.closed_at


def spans_clock_change(incident: Incident) -> bool:
    return incident.opened_at.astimezone(ZURICH).utcoffset() != (
        ended(incident).astimezone(ZURICH).utcoffset()
    )


@pytest.fixture
def demo(db: None) -> Page:
    run_demo()
    return Page.objects.get(slug="demo")


def test_demo_page_settings_and_owner(demo: Page) -> None:
    owner = User.objects.get(email="demo@example.com")

    assert demo.title == "Heliograph Demo"
    assert demo.time_zone == "Europe/Zurich"
    assert owner.check_password("demo-password")
    assert demo.memberships.get().user == owner
    assert demo.memberships.get().role == "owner"


def test_demo_prints_login(db: None) -> None:
    output = run_demo()

    assert "Demo login: demo@example.com / demo-password" in output


def test_demo_has_six_services_in_two_groups(demo: Page) -> None:
    groups = ServiceGroup.objects.filter(page=demo)

    assert groups.count() == 2
    assert [group.services.count() for group in groups] == [3, 3]
    assert Service.objects.filter(page=demo).count() == 6
    assert not Service.objects.filter(page=demo, group__isnull=True).exists()


def test_demo_history_covers_120_days(demo: Page) -> None:
    today = local_day(timezone.now())
    closed = Incident.objects.filter(page=demo, closed_at__isnull=False)
    first_opened = min(local_day(incident.opened_at) for incident in closed)

    assert closed.count() >= 10
    assert (today - first_opened).days >= 100
    assert all(service.start_date <= today - dt.timedelta(days=120)
               for service in Service.objects.filter(page=demo))
    assert all(ended(incident) <= timezone.now() for incident in closed)


def test_demo_past_incidents_are_backfilled_with_updates(demo: Page) -> None:
    closed = Incident.objects.filter(page=demo, closed_at__isnull=False)

    assert all(incident.backfilled for incident in closed)
    assert all(incident.events.count() >= 3 for incident in closed)
    assert all(getattr(incident.latest_event, "status", None) == Status.RESOLVED
               for incident in closed)
    assert AuditEntry.objects.filter(page=demo, action="incident.backfill").count() == (
        closed.count()
    )


def test_demo_texts_use_markdown(demo: Page) -> None:
    texts = IncidentEvent.objects.filter(incident__page=demo).values_list("text", flat=True)

    assert any("`" in text for text in texts)
    assert any("**" in text for text in texts)
    assert Incident.objects.filter(page=demo, post_mortem__contains="## ").count() == 1


def test_demo_has_incidents_crossing_midnight(demo: Page) -> None:
    closed = Incident.objects.filter(page=demo, closed_at__isnull=False)
    crossing = [incident for incident in closed
                if local_day(incident.opened_at) != local_day(ended(incident))]

    assert len(crossing) >= 2


def test_demo_has_overlapping_incidents_on_one_service(demo: Page) -> None:
    closed = list(Incident.objects.filter(page=demo, closed_at__isnull=False)
                  .prefetch_related("services"))
    overlapping = [
        (first, second) for first, second in combinations(closed, 2)
        if first.opened_at < ended(second) and second.opened_at < ended(first)
        and {s.pk for s in first.services.all()} & {s.pk for s in second.services.all()}
    ]

    assert len(overlapping) >= 1


def test_demo_has_incident_on_each_clock_change_day(demo: Page) -> None:
    today = local_day(timezone.now())
    change_days = clock_change_days(today - dt.timedelta(days=120), today - dt.timedelta(days=1))
    closed = Incident.objects.filter(page=demo, closed_at__isnull=False)

    for day in change_days:
        on_day = [incident for incident in closed if local_day(incident.opened_at) == day]
        assert any(spans_clock_change(incident) for incident in on_day), day


def test_demo_has_one_open_incident_with_updates(demo: Page) -> None:
    open_incident = Incident.objects.get(page=demo, closed_at__isnull=True)

    assert open_incident.state == State.DEGRADED_PERFORMANCE
    assert open_incident.status == Status.IDENTIFIED
    assert open_incident.events.count() == 2
    assert open_incident.services.count() == 1
    assert not open_incident.backfilled


def test_demo_maintenance_statuses(demo: Page) -> None:
    now = timezone.now()
    by_status = {
        status: list(Maintenance.objects.filter(page=demo, status=status))
        for status in MaintenanceStatus
    }

    assert len(by_status[MaintenanceStatus.SCHEDULED]) == 1
    assert by_status[MaintenanceStatus.SCHEDULED][0].starts_at > now
    assert len(by_status[MaintenanceStatus.IN_PROGRESS]) == 1
    running = by_status[MaintenanceStatus.IN_PROGRESS][0]
    assert running.starts_at <= now < running.ends_at
    assert running.events.count() == 2
    assert len(by_status[MaintenanceStatus.COMPLETED]) >= 3
    for done in by_status[MaintenanceStatus.COMPLETED]:
        assert done.ends_at < now
        assert done.completed_at == done.ends_at
        assert done.started_at == done.starts_at
        assert done.events.count() >= 2


def test_demo_twice_changes_nothing(demo: Page) -> None:
    def counts() -> dict[str, int]:
        return {
            "users": User.objects.count(),
            "pages": Page.objects.count(),
            "services": Service.objects.count(),
            "incidents": Incident.objects.count(),
            "incident events": IncidentEvent.objects.count(),
            "maintenances": Maintenance.objects.count(),
            "maintenance events": MaintenanceEvent.objects.count(),
            "audit entries": AuditEntry.objects.count(),
            "page version": Page.objects.get(slug="demo").version,
        }

    before = counts()
    output = run_demo()

    assert counts() == before
    assert "already exists" in output
    assert "demo@example.com / demo-password" in output


def test_demo_keeps_changed_password(demo: Page) -> None:
    owner = User.objects.get(email="demo@example.com")
    owner.set_password("a private passphrase")
    owner.save()

    output = run_demo()

    owner.refresh_from_db()
    assert owner.check_password("a private passphrase")
    assert "demo-password" not in output


@pytest.mark.parametrize(
    ("now", "change_day", "title"),
    [
        # The October change is in the window.
        (dt.datetime(2026, 12, 4, 19, 0, tzinfo=dt.UTC), dt.date(2026, 10, 25),
         "Duplicate nightly exports around the clock change"),
        # The March change is in the window.
        (dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC), dt.date(2026, 3, 29),
         "Nightly exports skipped during the clock change"),
        # No change in the window: the latest one before it (March) is used.
        (dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC), dt.date(2026, 3, 29),
         "Nightly exports skipped during the clock change"),
    ],
)
def test_demo_clock_change_incident_on_date(db: None, now: dt.datetime, change_day: dt.date,
                                            title: str) -> None:
    with time_machine.travel(now, tick=False):
        run_demo()

    incident = Incident.objects.get(title=title)
    assert local_day(incident.opened_at) == change_day
    assert spans_clock_change(incident)
    assert all(service.start_date <= change_day for service in Service.objects.all())
    assert Incident.objects.filter(title__contains="clock change").count() == 1
