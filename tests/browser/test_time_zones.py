"""Times in the page's zone for visitors anywhere, the switch to the visitor's zone, and no JS.

The visitor's zone is emulated with the browser context's `timezone_id`. Every expected time
is computed here from the `datetime` attribute with zoneinfo, not taken from the server's code.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from heliograph.domain import maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State
from heliograph.public.strips import STRIP_DAYS
from tests.browser.support import Tab, add_services, open_incident, page_url, past_incident

pytestmark = pytest.mark.browser

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# "Dec. 4, 2026, 14:05 CST" from the server; "Dec 4, 2026, 23:05 GMT+9" from the browser.
TIME_TEXT = re.compile(r"(\d{2}):(\d{2}) (\S+)$")
SHOW_MINE = "Show times in my time zone"
SHOW_PAGE = "Show times in the page\u2019s time zone"
PAGE_ZONE_NOTE = "Times are shown in the page\u2019s time zone, America/Chicago."


def next_offset_change(zone: zoneinfo.ZoneInfo, after: dt.datetime) -> dt.datetime:
    """Return the first instant after `after` at which `zone` changes its UTC offset."""
    moment = after.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    while moment.astimezone(zone).utcoffset() == offset:
        moment += dt.timedelta(hours=1)
    return moment


@dataclass(frozen=True)
class ZonedPage:
    incident_id: int
    maintenance_id: int
    change: dt.datetime


@pytest.fixture
def chicago_page(make_page: Callable[..., Page], actor: Actor) -> ZonedPage:
    """A page in Chicago with an open incident and a maintenance across the next DST change."""
    page = make_page("chicago", title="Chicago Cloud", time_zone=CHICAGO.key, theme="light")
    now = timezone.now()
    api, = add_services(page, ["API"], actor, start_date=(now - dt.timedelta(days=100)).date())
    past_incident(page, actor, now - dt.timedelta(days=5), 45, services=[api])
    incident = open_incident(page, actor, title="Slow API", services=[api],
                             state=State.DEGRADED_PERFORMANCE, now=now)
    change = next_offset_change(CHICAGO, now)
    maintenance = maintenances.schedule_maintenance(
        page, title="Network upgrade", description="Across the clock change.",
        starts_at=change - dt.timedelta(hours=3), ends_at=change + dt.timedelta(hours=3),
        services=[api], actor=actor,
    )
    return ZonedPage(incident.pk, maintenance.pk, change)


def shown_times(tab: Tab, scope: str = "body") -> list[tuple[dt.datetime, str]]:
    """Return every `<time>` under `scope` as its instant and its text."""
    rows = tab.evaluate("""scope => [...document.querySelectorAll(`${scope} time[datetime]`)]
        .map(element => [element.getAttribute('datetime'), element.textContent.trim()])""", scope)
    return [(dt.datetime.fromisoformat(instant), text) for instant, text in rows]


def check_times_in_zone(times: list[tuple[dt.datetime, str]], zone: zoneinfo.ZoneInfo,
                        names: Callable[[dt.datetime], str]) -> None:
    """Check that each text shows its instant's wall-clock time in `zone` and names the zone."""
    assert times
    for instant, text in times:
        local = instant.astimezone(zone)
        match = TIME_TEXT.search(text)
        assert match is not None, text
        assert (int(match[1]), int(match[2])) == (local.hour, local.minute), (instant, text)
        assert match[3] == names(local), (instant, text)


def chicago_name(local: dt.datetime) -> str:
    return local.tzname() or ""


def tokyo_name(local: dt.datetime) -> str:
    return "GMT+9"


@pytest.mark.parametrize("visitor_zone", ["Asia/Tokyo", "Europe/London", "America/Chicago"])
def test_times_in_page_zone_for_any_visitor(live_server: Any, open_tab: Callable[..., Tab],
                                            chicago_page: ZonedPage, visitor_zone: str) -> None:
    for view in ("", f"incidents/{chicago_page.incident_id}",
                 f"maintenances/{chicago_page.maintenance_id}", "history"):
        tab = open_tab(page_url(live_server.url, "chicago", view), timezone_id=visitor_zone)

        check_times_in_zone(shown_times(tab), CHICAGO, chicago_name)
        assert tab.locator("[data-zone-text]").inner_text() == PAGE_ZONE_NOTE


def test_maintenance_across_dst_change(live_server: Any, open_tab: Callable[..., Tab],
                                       chicago_page: ZonedPage) -> None:
    tab = open_tab(page_url(live_server.url, "chicago",
                            f"maintenances/{chicago_page.maintenance_id}"))

    window = tab.locator(".facts dd").first.inner_text()

    start = (chicago_page.change - dt.timedelta(hours=3)).astimezone(CHICAGO)
    end = (chicago_page.change + dt.timedelta(hours=3)).astimezone(CHICAGO)
    assert start.tzname() != end.tzname()
    assert f"{start:%H:%M} {start.tzname()}" in window
    assert window.endswith(f"{end:%H:%M} {end.tzname()}")


