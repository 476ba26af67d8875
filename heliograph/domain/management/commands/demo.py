"""`heliograph-admin demo`: create the demo pages `demo` and `github` if they do not exist yet.

The page `github` shows real incident history, imported from the public-domain GitHub sample
(heliograph/importers/samples/github). The rest of this text is about the page `demo`.

The page has 6 services in 2 groups and 120 days of history relative to today. Some incidents
cross midnight, two overlap on the API, and one spans the clock change on each day in those
120 days when Europe/Zurich changes its clocks. One incident is open, and maintenances are
completed, in progress and scheduled. Everything is made through the domain functions, in one
transaction. Running the command again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.errors import Conflict
from heliograph.domain.incidents import PastEvent
from heliograph.domain.management.commands import _demo_content as content
from heliograph.domain.models import Page, Service
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.importers.demo import GITHUB_SLUG, create_github_page

DEMO_SLUG = "demo"
DEMO_TITLE = "Heliograph Demo"
DEMO_TIME_ZONE = "Europe/Zurich"
DEMO_EMAIL = "demo@example.com"
# A fixed, published password for the demo user only, so that anyone trying Heliograph out
# can sign in. Every other user gets a password of their own (see `createuser`).
DEMO_PASSWORD = "demo-password"  # noqa: S105
HISTORY_DAYS = 120
# A clock-change incident starts this long before the change and lasts the story's duration.
CLOCK_CHANGE_LEAD = dt.timedelta(minutes=40)


class Command(BaseCommand):
    help = (
        f"Create the demo page {DEMO_SLUG!r} with {HISTORY_DAYS} days of history, and the page "
        f"{GITHUB_SLUG!r} with real GitHub incidents, owned by {DEMO_EMAIL}, unless they exist."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.create_demo_page()
        self.create_github_page()
        self.print_login()

    def create_demo_page(self) -> None:
        if Page.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"The demo page {DEMO_SLUG!r} already exists: nothing changed.")
            return
        try:
            with transaction.atomic():
                page = build_demo_page(demo_user(), now=timezone.now())
        except Conflict as error:
            if error.field != "slug":
                raise
            # Another `demo` run created the page between the check above and this one.
            self.stdout.write(f"The demo page {DEMO_SLUG!r} already exists: nothing changed.")
            return
        self.stdout.write(
            f"Created the demo page {DEMO_SLUG!r} ({DEMO_TITLE}) with "
            f"{page.services.count()} services, {page.incidents.count()} incidents and "
            f"{page.maintenances.count()} maintenances."
        )

    def create_github_page(self) -> None:
        page = None
        if not Page.objects.filter(slug=GITHUB_SLUG).exists():
            page = create_github_page(demo_user())
        if page is None:
            self.stdout.write(f"The demo page {GITHUB_SLUG!r} already exists: nothing changed.")
            return
        self.stdout.write(
            f"Created the demo page {GITHUB_SLUG!r} ({page.title}) with "
            f"{page.services.count()} services and {page.incidents.count()} incidents, "
            "imported from the public-domain GitHub sample."
        )

    def print_login(self) -> None:
        user = get_user_model().objects.filter(email=DEMO_EMAIL).first()
        if user is not None and not user.check_password(DEMO_PASSWORD):
            self.stdout.write(f"Demo login: {DEMO_EMAIL}, with the password set for it "
                              "(it is no longer the default).")
            return
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


def demo_user() -> Any:
    """Return the demo user, creating it with the demo password if it does not exist."""
    user_model = get_user_model()
    user = user_model.objects.filter(email=DEMO_EMAIL).first()
    return user or user_model.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD)


def build_demo_page(owner: Any, *, now: dt.datetime) -> Page:
    """Create the demo page, its services, history and maintenances, as of `now`."""
    actor = Actor.of_user(owner, via="heliograph-admin demo")
    zone = zoneinfo.ZoneInfo(DEMO_TIME_ZONE)
    today = now.astimezone(zone).date()
    changes = clock_changes(zone, now=now, since=local_instant(
        zone, today - dt.timedelta(days=HISTORY_DAYS), dt.time(0, 0)))
    first_day = min([today - dt.timedelta(days=HISTORY_DAYS)]
                    + [change.astimezone(zone).date() for change in changes])

    page = pages.create_page(
        DEMO_SLUG, title=DEMO_TITLE, owner=owner, time_zone=DEMO_TIME_ZONE,
        main_site_url="https://www.example.com", support_email="support@example.com",
        # The worker that `make run` starts completes the in-progress maintenance on time.
        auto_maintenance=True, actor=actor,
    )
    services = add_services(page, first_day, actor)
    for placement in content.PLACEMENTS:
        day = today - dt.timedelta(days=placement.days_ago)
        record_story(page, placement.story, local_instant(zone, day, placement.local_start),
                     services, actor)
    for change in changes:
        record_story(page, clock_change_story(zone, change), change - CLOCK_CHANGE_LEAD,
                     services, actor)
    open_current_incident(page, services, now, actor)
    add_maintenances(page, services, now=now, today=today, zone=zone, actor=actor)
    return page


def add_services(page: Page, first_day: dt.date, actor: Actor) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for group_name, names in content.GROUPS.items():
        group = pages.add_group(page, name=group_name, actor=actor)
        for name in names:
            services[name] = pages.add_service(
                page, name=name, description=content.DESCRIPTIONS[name], group=group,
                start_date=first_day, actor=actor,
            )
    return services


def local_instant(zone: zoneinfo.ZoneInfo, day: dt.date, time: dt.time) -> dt.datetime:
    """Return the UTC instant of a local wall-clock time (the earlier one if it is ambiguous)."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)


