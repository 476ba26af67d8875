"""Front pages at the edges of size: no services, 200 services, 20 open incidents."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State
from heliograph.public.strips import STRIP_DAYS
from tests.browser.support import DESKTOP, PHONE, Tab, add_services, open_incident, page_url

pytestmark = pytest.mark.browser

MANY_SERVICES = 200
OPEN_INCIDENTS = 20
# The 200-service page took about 3 s to load and check on 2 idle CPU cores. The bound leaves
# room for a busy machine and still catches a page that takes minutes.
LOAD_SECONDS_MAX = 30.0


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_without_services(live_server: Any, open_tab: Callable[..., Tab],
                               make_page: Callable[..., Page], width: int) -> None:
    make_page("empty", title="Empty", theme="light")

    tab = open_tab(page_url(live_server.url, "empty"), width=width)

    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    assert tab.locator("section.banner").is_visible()
    assert tab.locator("#banner-heading").inner_text().casefold() == "operational"
    assert tab.locator("ol.strip").count() == 0
    assert tab.locator("#services-heading").count() == 0
    # Current status, history, past maintenances, and the Atom, RSS and iCalendar feeds.
    assert tab.locator("footer .footer-nav a").count() == 6
    assert tab.problems() == []


def test_history_without_services(live_server: Any, open_tab: Callable[..., Tab],
                                  make_page: Callable[..., Page]) -> None:
    make_page("empty", title="Empty", theme="light")

    tab = open_tab(page_url(live_server.url, "empty", "history"))

    assert tab.locator("h1").inner_text() == "Incident history"
    assert tab.locator("main").get_by_text("No past incidents.").is_visible()
    assert tab.problems() == []


@pytest.fixture
def crowded_page(make_page: Callable[..., Page], actor: Actor) -> Page:
    page = make_page("crowded", title="Crowded", theme="dark")
    start = (timezone.now() - dt.timedelta(days=STRIP_DAYS)).date()
    services = add_services(page, [f"Service {number:03d}" for number in range(MANY_SERVICES)],
                            actor, start_date=start)
    open_incident(page, actor, title="One of many", services=[services[-1]],
                  state=State.MAJOR_OUTAGE, now=timezone.now())
    return page


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_with_200_services(live_server: Any, open_tab: Callable[..., Tab],
                                crowded_page: Page, width: int) -> None:
    started = time.monotonic()
    tab = open_tab(page_url(live_server.url, "crowded"), width=width)
    seconds = time.monotonic() - started

    assert seconds < LOAD_SECONDS_MAX
    assert tab.locator("ol.strip").count() == MANY_SERVICES
    assert tab.locator("li.bar").count() == MANY_SERVICES * STRIP_DAYS
    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    last = tab.locator("li.service").last
    last.scroll_into_view_if_needed()
    assert last.locator(".service-name").inner_text() == f"Service {MANY_SERVICES - 1:03d}"
    assert last.locator(".state-tag").inner_text() == "Major outage"
    assert last.locator("li.bar").last.get_attribute("class") == "bar s-major_outage"
    # The script makes each strip one tab stop, so keyboard users do not tab through 18,000 bars.
    tab_stops = tab.evaluate("() => document.querySelectorAll('li.bar[tabindex=\"0\"]').length")
    assert tab_stops == MANY_SERVICES
    assert tab.problems() == []


@pytest.fixture
def busy_page(make_page: Callable[..., Page], actor: Actor) -> Page:
    page = make_page("busy", title="Busy", theme="light")
    services = add_services(page, [f"Region {number}" for number in range(OPEN_INCIDENTS)], actor)
    now = timezone.now()
    for number, service in enumerate(services):
        open_incident(page, actor, title=f"Outage in region {number}", services=[service],
                      state=State.MAJOR_OUTAGE if number % 2 else State.PARTIAL_OUTAGE,
                      text=f"Region {number} is unreachable.",
                      ago=dt.timedelta(minutes=10 + number), now=now)
    return page


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_with_20_open_incidents(live_server: Any, open_tab: Callable[..., Tab],
                                     busy_page: Page, width: int) -> None:
    tab = open_tab(page_url(live_server.url, "busy"), width=width)

    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    assert tab.locator("#banner-heading").inner_text().casefold() == "major outage"
    banner_links = tab.locator("section.banner .banner-titles a")
    assert banner_links.count() == OPEN_INCIDENTS
    entries = tab.locator("#current-heading + ul > li.entry")
    assert entries.count() == OPEN_INCIDENTS
    # In the order they were opened: region 19 opened first, 29 minutes ago.
    assert entries.first.locator(".entry-title").inner_text() == "Outage in region 19"
    assert entries.last.locator(".entry-title").inner_text() == "Outage in region 0"
    for index in range(OPEN_INCIDENTS):
        box = banner_links.nth(index).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width
    assert tab.locator("ol.strip").count() == OPEN_INCIDENTS
    assert tab.problems() == []
