"""The iCalendar feed (RFC 5545) of a page's maintenances, for calendar subscriptions.

It lists the maintenances in progress, the upcoming ones, and those whose window ended in
the last `RECENT_DAYS` days, at most `CALENDAR_EVENTS` of them. Times are in UTC, so the
calendar needs no VTIMEZONE; the descriptions give them in the page's zone as well. The
`icalendar` package escapes the text, ends lines with CRLF and folds them at 75 octets
without splitting a UTF-8 character.

`SEQUENCE` is the number of recorded changes to the maintenance after its scheduling (edits,
updates, start and completion), so it grows with every change that calendar clients should
pick up.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext

from heliograph.domain.models import AuditEntry, Maintenance, MaintenanceEvent, Page
from heliograph.domain.queries import page_zone
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.lib import plaintext
from heliograph.public import presenter
from heliograph.public.feeds import AbsoluteUrl, page_host, window_text
from heliograph.public.timefmt import format_datetime

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODUCT_ID = "-//Heliograph//Status page maintenances//EN"
RECENT_DAYS = 90
CALENDAR_EVENTS = 200
# The interval after which calendar clients should fetch the calendar again (RFC 7986).
REFRESH_INTERVAL = dt.timedelta(hours=1)
# Each event's description lists this many of the latest updates.
DESCRIPTION_UPDATES = 10
# The description and each update are cut to this many characters, and the description links
# to the maintenance's page for the whole text. Uncut, 200 events with a description and ten
# updates of 20,000 characters each make a calendar of more than 40 MB for every subscriber.
DESCRIPTION_TEXT_MAX = 1_000


def calendar_maintenances(page: Page, now: dt.datetime) -> list[Maintenance]:
    """Return the maintenances the calendar lists, latest start first, in at most five queries.

    When more than `CALENDAR_EVENTS` qualify, the nearest win: first those in progress or
    still to come, soonest first, then those of the last `RECENT_DAYS` days, latest end first.
    Calendar clients drop the events that a new copy leaves out, so the cut falls on the
    distant future and the older past.
    """
    own = Maintenance.objects.filter(page=page)
    current = Q(status=MaintenanceStatus.IN_PROGRESS) | Q(ends_at__gte=now)
    ahead = list(
        own.filter(current).order_by("starts_at", "id")
        .values_list("pk", flat=True)[:CALENDAR_EVENTS]
    )
    behind = list(
        own.exclude(current).filter(ends_at__gte=now - dt.timedelta(days=RECENT_DAYS))
        .order_by("-ends_at", "-id")
        .values_list("pk", flat=True)[:CALENDAR_EVENTS - len(ahead)]
    )
    events = MaintenanceEvent.objects.order_by("-at", "-id")
    return list(
        Maintenance.objects.filter(pk__in=ahead + behind)
        .prefetch_related("services", Prefetch("events", queryset=events))
        .order_by("-starts_at", "-id")
    )


def revision_counts(page: Page, maintenances: Iterable[Maintenance]) -> dict[int, int]:
    """Return the number of audit entries per maintenance id, with one query."""
    ids = [maintenance.pk for maintenance in maintenances]
    rows = (
        AuditEntry.objects.filter(page=page, object_type="maintenance", object_id__in=ids)
        .values("object_id")
        .annotate(entries=Count("id"))
    )
    return {row["object_id"]: row["entries"] for row in rows}


def ical_status(maintenance: Maintenance, now: dt.datetime) -> str:
    """Return the event's STATUS.

    A maintenance completed before it ever started is one that was called off: CANCELLED.
    A scheduled one whose window has passed without a start may not have happened:
    TENTATIVE. Every other maintenance is CONFIRMED.
    """
    if maintenance.status == MaintenanceStatus.COMPLETED and maintenance.started_at is None:
        return "CANCELLED"
    if maintenance.is_overdue(now):
        return "TENTATIVE"
    return "CONFIRMED"


def shorten(text: str, limit: int = DESCRIPTION_TEXT_MAX) -> str:
    """Return `text` cut to at most `limit` characters, at a space if one is near the end.

    A cut text ends with "…", so readers know to follow the link for the rest.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def description(maintenance: Maintenance, zone: zoneinfo.ZoneInfo, url: str) -> str:
    """Return the plain-text DESCRIPTION: status, window, services, text and latest updates.

    Event texts and the description are Markdown, which reads as plain text. Each is cut to
    `DESCRIPTION_TEXT_MAX` characters.
    """
    lines = [
        gettext("Status: %(status)s") % {"status": presenter.label(maintenance.status)},
        gettext("Window: %(window)s")
        % {"window": window_text(maintenance.starts_at, maintenance.ends_at, zone)},
    ]
    services = [plaintext.clean(service.name, multiline=False)
                for service in maintenance.services.all()]
    if services:
        lines.append(gettext("Affected services: %(names)s") % {"names": ", ".join(services)})
    text = shorten(plaintext.clean(maintenance.description).strip())
    if text:
        lines += ["", text]
    updates = list(maintenance.events.all())[:DESCRIPTION_UPDATES]
    if updates:
        lines += ["", gettext("Updates, newest first:")]
        for event in updates:
            lines.append(f"{format_datetime(event.at, zone)} \N{EM DASH} "
                         f"{presenter.label(event.status)}: "
                         f"{shorten(plaintext.clean(event.text).strip())}")
    lines += ["", url]
    return "\n".join(lines)