def test_last_checked_server_abbreviation(live_server: Any,
                                                  open_tab: Callable[..., Tab],
                                                  make_page: Callable[..., Page]) -> None:
    # Intl names Europe/Zurich "GMT+1" in English; the script uses the server's "CET" instead.
    make_page("zurich", title="Zurich", time_zone="Europe/Zurich")

    tab = open_tab(page_url(live_server.url, "zurich"), timezone_id="Asia/Tokyo")

    checked = tab.locator("p[data-live-checked]")
    expect(checked).to_be_visible()
    now = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Zurich"))
    assert checked.inner_text().endswith(f" {now.tzname()}.")
    assert re.search(r"Last checked \d{2}:\d{2} ", checked.inner_text())


def test_zone_switch_shows_visitor_zone(live_server: Any, open_tab: Callable[..., Tab],
                                        chicago_page: ZonedPage) -> None:
    url = page_url(live_server.url, "chicago", f"maintenances/{chicago_page.maintenance_id}")
    tab = open_tab(url, timezone_id="Asia/Tokyo")
    page_texts = shown_times(tab, "main")
    button = tab.locator("[data-zone-button]")
    expect(button).to_have_text(SHOW_MINE)

    button.click()

    expect(tab.locator("[data-zone-text]")).to_have_text(
        "Times are shown in your time zone, Asia/Tokyo."
    )
    expect(button).to_have_text(SHOW_PAGE)
    check_times_in_zone(shown_times(tab), TOKYO, tokyo_name)

    # The choice is kept for the next visit, and switching back restores the server's text.
    tab.page.reload()
    check_times_in_zone(shown_times(tab), TOKYO, tokyo_name)
    tab.locator("[data-zone-button]").click()
    assert shown_times(tab, "main") == page_texts
    assert tab.problems() == []


def test_zone_switch_hidden_in_page_zone(live_server: Any, open_tab: Callable[..., Tab],
                                         chicago_page: ZonedPage) -> None:
    tab = open_tab(page_url(live_server.url, "chicago"), timezone_id="America/Chicago")

    expect(tab.locator("[data-zone-button]")).to_be_hidden()


def test_front_page_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                       chicago_page: ZonedPage) -> None:
    tab = open_tab(page_url(live_server.url, "chicago"), timezone_id="Asia/Tokyo",
                   java_script_enabled=False)

    assert tab.locator("#banner-heading").inner_text().casefold() == "degraded performance"
    assert tab.locator(".entry-title a", has_text="Slow API").is_visible()
    assert tab.locator("ol.strip li.bar").count() == STRIP_DAYS
    check_times_in_zone(shown_times(tab), CHICAGO, chicago_name)
    expect(tab.locator("[data-zone-text]")).to_have_text(PAGE_ZONE_NOTE)
    expect(tab.locator("[data-zone-button]")).to_be_hidden()
    expect(tab.locator("[data-live-checked]")).to_be_hidden()
    updated = tab.locator("footer p.updated").filter(visible=True)
    expect(updated).to_have_count(1)
    assert updated.inner_text().startswith("Last updated ")
    assert updated.inner_text().endswith(". Reload the page to see newer events.")
    updated_time = updated.locator("time").inner_text()
    assert TIME_TEXT.search(updated_time) is not None
    assert updated_time.endswith(timezone.now().astimezone(CHICAGO).tzname() or "")


def test_tooltip_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                    chicago_page: ZonedPage) -> None:
    tab = open_tab(page_url(live_server.url, "chicago"), java_script_enabled=False)
    bars = tab.locator("ol.strip li.bar")

    bars.nth(10).hover()
    expect(bars.nth(10).locator(".tip")).to_be_visible()

    # Without the script every bar is a tab stop of its own.
    bars.nth(20).focus()
    tab.page.keyboard.press("Tab")
    assert tab.evaluate("() => [...document.activeElement.parentElement.children]"
                        ".indexOf(document.activeElement)") == 21
    expect(bars.nth(21).locator(".tip")).to_be_visible()


@pytest.mark.parametrize("view", ["incidents/{incident_id}", "maintenances/{maintenance_id}",
                                  "history", "maintenances"])
def test_views_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                  chicago_page: ZonedPage, view: str) -> None:
    path = view.format(incident_id=chicago_page.incident_id,
                       maintenance_id=chicago_page.maintenance_id)

    tab = open_tab(page_url(live_server.url, "chicago", path), java_script_enabled=False)

    assert tab.locator("h1").is_visible()
    assert tab.locator("footer p.updated").filter(visible=True).count() == 1
    times = shown_times(tab)
    if times:
        check_times_in_zone(times, CHICAGO, chicago_name)
