"""Atom 1.0 and RSS 2.0 feeds of a page's incidents and maintenances, one entry per update.

Each incident update, each maintenance update and each maintenance announcement is its own
entry. Feed readers and chat integrations announce new entries but mostly ignore changes to
an entry they have already shown, so a "Resolved" update added to an existing entry would go
unseen. Entry ids are `tag:` URIs (RFC 4151) made of the page's host, the date the object was
created and its id, so they stay the same when a title or text changes.

The feed contains the latest `FEED_ENTRIES` entries, newest first, read with a fixed number of
queries however long the history is.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html
from django.utils.translation import gettext

from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
)
from heliograph.domain.queries import page_zone
from heliograph.lib import markdown, plaintext
from heliograph.public import presenter
from heliograph.public.timefmt import format_datetime, format_time, to_local

FEED_ENTRIES = 50

# Builds the absolute URL of a public view from its path parts: ("incidents", 5).
AbsoluteUrl = Callable[..., str]


@dataclass(frozen=True)
class FeedEntry:
    unique_id: str
    title: str
    link: str
    published: dt.datetime
    updated: dt.datetime
    html: str
    category: str  # "incident" or "maintenance"


def page_host(page: Page) -> str:
    """Return the host name that `tag:` ids and calendar UIDs of a page are built on.

    It is the page's subdomain even when a custom domain serves the page, because every page
    has one. Changing the slug changes the ids, as it changes every address of the page.
    """
    return f"{page.slug}.{settings.HELIOGRAPH_DOMAIN}"


def tag_uri(page: Page, created: dt.datetime, specific: str) -> str:
    """Return a `tag:` URI such as `tag:acme.example.com,2026-06-15:incident-5/update-17`."""
    day = created.astimezone(dt.UTC).date().isoformat()
    return f"tag:{page_host(page)},{day}:{specific}"


def feed_id(page: Page) -> str:
    return tag_uri(page, page.created_at, "history")


def window_text(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """Return a window as plain text, with the end's date only when it is another local day."""
    same_day = to_local(start, zone).date() == to_local(end, zone).date()
    end_text = format_time(end, zone) if same_day else format_datetime(end, zone)
    return f"{format_datetime(start, zone)} \N{EN DASH} {end_text}"


def _names(services: Iterable[Service]) -> str:
    return ", ".join(plaintext.clean(service.name, multiline=False) for service in services)


def _services_line(services: list[Service]) -> str:
    if not services:
        return ""
    return format_html("<p>{}</p>", gettext("Affected services: %(names)s")
                       % {"names": _names(services)})


def _entry_title(status: str, title: str) -> str:
    return gettext("%(status)s: %(title)s") % {
        "status": presenter.label(status),
        "title": plaintext.clean(title, multiline=False),
    }


# --- Entries -------------------------------------------------------------------------------


def incident_entry(event: IncidentEvent, absolute: AbsoluteUrl,
                   zone: zoneinfo.ZoneInfo) -> FeedEntry:
    incident: Incident = event.incident
    # An event that names its own services (a partial fix) concerns those only.
    concerned = event.services if event.services_override else incident.services
    services = list(concerned.all())
    facts = format_html(
        "<p><strong>{}</strong> \N{MIDDLE DOT} {} \N{MIDDLE DOT} {}</p>",
        presenter.label(event.status), presenter.label(event.state),
        format_datetime(event.at, zone),
    )
    body = markdown.render(plaintext.clean(event.text))
    return FeedEntry(
        unique_id=tag_uri(incident.page, event.posted_at,
                          f"incident-{incident.pk}/update-{event.pk}"),
        title=_entry_title(event.status, incident.title),
        link=absolute("incidents", incident.pk),
        published=event.at,
        updated=max(event.at, event.edited_at or event.at),
        html=facts + _services_line(services) + body,
        category="incident",
    )


def maintenance_event_entry(event: MaintenanceEvent, absolute: AbsoluteUrl,
                            zone: zoneinfo.ZoneInfo) -> FeedEntry:
    maintenance: Maintenance = event.maintenance
    facts = format_html(
        "<p><strong>{}</strong> \N{MIDDLE DOT} {}</p><p>{}</p>",
        presenter.label(event.status), format_datetime(event.at, zone),
        gettext("Window: %(window)s") % {
            "window": window_text(maintenance.starts_at, maintenance.ends_at, zone)
        },
    )
    body = markdown.render(plaintext.clean(event.text))
    return FeedEntry(
        unique_id=tag_uri(maintenance.page, event.posted_at,
                          f"maintenance-{maintenance.pk}/update-{event.pk}"),
        title=_entry_title(event.status, maintenance.title),
        link=absolute("maintenances", maintenance.pk),
        published=event.at,
        updated=max(event.at, event.edited_at or event.at),
        html=facts + _services_line(list(maintenance.services.all())) + body,
        category="maintenance",
    )


