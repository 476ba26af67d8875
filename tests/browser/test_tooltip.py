"""The tooltip of a day bar: shown on hover and on keyboard focus, and read by screen readers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Locator, expect

from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State
from heliograph.public.strips import STRIP_DAYS
from heliograph.public.timefmt import format_date
from tests.browser.support import DESKTOP, PHONE, Tab, add_services, page_url, past_incident

pytestmark = pytest.mark.browser

ZONE = zoneinfo.ZoneInfo("America/Chicago")
OUTAGE_DAYS_AGO = 3
OUTAGE_MINUTES = 42
TAB_PRESSES_MAX = 40


@dataclass(frozen=True)
class StripPage:
    outage_day: dt.date
    new_service_first_day: dt.date


@pytest.fixture
def strip_page(make_page: Callable[..., Page], actor: Actor) -> StripPage:
    """A page in Chicago: an API with a 42-minute outage 3 days ago, and a service from yesterday.

    The outage runs from 10:00 local time, so it falls on one local day whatever the hour of
    the test run.
    """
    page = make_page("acme", title="Acme", time_zone=ZONE.key, theme="light")
    today = timezone.now().astimezone(ZONE).date()
    api, = add_services(page, ["API"], actor, start_date=today - dt.timedelta(days=200))
    add_services(page, ["Search"], actor, start_date=today - dt.timedelta(days=1))
    outage_day = today - dt.timedelta(days=OUTAGE_DAYS_AGO)
    start = dt.datetime.combine(outage_day, dt.time(10, 0), tzinfo=ZONE)
    past_incident(page, actor, start, OUTAGE_MINUTES, services=[api],
                  state=State.PARTIAL_OUTAGE)
    return StripPage(outage_day=outage_day, new_service_first_day=today - dt.timedelta(days=1))


def date_text(day: dt.date) -> str:
    with translation.override("en"):
        return format_date(day)


def bar_of(tab: Tab, strip_index: int, days_ago: int) -> Locator:
    return tab.locator("ol.strip").nth(strip_index).locator("li.bar").nth(
        STRIP_DAYS - 1 - days_ago
    )


def check_tip_shown(tab: Tab, bar: Locator, width: int) -> str:
    """Check that the bar's tooltip is drawn above it inside the viewport; return its text."""
    tip = bar.locator(".tip")
    expect(tip).to_be_visible()
    tip_box, bar_box = tip.bounding_box(), bar.bounding_box()
    assert tip_box is not None
    assert bar_box is not None
    assert tip_box["width"] > 40
    assert tip_box["height"] > 20
    assert tip_box["x"] >= 0
    assert tip_box["x"] + tip_box["width"] <= width
    assert tip_box["y"] + tip_box["height"] <= bar_box["y"] + 1
    return tip.inner_text()


def check_tip_hidden(bar: Locator) -> None:
    box = bar.locator(".tip").bounding_box()
    assert box is None or (box["width"] <= 1 and box["height"] <= 1), box


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_tooltip_on_hover(live_server: Any, open_tab: Callable[..., Tab], strip_page: StripPage,
                          width: int) -> None:
    tab = open_tab(page_url(live_server.url, "acme"), width=width)
    bar = bar_of(tab, 0, OUTAGE_DAYS_AGO)
    check_tip_hidden(bar)

    bar.hover()

    text = check_tip_shown(tab, bar, width)
    assert date_text(strip_page.outage_day) in text
    assert f"{OUTAGE_MINUTES} min down" in text
    assert "Partial outage" in text

    tab.locator("h1").hover()
    check_tip_hidden(bar)
    assert tab.problems() == []


def test_tooltip_edge_bars_in_view(
    live_server: Any, open_tab: Callable[..., Tab], strip_page: StripPage
) -> None:
    tab = open_tab(page_url(live_server.url, "acme"), width=PHONE)

    for days_ago in (STRIP_DAYS - 1, 0):
        bar = bar_of(tab, 0, days_ago)
        bar.hover()
        check_tip_shown(tab, bar, PHONE)


