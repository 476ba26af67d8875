"""The Atom and RSS feeds: validity, one entry per update, stable ids, dates, limits."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.public.feeds import FEED_ENTRIES
from tests.feeds.support import atom_dates, parse_atom, parse_rss
from tests.public.conftest import NOW, local

HOSTILE_TITLE = "Störung & <Wartung>"


@pytest.fixture
def history(page: Page, actor: Actor, add_service: Callable[..., Service],
            open_incident: Callable[..., Incident],
            schedule: Callable[..., Maintenance]) -> dict[str, Any]:
    """An incident with three updates, closed, and a maintenance with two updates."""
    api = add_service("API")
    incident = open_incident(HOSTILE_TITLE, services=[api], at=NOW - dt.timedelta(hours=3))
    incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                         status=Status.IDENTIFIED, at=NOW - dt.timedelta(hours=2), actor=actor)
    incidents.close_incident(incident, text="All good.", at=NOW - dt.timedelta(hours=1),
                             actor=actor)
    maintenance = schedule(NOW - dt.timedelta(minutes=50), NOW + dt.timedelta(hours=1),
                           title="Database upgrade", services=[api])
    maintenances.post_event(maintenance, text="Started.", at=NOW - dt.timedelta(minutes=40),
                            actor=actor)
    maintenances.post_event(maintenance, text="Halfway.", at=NOW - dt.timedelta(minutes=20),
                            actor=actor)
    return {"incident": incident, "maintenance": maintenance, "service": api}


def test_atom_parses_as_atom10(history: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get("/history.atom")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = parse_atom(response.content)
    assert len(parsed.entries) == 6
    assert parsed.feed.title == "Acme status"
    assert parsed.feed.id == "tag:acme.localhost,2026-06-15:history"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["http://acme.localhost/history.atom"]


def test_atom_dates_are_rfc3339_in_utc(history: dict[str, Any],
                                       get: Callable[..., Any]) -> None:
    dates = atom_dates(get("/history.atom").content)

    assert len(dates) == 1 + 2 * 6  # the feed's updated, and published and updated per entry
    assert all(date.utcoffset() == dt.timedelta(0) for date in dates)
    assert max(dates) == NOW


def test_rss_parses_as_rss20(history: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get("/history.rss")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    parsed = parse_rss(response.content)
    assert len(parsed.entries) == 6
    assert parsed.feed.link == "http://acme.localhost/"
    newest = parsed.entries[0]
    assert email.utils.parsedate_to_datetime(newest.published) == NOW
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["http://acme.localhost/history.rss"]


def test_feeds_have_one_entry_per_update(history: dict[str, Any],
                                         get: Callable[..., Any]) -> None:
    atom = parse_atom(get("/history.atom").content)
    rss = parse_rss(get("/history.rss").content)

    expected = [
        "Scheduled: Database upgrade",
        "In progress: Database upgrade",
        "In progress: Database upgrade",
        f"Resolved: {HOSTILE_TITLE}",
        f"Identified: {HOSTILE_TITLE}",
        f"Investigating: {HOSTILE_TITLE}",
    ]
    assert [entry.title for entry in atom.entries] == expected
    assert [entry.title for entry in rss.entries] == expected
    assert [entry.id for entry in atom.entries] == [entry.id for entry in rss.entries]


def test_entry_links_are_absolute(history: dict[str, Any], get: Callable[..., Any]) -> None:
    parsed = parse_atom(get("/history.atom").content)

    incident, maintenance = history["incident"], history["maintenance"]
    links = {entry.link for entry in parsed.entries}
    assert links == {f"http://acme.localhost/incidents/{incident.pk}",
                     f"http://acme.localhost/maintenances/{maintenance.pk}"}


def test_entry_ids_survive_title_changes(history: dict[str, Any], actor: Actor,
                                         get: Callable[..., Any]) -> None:
    before = parse_atom(get("/history.atom").content)

    incidents.update_incident(history["incident"], title="Renamed", actor=actor)
    maintenances.update_maintenance(history["maintenance"], title="Moved", actor=actor)
    after = parse_atom(get("/history.atom").content)

    assert [entry.id for entry in after.entries] == [entry.id for entry in before.entries]
    assert after.entries[0].title == "Scheduled: Moved"
    assert after.entries[-1].title == "Investigating: Renamed"


def test_entry_ids_name_object_and_creation_date(history: dict[str, Any],
                                                 get: Callable[..., Any]) -> None:
    parsed = parse_atom(get("/history.atom").content)

    incident, maintenance = history["incident"], history["maintenance"]
    first_event = incident.events.order_by("at").first()
    ids = [entry.id for entry in parsed.entries]
    assert f"tag:acme.localhost,2026-06-15:maintenance-{maintenance.pk}" in ids
    assert (f"tag:acme.localhost,2026-06-15:incident-{incident.pk}/update-{first_event.pk}"
            in ids)


def test_edited_text_moves_updated_only(history: dict[str, Any], actor: Actor,
                                        clock: Any, get: Callable[..., Any]) -> None:
    event = history["incident"].events.order_by("at").first()
    clock.shift(dt.timedelta(minutes=5))

    incidents.edit_event_text(event, text="We are looking into it, corrected.", actor=actor)
    parsed = parse_atom(get("/history.atom").content)

    entry = parsed.entries[-1]
    assert "corrected" in entry.summary
    assert entry.published == "2026-06-15T14:00:00+00:00"
    assert entry.updated == "2026-06-15T17:05:00+00:00"


def test_entry_text_names_page_zone(history: dict[str, Any], get: Callable[..., Any]) -> None:
    parsed = parse_atom(get("/history.atom").content)

    first_update = parsed.entries[-1]
    assert "June 15, 2026, 09:00 CDT" in first_update.summary
    assert "Affected services: API" in first_update.summary
    announcement = parsed.entries[0]
    assert "June 15, 2026, 11:10 CDT \N{EN DASH} 13:00 CDT" in announcement.summary


def test_entry_text_follows_dst(page: Page, past_incident: Callable[..., Incident],
                                get: Callable[..., Any]) -> None:
    past_incident(local(page, 2026, 3, 7, 23, 0), local(page, 2026, 3, 8, 4, 0))

    parsed = parse_atom(get("/history.atom").content)

    assert "March 8, 2026, 04:00 CDT" in parsed.entries[0].summary
    assert parsed.entries[0].published == "2026-03-08T09:00:00+00:00"
    assert "March 7, 2026, 23:00 CST" in parsed.entries[1].summary
    assert parsed.entries[1].published == "2026-03-08T05:00:00+00:00"


def test_markdown_is_sanitised_html(page: Page, open_incident: Callable[..., Incident],
                                    get: Callable[..., Any]) -> None:
    open_incident(text="**Bold** <script>alert(1)</script> [x](javascript:alert(2))")

    parsed = parse_atom(get("/history.atom").content)

    summary = parsed.entries[0].summary
    assert "<strong>Bold</strong>" in summary
    assert "<script" not in summary
    assert "&lt;script&gt;alert(1)" in summary
    assert 'href="javascript' not in summary


def test_empty_feed_is_valid(page: Page, get: Callable[..., Any]) -> None:
    atom = parse_atom(get("/history.atom").content)
    rss = parse_rss(get("/history.rss").content)

    assert atom.entries == []
    assert rss.entries == []
    assert atom.feed.updated == "2026-06-15T17:00:00+00:00"


def add_past_incidents(count: int, past_incident: Callable[..., Incident]) -> None:
    for index in range(count):
        start = NOW - dt.timedelta(days=index + 1)
        past_incident(start, start + dt.timedelta(hours=1), title=f"Outage {index}")


def test_feed_keeps_latest_entries(page: Page, past_incident: Callable[..., Incident],
                                   get: Callable[..., Any]) -> None:
    add_past_incidents(40, past_incident)  # 80 updates

    parsed = parse_atom(get("/history.atom").content)

    assert len(parsed.entries) == FEED_ENTRIES
    published = [entry.published_parsed for entry in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert parsed.entries[0].title == "Resolved: Outage 0"
    assert parsed.entries[-1].title == "Investigating: Outage 24"


def count_queries(get: Callable[..., Any], path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_feed_query_count_is_constant(path: str, page: Page, actor: Actor,
                                      add_service: Callable[..., Service],
                                      past_incident: Callable[..., Incident],
                                      schedule: Callable[..., Maintenance],
                                      get: Callable[..., Any]) -> None:
    services = [add_service("API"), add_service("Web")]
    past_incident(NOW - dt.timedelta(days=1), NOW - dt.timedelta(hours=20), services=services)
    upcoming = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=1),
                        services=services)
    maintenances.post_event(upcoming, text="Moved.", status=MaintenanceStatus.SCHEDULED,
                            actor=actor)
    small = count_queries(get, path)

    add_past_incidents(30, past_incident)
    for index in range(10):
        done = schedule(NOW - dt.timedelta(days=index + 2), NOW - dt.timedelta(days=index + 1),
                        services=services)
        maintenances.close_maintenance(done, actor=actor)
    large = count_queries(get, path)

    assert large == small


def test_feed_is_the_pages_own(page: Page, actor: Actor, make_page: Callable[..., Page],
                               open_incident: Callable[..., Incident],
                               get: Callable[..., Any]) -> None:
    other = make_page("beta", title="Beta")
    open_incident("Acme's own")
    open_incident("Beta's own", on=other)

    acme = parse_atom(get("/history.atom").content)
    beta = parse_atom(get("/history.atom", "beta.localhost").content)

    assert [entry.title for entry in acme.entries] == ["Investigating: Acme's own"]
    assert [entry.title for entry in beta.entries] == ["Investigating: Beta's own"]
    assert beta.feed.id.startswith("tag:beta.localhost,")


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss", "/maintenances.ics",
                                  "/badge.svg", "/embed"])
def test_private_page_formats_are_not_found(path: str, page: Page, actor: Actor,
                                            get: Callable[..., Any]) -> None:
    pages.update_page(page, {"is_private": True}, actor=actor)

    response = get(path)

    assert response.status_code == 404
    assert b"Acme" not in response.content


@pytest.mark.parametrize("path", ["/history.atom", "/maintenances.ics", "/badge.svg"])
def test_unknown_host_formats_are_not_found(path: str, page: Page,
                                            get: Callable[..., Any]) -> None:
    response = get(path, "nobody.localhost")

    assert response.status_code == 404


def test_prefixed_feed_links_keep_prefix(history: dict[str, Any],
                                         get: Callable[..., Any]) -> None:
    response = get("/p/acme/history.atom", "127.0.0.1")

    parsed = parse_atom(response.content)
    incident = history["incident"]
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["http://127.0.0.1/p/acme/history.atom"]
    assert f"http://127.0.0.1/p/acme/incidents/{incident.pk}" in {
        entry.link for entry in parsed.entries
    }
    assert parsed.feed.id == "tag:acme.localhost,2026-06-15:history"


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_feed_answers_304_to_its_etag(path: str, history: dict[str, Any],
                                      get: Callable[..., Any]) -> None:
    first = get(path)
    etag = first["ETag"]

    again = get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=60"


def test_feed_etag_changes_with_page(history: dict[str, Any], actor: Actor,
                                     get: Callable[..., Any]) -> None:
    etag = get("/history.atom")["ETag"]

    incidents.update_incident(history["incident"], title="Renamed", actor=actor)
    response = get("/history.atom", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert b"Renamed" in response.content


def test_gzipped_feed_answers_304_to_weak_etag(history: dict[str, Any],
                                               get: Callable[..., Any]) -> None:
    first = get("/history.atom", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    assert first["ETag"].startswith('W/"')

    again = get("/history.atom", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss", "/maintenances.ics",
                                  "/badge.svg"])
def test_not_modified_repeats_gzip_headers(path: str, history: dict[str, Any],
                                           get: Callable[..., Any]) -> None:
    """A 304 must carry the ETag and Vary that a 200 to the same request carries."""
    packed = get(path, HTTP_ACCEPT_ENCODING="gzip")
    plain = get(path)

    again = get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])

    assert packed["Content-Encoding"] == "gzip"
    assert plain["ETag"] == packed["ETag"]
    assert again.status_code == 304
    assert again["ETag"] == packed["ETag"]
    assert "Accept-Encoding" in again["Vary"]


def test_feed_rejects_post(page: Page, client: Any) -> None:
    response = client.post("/history.atom", HTTP_HOST="acme.localhost")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_maintenance_update_entry_shows_window(history: dict[str, Any],
                                               get: Callable[..., Any]) -> None:
    parsed = parse_atom(get("/history.atom").content)

    update = parsed.entries[1]
    assert update.title == "In progress: Database upgrade"
    assert "Window: June 15, 2026, 11:10 CDT \N{EN DASH} 13:00 CDT" in update.summary
    assert "Halfway." in update.summary
    assert [tag.term for tag in update.tags] == ["maintenance"]


def test_feed_head_has_etag_without_body(history: dict[str, Any], client: Any) -> None:
    etag = client.get("/history.atom", HTTP_HOST="acme.localhost")["ETag"]

    response = client.head("/history.atom", HTTP_HOST="acme.localhost")

    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == etag
