"""Hostile text in every format: escaped, cleaned of controls, long texts kept whole.

Control and bidirectional-control characters cannot enter through the domain, which rejects
them, so the fixture writes them with plain updates, as an importer or an older version might
have. Characters that are merely unusual (markup, `&`, right-to-left scripts, 10,000-character
updates) go through the domain functions.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
)
from heliograph.domain.vocab import State, Status
from tests.feeds.support import (
    BIDI_CONTROLS,
    XML_FORBIDDEN,
    check_calendar,
    events_by_summary,
    parse_atom,
    parse_rss,
)
from tests.public.conftest import NOW
from tests.public.dom import parse

MARKUP_TITLE = "Störung & <Wartung>"
ARABIC_TITLE = "تعطل بوابة الدفع"
# Ten thousand characters, in words, ending in a marker that shows nothing was cut.
LONG_TEXT = ("Die Datenbank antwortet langsam. " * 320)[:9_990] + " ENDMARKER"
CONTROLS = "\x01\x07\x08\x0b\x0c\x1b\x7f\x85"
OVERRIDE = "\u202e"
# Characters C0 and C1 that no output may contain; U+0085 is legal XML but still a control.
ANY_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile(page: Page, actor: Actor, add_service: Callable[..., Service],
            open_incident: Callable[..., Incident],
            schedule: Callable[..., Maintenance]) -> dict[str, Any]:
    service = add_service(MARKUP_TITLE)
    arabic = open_incident(ARABIC_TITLE, services=[service], text=ARABIC_TITLE,
                           at=NOW - dt.timedelta(hours=3))
    incident = open_incident(MARKUP_TITLE, services=[service], text=LONG_TEXT,
                             state=State.MAJOR_OUTAGE, at=NOW - dt.timedelta(hours=2))
    incidents.post_event(incident, text=f"Zeile eins\n{MARKUP_TITLE}", state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, at=NOW - dt.timedelta(hours=1), actor=actor)
    maintenance = schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=2),
                           title=MARKUP_TITLE, description=LONG_TEXT, services=[service])
    maintenances.post_event(maintenance, text=LONG_TEXT, status="scheduled", actor=actor)

    # Written past the domain's checks.
    dirty = f"Bad{CONTROLS}{OVERRIDE}title"
    Page.objects.filter(pk=page.pk).update(title=f"Acme{CONTROLS}{OVERRIDE} Ops")
    Service.objects.filter(pk=service.pk).update(name=f"{MARKUP_TITLE}{CONTROLS}")
    dirty_incident = open_incident("Placeholder", services=[service], at=NOW - dt.timedelta(
        minutes=30))
    Incident.objects.filter(pk=dirty_incident.pk).update(title=dirty)
    IncidentEvent.objects.filter(incident=dirty_incident).update(
        text=f"line\r\nwith{CONTROLS}{OVERRIDE}controls"
    )
    dirty_maintenance = schedule(NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=1))
    Maintenance.objects.filter(pk=dirty_maintenance.pk).update(
        title=dirty, description=f"desc{CONTROLS}{OVERRIDE}"
    )
    MaintenanceEvent.objects.filter(maintenance=maintenance).update(
        text=f"{LONG_TEXT}{CONTROLS}"
    )
    return {"service": service, "incident": incident, "arabic": arabic}


def assert_clean(text: str) -> None:
    assert not ANY_CONTROL.search(text), ANY_CONTROL.search(text)
    assert not XML_FORBIDDEN.search(text)
    assert not BIDI_CONTROLS.search(text)


@pytest.mark.parametrize(("path", "parse_feed"), [("/history.atom", parse_atom),
                                                  ("/history.rss", parse_rss)])
def test_feeds_carry_hostile_text(path: str, parse_feed: Callable[[bytes], Any],
                                  hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get(path)
    assert response.status_code == 200

    parsed = parse_feed(response.content)
    text = response.content.decode("utf-8")

    assert_clean(text)
    titles = [entry.title for entry in parsed.entries]
    assert f"Identified: {MARKUP_TITLE}" in titles
    assert f"Investigating: {MARKUP_TITLE}" in titles
    assert f"Investigating: {ARABIC_TITLE}" in titles
    assert "Investigating: Badtitle" in titles
    assert "Scheduled: Badtitle" in titles
    assert parsed.feed.title == "Acme Ops status"
    long_entry = next(entry for entry in parsed.entries
                      if entry.title == f"Investigating: {MARKUP_TITLE}")
    assert long_entry.summary.count("Die Datenbank antwortet langsam.") == 302
    assert "ENDMARKER" in long_entry.summary
    assert "Affected services: Störung &amp; &lt;Wartung&gt;" in long_entry.summary
    assert "<Wartung>" not in long_entry.summary


def test_calendar_carries_hostile_text(hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get("/maintenances.ics")
    assert response.status_code == 200

    calendar = check_calendar(response.content)
    events = events_by_summary(calendar)

    assert_clean(response.content.decode("utf-8").replace("\r\n", ""))
    assert set(events) == {MARKUP_TITLE, "Badtitle"}
    description = str(events[MARKUP_TITLE]["description"])
    # The 10,000-character description and update are cut to the calendar's limit.
    assert "ENDMARKER" not in description
    assert description.count("\N{HORIZONTAL ELLIPSIS}") == 2
    assert "Affected services: Störung & <Wartung>" in description
    assert str(events["Badtitle"]["description"]).split("\n")[3] == "desc"
    assert str(calendar["x-wr-calname"]) == "Acme Ops maintenance"


def test_badges_carry_hostile_text(hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    service = hostile["service"]

    for path in ("/badge.svg", f"/badge.svg?service={service.pk}"):
        response = get(path)
        assert response.status_code == 200
        root = ET.fromstring(response.content)  # noqa: S314
        assert_clean(response.content.decode("utf-8"))
        assert root.attrib["role"] == "img"

    page_badge = ET.fromstring(get("/badge.svg").content)  # noqa: S314
    service_badge = ET.fromstring(get(f"/badge.svg?service={service.pk}").content)  # noqa: S314
    # The banner takes the state of the incident opened first, the Arabic one.
    assert page_badge.findtext("{http://www.w3.org/2000/svg}title") == "Acme Ops: Partial outage"
    assert (service_badge.findtext("{http://www.w3.org/2000/svg}title")
            == f"{MARKUP_TITLE}: Major outage")


def test_embed_carries_hostile_text(hostile: dict[str, Any], get: Callable[..., Any]) -> None:
    response = get("/embed")
    dom = parse(response.content)

    assert response.status_code == 200
    assert dom.find_all("script") == []
    message = dom.one(cls="message").text()
    assert ARABIC_TITLE in message
    assert MARKUP_TITLE in message
    assert dom.one(cls="message").attrs["dir"] == "auto"
    assert "<Wartung>" not in response.content.decode()


def test_embed_escapes_hostile_page_title(page: Page, actor: Actor,
                                          get: Callable[..., Any]) -> None:
    pages.update_page(page, {"title": '<script>alert("x")</script>'}, actor=actor)

    response = get("/embed")
    dom = parse(response.content)

    assert dom.find_all("script") == []
    assert dom.one("title").text() == '<script>alert("x")</script> status'