def clock_changes(zone: zoneinfo.ZoneInfo, *, now: dt.datetime,
                  since: dt.datetime) -> list[dt.datetime]:
    """Return the instants since `since` when `zone` changed its UTC offset, oldest first.

    Only changes whose incident is over by `now` count. When there is none in the window
    (from late July to late October for Europe/Zurich), return the latest change before it,
    so that the demo always has an incident on a clock-change day.
    """
    step = dt.timedelta(minutes=15)
    latest_usable = now - CLOCK_CHANGE_LEAD - content.CLOCK_CHANGE_FALL.duration
    moment = latest_usable.replace(minute=latest_usable.minute // 15 * 15, second=0,
                                   microsecond=0)
    limit = since - dt.timedelta(days=366)
    found: list[dt.datetime] = []
    while moment > limit:
        earlier = moment - step
        if earlier.astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            found.append(moment)
            if moment < since:
                break
        moment = earlier
    in_window = [change for change in found if change >= since]
    return sorted(in_window or found[-1:])


def clock_change_story(zone: zoneinfo.ZoneInfo, change: dt.datetime) -> content.Story:
    before = (change - dt.timedelta(minutes=1)).astimezone(zone).utcoffset()
    after = change.astimezone(zone).utcoffset()
    assert before is not None and after is not None
    return content.CLOCK_CHANGE_FALL if after < before else content.CLOCK_CHANGE_SPRING


def record_story(page: Page, story: content.Story, start: dt.datetime,
                 services: dict[str, Service], actor: Actor) -> None:
    events = [
        PastEvent(at=start + dt.timedelta(minutes=update.minutes), status=update.status,
                  text=update.text, state=update.state)
        for update in story.updates
    ]
    incident = incidents.backfill_incident(
        page, title=story.title, services=[services[name] for name in story.services],
        events=events, actor=actor,
    )
    if story.post_mortem:
        incidents.update_incident(incident, post_mortem=story.post_mortem, actor=actor)


def open_current_incident(page: Page, services: dict[str, Service], now: dt.datetime,
                          actor: Actor) -> None:
    first, *later = content.OPEN_INCIDENT_UPDATES
    assert first.state is not None
    incident = incidents.open_incident(
        page, title=content.OPEN_INCIDENT_TITLE, text=first.text, state=first.state,
        status=first.status, services=[services[name] for name in content.OPEN_INCIDENT_SERVICES],
        at=now + dt.timedelta(minutes=first.minutes), actor=actor,
    )
    for update in later:
        assert update.state is not None
        incidents.post_event(incident, text=update.text, state=update.state,
                             status=update.status,
                             at=now + dt.timedelta(minutes=update.minutes), actor=actor)


def add_maintenances(page: Page, services: dict[str, Service], *, now: dt.datetime,
                     today: dt.date, zone: zoneinfo.ZoneInfo, actor: Actor) -> None:
    """Add the completed, in-progress and scheduled maintenances, with their past events."""
    for work in content.COMPLETED_MAINTENANCES:
        starts = local_instant(zone, today + dt.timedelta(days=work.days_from_today),
                               work.local_start)
        ends = starts + dt.timedelta(minutes=work.minutes)
        maintenance = schedule(page, work, services, starts, ends, actor)
        interval = (ends - starts) / (len(work.progress) + 1)
        for index, text in enumerate(work.progress):
            maintenances.post_event(maintenance, text=text,
                                    status=MaintenanceStatus.IN_PROGRESS,
                                    at=starts + interval * index, actor=actor)
        maintenances.close_maintenance(maintenance, text=work.closing, at=ends, actor=actor)

    work = content.IN_PROGRESS_MAINTENANCE
    starts = now - dt.timedelta(minutes=content.IN_PROGRESS_STARTED_MINUTES_AGO)
    maintenance = schedule(page, work, services, starts,
                           starts + dt.timedelta(minutes=work.minutes), actor)
    for text, minutes_ago in zip(work.progress, content.IN_PROGRESS_UPDATE_MINUTES_AGO,
                                 strict=True):
        maintenances.post_event(maintenance, text=text, status=MaintenanceStatus.IN_PROGRESS,
                                at=now - dt.timedelta(minutes=minutes_ago), actor=actor)

    work = content.SCHEDULED_MAINTENANCE
    starts = local_instant(zone, today + dt.timedelta(days=work.days_from_today),
                           work.local_start)
    schedule(page, work, services, starts, starts + dt.timedelta(minutes=work.minutes), actor)


def schedule(page: Page, work: content.PlannedWork, services: dict[str, Service],
             starts: dt.datetime, ends: dt.datetime, actor: Actor) -> Any:
    return maintenances.schedule_maintenance(
        page, title=work.title, description=work.description, starts_at=starts, ends_at=ends,
        services=[services[name] for name in work.services], actor=actor,
    )