def announcement_entry(maintenance: Maintenance, absolute: AbsoluteUrl,
                       zone: zoneinfo.ZoneInfo) -> FeedEntry:
    """Return the entry that announces a maintenance: its window, services and description."""
    facts = format_html(
        "<p><strong>{}</strong> \N{MIDDLE DOT} {}</p>",
        presenter.label("scheduled"),
        window_text(maintenance.starts_at, maintenance.ends_at, zone),
    )
    body = markdown.render(plaintext.clean(maintenance.description))
    return FeedEntry(
        unique_id=tag_uri(maintenance.page, maintenance.created_at,
                          f"maintenance-{maintenance.pk}"),
        title=_entry_title("scheduled", maintenance.title),
        link=absolute("maintenances", maintenance.pk),
        published=maintenance.created_at,
        updated=max(maintenance.created_at, maintenance.updated_at),
        html=facts + _services_line(list(maintenance.services.all())) + body,
        category="maintenance",
    )


def feed_entries(page: Page, absolute: AbsoluteUrl) -> list[FeedEntry]:
    """Return the page's latest entries, newest first, with seven queries.

    Each of the three kinds is read up to the limit, so the merged list contains the latest
    entries of all kinds together.
    """
    zone = page_zone(page)
    incident_events = (
        IncidentEvent.objects.filter(incident__page=page)
        .select_related("incident", "incident__page")
        .prefetch_related("services", "incident__services")
        .order_by("-at", "-id")[:FEED_ENTRIES]
    )
    maintenance_events = (
        MaintenanceEvent.objects.filter(maintenance__page=page)
        .select_related("maintenance", "maintenance__page")
        .prefetch_related("maintenance__services")
        .order_by("-at", "-id")[:FEED_ENTRIES]
    )
    announced = (
        Maintenance.objects.filter(page=page)
        .select_related("page")
        .prefetch_related("services")
        .order_by("-created_at", "-id")[:FEED_ENTRIES]
    )
    entries = [
        *(incident_entry(event, absolute, zone) for event in incident_events),
        *(maintenance_event_entry(event, absolute, zone) for event in maintenance_events),
        *(announcement_entry(maintenance, absolute, zone) for maintenance in announced),
    ]
    entries.sort(key=lambda entry: (entry.published, entry.unique_id), reverse=True)
    return entries[:FEED_ENTRIES]


# --- Documents -----------------------------------------------------------------------------


class _DatedFeed:
    """A feed whose `updated` falls back to a fixed time when it has no entries.

    Django's generator falls back to the current time, which would change the document, and
    so its ETag, on every request.
    """

    items: list[dict[str, Any]]
    fallback_updated: dt.datetime

    def latest_post_date(self) -> dt.datetime:
        if not self.items:
            return self.fallback_updated
        return super().latest_post_date()  # type: ignore[misc, no-any-return]


class AtomFeed(_DatedFeed, Atom1Feed):
    content_type = "application/atom+xml; charset=utf-8"


class RssFeed(_DatedFeed, Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"


FEED_CLASSES: dict[str, type[AtomFeed] | type[RssFeed]] = {"atom": AtomFeed, "rss": RssFeed}


def render_feed(kind: str, page: Page, entries: list[FeedEntry], *, self_url: str,
                front_url: str) -> tuple[str, str]:
    """Return the feed document of `kind` ("atom" or "rss") and its content type."""
    title = plaintext.clean(page.title, multiline=False)
    feed = FEED_CLASSES[kind](
        title=gettext("%(title)s status") % {"title": title},
        link=front_url,
        description=gettext("Incidents and maintenances of %(title)s, one entry per update.")
        % {"title": title},
        language=page.language,
        feed_url=self_url,
        feed_guid=feed_id(page),
        author_name=title,
    )
    feed.fallback_updated = page.created_at
    for entry in entries:
        feed.add_item(
            title=entry.title,
            link=entry.link,
            description=entry.html,
            unique_id=entry.unique_id,
            unique_id_is_permalink=False,
            pubdate=entry.published.astimezone(dt.UTC),
            updateddate=entry.updated.astimezone(dt.UTC),
            categories=[entry.category],
        )
    return feed.writeString("utf-8"), feed.content_type

