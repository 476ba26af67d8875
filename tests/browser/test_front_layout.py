"""The front page's layout in Chromium: light and dark themes, at desktop and phone widths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.domain import maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.public.strips import STRIP_DAYS
from tests.browser.support import (
    DESKTOP,
    PHONE,
    Tab,
    add_services,
    open_incident,
    page_url,
    palette_rgb,
    past_incident,
)

pytestmark = pytest.mark.browser

SERVICES = ("Website", "API", "Database")


@pytest.fixture
def front_page(make_page: Callable[..., Page], actor: Actor) -> Callable[[str], Page]:
    """Return a maker of a page with the given theme: a group, an open incident, a maintenance."""

    def make(theme: str) -> Page:
        now = timezone.now()
        page = make_page("acme", title="Acme Cloud", theme=theme, time_zone="Europe/Berlin")
        group = pages.add_group(page, name="Customer-facing", actor=actor)
        start = (now - dt.timedelta(days=120)).date()
        _website, api = add_services(page, SERVICES[:2], actor, start_date=start, group=group)
        database, = add_services(page, SERVICES[2:], actor, start_date=start)
        past_incident(page, actor, now - dt.timedelta(days=4), 25, title="Database failover",
                      services=[database])
        open_incident(page, actor, title="Elevated API error rates", services=[api], now=now)
        maintenances.schedule_maintenance(
            page, title="Database upgrade", description="We upgrade **PostgreSQL**.",
            starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=2, hours=1),
            services=[database], actor=actor,
        )
        return page

    return make


def check_layout(tab: Tab, width: int) -> None:
    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    assert tab.evaluate("() => document.documentElement.clientWidth") == width

    banner = tab.locator("section.banner")
    assert banner.is_visible()
    box = banner.bounding_box()
    assert box is not None
    assert box["y"] < 300, "the banner is not near the top of the page"
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert tab.locator("#banner-heading").inner_text().casefold() == "partial outage"

    strips = tab.locator("ol.strip")
    assert strips.count() == len(SERVICES)
    for index in range(len(SERVICES)):
        strip = strips.nth(index)
        assert strip.locator("li.bar").count() == STRIP_DAYS
        strip_box = strip.bounding_box()
        assert strip_box is not None
        assert strip_box["x"] >= 0
        assert strip_box["x"] + strip_box["width"] <= width
        narrowest = strip.evaluate(
            "strip => Math.min(...[...strip.children]"
            ".map(bar => bar.getBoundingClientRect().width))"
        )
        assert narrowest >= 1.5, f"day bars are {narrowest:.2f} px wide"


def check_colours(tab: Tab, theme: str, color_scheme: str | None = None) -> None:
    colours = palette_rgb(theme)
    assert tab.style("html", "color-scheme") == (color_scheme or theme)
    assert tab.style("html", "background-color") == colours["background"]
    assert tab.style("body", "color") == colours["text"]
    assert tab.style("section.banner", "background-color") == colours["partial_outage-banner"]
    assert tab.style("section.banner", "color") == colours["partial_outage-on"]
    assert tab.style("a.brand-link, .brand-title", "color") == colours["text"]
    assert tab.style(".entry-title a", "color") == colours["link"]
    # Today's bar of the API (second service) shows the open incident's state.
    assert tab.style("ol.strip >> nth=1 >> li.bar >> nth=-1", "background-color") == (
        colours["partial_outage"]
    )
    assert tab.style("ol.strip >> nth=0 >> li.bar >> nth=-1", "background-color") == (
        colours["operational"]
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_front_page_theme_and_width(live_server: Any, open_tab: Callable[..., Tab],
                                    front_page: Callable[[str], Page], theme: str,
                                    width: int) -> None:
    front_page(theme)

    tab = open_tab(page_url(live_server.url, "acme"), width=width)

    check_layout(tab, width)
    check_colours(tab, theme)
    assert tab.locator(".entry-title a", has_text="Elevated API error rates").is_visible()
    assert tab.locator(".entry-title a", has_text="Database upgrade").is_visible()
    assert tab.locator(".group-name").inner_text() == "Customer-facing"
    assert tab.problems() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_front_page_auto_theme_follows_system(live_server: Any, open_tab: Callable[..., Tab],
                                              front_page: Callable[[str], Page],
                                              scheme: str) -> None:
    front_page("auto")

    tab = open_tab(page_url(live_server.url, "acme"), color_scheme=scheme)

    # "light dark" lets the browser draw its own controls and scroll bars to match as well.
    check_colours(tab, scheme, "light dark")


def test_front_page_phone_text_sizes(live_server: Any, open_tab: Callable[..., Tab],
                                             front_page: Callable[[str], Page]) -> None:
    front_page("light")

    tab = open_tab(page_url(live_server.url, "acme"), width=PHONE)

    # Body text stays at a readable size, and the footer links are tall enough to tap.
    assert float(tab.style(".md p", "font-size").removesuffix("px")) >= 16
    for link in tab.locator(".footer-nav a").all():
        box = link.bounding_box()
        assert box is not None
        assert box["height"] >= 24, link.inner_text()