def test_tooltip_before_service_no_data(
    live_server: Any, open_tab: Callable[..., Tab], strip_page: StripPage
) -> None:
    tab = open_tab(page_url(live_server.url, "acme"))
    before = bar_of(tab, 1, 2)
    first = bar_of(tab, 1, 1)

    before.hover()
    before_text = check_tip_shown(tab, before, DESKTOP)
    first.hover()
    first_text = check_tip_shown(tab, first, DESKTOP)

    assert "No data" in before_text
    assert "No downtime" in first_text
    assert date_text(strip_page.new_service_first_day) in first_text
    assert "s-no_data" in (before.get_attribute("class") or "")
    assert tab.style("ol.strip >> nth=1 >> li.bar >> nth=-3", "background-color") == (
        "rgba(0, 0, 0, 0)"
    )


def focus_first_bar_by_tab(tab: Tab) -> None:
    for _ in range(TAB_PRESSES_MAX):
        tab.page.keyboard.press("Tab")
        if tab.evaluate("() => !!document.activeElement.closest('ol.strip')"):
            return
    raise AssertionError(f"no day bar got the focus after {TAB_PRESSES_MAX} presses of Tab")


def focused_bar_index(tab: Tab) -> tuple[int, int]:
    """Return the focused bar's strip index and its index in the strip."""
    return tuple(tab.evaluate("""() => {
        const bar = document.activeElement;
        const strips = [...document.querySelectorAll('ol.strip')];
        return [strips.indexOf(bar.parentElement), [...bar.parentElement.children].indexOf(bar)];
    }"""))


def test_tooltip_on_keyboard_focus(live_server: Any, open_tab: Callable[..., Tab],
                                   strip_page: StripPage) -> None:
    tab = open_tab(page_url(live_server.url, "acme"))

    focus_first_bar_by_tab(tab)

    # A strip is one tab stop, entered at today's bar.
    assert focused_bar_index(tab) == (0, STRIP_DAYS - 1)
    for _ in range(OUTAGE_DAYS_AGO):
        tab.page.keyboard.press("ArrowLeft")
    assert focused_bar_index(tab) == (0, STRIP_DAYS - 1 - OUTAGE_DAYS_AGO)
    bar = bar_of(tab, 0, OUTAGE_DAYS_AGO)
    text = check_tip_shown(tab, bar, DESKTOP)
    assert date_text(strip_page.outage_day) in text
    assert f"{OUTAGE_MINUTES} min down" in text
    assert bar.evaluate("bar => getComputedStyle(bar).outlineStyle") == "solid"


def test_tooltip_keyboard_keys(live_server: Any, open_tab: Callable[..., Tab],
                               strip_page: StripPage) -> None:
    tab = open_tab(page_url(live_server.url, "acme"))
    focus_first_bar_by_tab(tab)

    tab.page.keyboard.press("Home")
    assert focused_bar_index(tab) == (0, 0)
    tab.page.keyboard.press("ArrowRight")
    assert focused_bar_index(tab) == (0, 1)
    tab.page.keyboard.press("End")
    assert focused_bar_index(tab) == (0, STRIP_DAYS - 1)

    tab.page.keyboard.press("Escape")
    check_tip_hidden(bar_of(tab, 0, 0))

    tab.page.keyboard.press("Tab")
    assert focused_bar_index(tab) == (1, STRIP_DAYS - 1)
    check_tip_shown(tab, bar_of(tab, 1, 0), DESKTOP)


def test_tooltip_text_in_accessibility_tree(live_server: Any, open_tab: Callable[..., Tab],
                                            strip_page: StripPage) -> None:
    tab = open_tab(page_url(live_server.url, "acme"))

    snapshot = tab.locator("ol.strip").first.aria_snapshot()

    assert f'list "API, day by day over the last {STRIP_DAYS} days"' in snapshot
    expected = (f"- listitem:\n    - strong: {date_text(strip_page.outage_day)}\n"
                f"    - text: Partial outage, {OUTAGE_MINUTES} min down\n")
    assert expected in snapshot
    assert snapshot.count("- listitem") == STRIP_DAYS


def test_tooltip_on_tap(live_server: Any, open_tab: Callable[..., Tab],
                        strip_page: StripPage) -> None:
    tab = open_tab(page_url(live_server.url, "acme"), width=PHONE)
    bar = bar_of(tab, 0, OUTAGE_DAYS_AGO)

    bar.tap()

    text = check_tip_shown(tab, bar, PHONE)
    assert f"{OUTAGE_MINUTES} min down" in text