def maintenance_uid(maintenance: Maintenance, page: Page) -> str:
    created = maintenance.created_at.astimezone(dt.UTC)
    return f"maintenance-{maintenance.pk}-{created:%Y%m%d}@{page_host(page)}"


def vevent(maintenance: Maintenance, page: Page, *, sequence: int, now: dt.datetime,
           url: str) -> icalendar.Event:
    start = maintenance.starts_at.astimezone(dt.UTC)
    # The domain keeps the end after the start. A row written otherwise gets a minute, because
    # RFC 5545 requires DTEND after DTSTART.
    end = max(maintenance.ends_at.astimezone(dt.UTC), start + dt.timedelta(minutes=1))
    event = icalendar.Event()
    event.add("uid", maintenance_uid(maintenance, page))
    # Without a METHOD, DTSTAMP is the time the event was last revised (RFC 5545, 3.8.7.2).
    event.add("dtstamp", maintenance.updated_at.astimezone(dt.UTC))
    event.add("created", maintenance.created_at.astimezone(dt.UTC))
    event.add("last-modified", maintenance.updated_at.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", plaintext.clean(maintenance.title, multiline=False))
    event.add("description", description(maintenance, page_zone(page), url))
    event.add("url", url)
    event.add("status", ical_status(maintenance, now))
    event.add("sequence", sequence)
    # A maintenance does not make the subscriber busy.
    event.add("transp", "TRANSPARENT")
    return event


def render_calendar(page: Page, now: dt.datetime, absolute: AbsoluteUrl) -> bytes:
    """Return the page's maintenance calendar as iCalendar bytes with CRLF line endings."""
    maintenances = calendar_maintenances(page, now)
    revisions = revision_counts(page, maintenances)
    title = plaintext.clean(page.title, multiline=False)
    name = gettext("%(title)s maintenance") % {"title": title}

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc",
                 gettext("Planned maintenance of %(title)s.") % {"title": title})
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    calendar.add("source", absolute("maintenances.ics"), parameters={"VALUE": "URI"})
    for maintenance in maintenances:
        # The scheduling itself is the first audit entry, and each later one is a revision.
        sequence = max(revisions.get(maintenance.pk, 1) - 1, 0)
        calendar.add_component(vevent(
            maintenance, page, sequence=sequence, now=now,
            url=absolute("maintenances", maintenance.pk),
        ))
    document: bytes = calendar.to_ical()
    return document
