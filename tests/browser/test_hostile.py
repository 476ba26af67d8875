"""Hostile titles and texts in a real browser: no dialog opens and no element is injected.

Every view is checked after the page's own script has run, and the front page again after a
live refresh has replaced its dynamic parts with the live endpoint's HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.public.views import LIVE_INTERVAL_MS
from tests.browser.support import Tab, add_services, open_incident, page_url, past_incident

pytestmark = pytest.mark.browser

PAGE_TITLE = '<script>alert("page")</script>'
SERVICE_NAME = '"><svg onload=alert(2)>'
GROUP_NAME = "<iframe src=javascript:alert(3)>"
INCIDENT_TITLE = "<img src=x onerror=alert(1)>"
EVENT_TEXT = (
    "[x](javascript:alert(1)) <script>alert(4)</script> "
    '<iframe src="javascript:alert(5)"></iframe> <img src=x onerror="alert(6)"> '
    '<img src=x onerror="window.hostileRan=true"> <a href="javascript:alert(7)">y</a> '
    "[z](JAVASCRIPT:alert(8)) <svg/onload=alert(9)> <details open ontoggle=alert(10)>"
)
MAINTENANCE_TITLE = "<script>alert(11)</script>"
DESCRIPTION = (
    "![pixel](javascript:alert(12)) [d](data:text/html,<script>alert(13)</script>) "
    "<style>body{display:none}</style> <body onload=alert(14)>"
)
OWN_SCRIPT = "/static/public/status.js"

# Everything on the page that is not the page's own markup: tags that load or run something,
# event handler attributes, inline styles, and links or sources with a script scheme.
FOREIGN_ELEMENTS_SCRIPT = """ownScript => {
    const found = [];
    for (const element of document.querySelectorAll('*')) {
        const tag = element.tagName.toLowerCase();
        if (['iframe', 'img', 'object', 'embed', 'frame', 'form', 'input', 'base', 'details',
             'body', 'audio', 'video', 'math'].includes(tag) && element !== document.body) {
            found.push(`<${tag}>`);
        }
        if (tag === 'script' && element.getAttribute('src') !== ownScript) {
            found.push(`<script src=${element.getAttribute('src')}>`);
        }
        if (tag === 'style' && element.parentElement !== document.head) found.push('<style>');
        if (tag === 'svg' && !element.closest('svg.sprite, svg.icon')) found.push('<svg>');
        for (const attribute of element.attributes) {
            const value = attribute.value.trim().toLowerCase();
            if (attribute.name.startsWith('on') || attribute.name === 'style' ||
                (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attribute.name)
                 && /^(javascript|vbscript|data):/.test(value))) {
                found.push(`${tag}[${attribute.name}=${attribute.value}]`);
            }
        }
    }
    return found;
}"""


@pytest.fixture
def hostile_page(make_page: Callable[..., Page], actor: Actor) -> dict[str, int]:
    """Return the ids of records whose every shown field is hostile."""
    page = make_page("hostile", title=PAGE_TITLE, theme="light", time_zone="America/Chicago",
                     default_status_message="<img src=x onerror=alert(15)>")
    now = timezone.now()

    group = pages.add_group(page, name=GROUP_NAME, actor=actor)
    service, = add_services(page, [SERVICE_NAME], actor, group=group,
                            start_date=(now - dt.timedelta(days=10)).date())
    pages.update_service(service, {"description": "<b onmouseover=alert(16)>d</b>"},
                         actor=actor)

    incident = open_incident(page, actor, title=INCIDENT_TITLE, text=EVENT_TEXT,
                             services=[service], ago=dt.timedelta(hours=2), now=now)
    incidents.post_event(incident, text=EVENT_TEXT, state=State.MAJOR_OUTAGE,
                         status=Status.IDENTIFIED, actor=actor)
    past = past_incident(page, actor, now - dt.timedelta(days=3), 60, title=INCIDENT_TITLE,
                         services=[service], text=EVENT_TEXT)
    incidents.update_incident(past, post_mortem=EVENT_TEXT, actor=actor)

    upcoming = maintenances.schedule_maintenance(
        page, title=MAINTENANCE_TITLE, description=DESCRIPTION, services=[service],
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=2),
        actor=actor,
    )
    maintenances.post_event(upcoming, text=EVENT_TEXT, status=MaintenanceStatus.SCHEDULED,
                            actor=actor)
    done_start = now - dt.timedelta(days=5)
    done = maintenances.schedule_maintenance(
        page, title=MAINTENANCE_TITLE, description=DESCRIPTION,
        starts_at=done_start, ends_at=done_start + dt.timedelta(hours=1), actor=actor,
    )
    maintenances.close_maintenance(done, text=EVENT_TEXT, actor=actor)
    return {"incident": incident.pk, "past": past.pk, "upcoming": upcoming.pk, "done": done.pk}


def check_harmless(tab: Tab, where: str) -> None:
    assert tab.dialogs == [], where
    assert tab.evaluate("() => window.hostileRan === undefined"), where
    assert tab.evaluate(FOREIGN_ELEMENTS_SCRIPT, OWN_SCRIPT) == [], where
    assert tab.script_errors == [], where


def test_hostile_front_page(live_server: Any, open_tab: Callable[..., Tab],
                            hostile_page: dict[str, int], actor: Actor) -> None:
    tab = open_tab("about:blank", wait=False)
    tab.page.clock.install(time=dt.datetime.now(dt.UTC))
    tab.goto(page_url(live_server.url, "hostile"))

    check_harmless(tab, "front page")
    assert tab.page.title() == f"{PAGE_TITLE} status"
    assert tab.locator(".brand-title").inner_text() == PAGE_TITLE
    assert tab.locator(".banner-titles a").inner_text() == INCIDENT_TITLE
    assert tab.locator(".service-name").inner_text() == SERVICE_NAME
    assert tab.locator(".group-name").inner_text() == GROUP_NAME
    expect(tab.locator("#current-heading + ul .md")).to_contain_text("<script>alert(4)</script>")

    # The live refresh inserts the endpoint's HTML with innerHTML, so it must be as harmless.
    # A new event makes the endpoint send its HTML, which replaces the marked element.
    tab.evaluate("() => { document.querySelector('#live .banner').dataset.mark = 'old'; }")
    incidents.post_event(Incident.objects.get(pk=hostile_page["incident"]), text=EVENT_TEXT,
                         state=State.PARTIAL_OUTAGE, status=Status.MONITORING, actor=actor)
    with tab.page.expect_response(lambda response: response.url.endswith("/live")) as waiting:
        tab.page.clock.run_for(LIVE_INTERVAL_MS)
    assert waiting.value.status == 200
    expect(tab.locator("#live [data-mark]")).to_have_count(0)
    check_harmless(tab, "front page after a live refresh")
    assert tab.locator(".banner-titles a").inner_text() == INCIDENT_TITLE


@pytest.mark.parametrize("view", [
    "incidents/{incident}", "incidents/{past}", "maintenances/{upcoming}",
    "maintenances/{done}", "history", "maintenances",
])
def test_hostile_views(live_server: Any, open_tab: Callable[..., Tab],
                       hostile_page: dict[str, int], view: str) -> None:
    tab = open_tab(page_url(live_server.url, "hostile", view.format(**hostile_page)))

    check_harmless(tab, view)
    titles = tab.locator("h1, .entry-title").all_inner_texts()
    assert titles
    assert all(title in {INCIDENT_TITLE, MAINTENANCE_TITLE, "Incident history",
                         "Past maintenances"} for title in titles), titles
    # Links in the hostile texts are shown as text or lose their target.
    for link in tab.locator(".md a").all():
        href = link.get_attribute("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:")), href


def test_hostile_zone_switch(live_server: Any, open_tab: Callable[..., Tab],
                             hostile_page: dict[str, int]) -> None:
    tab = open_tab(page_url(live_server.url, "hostile", f"incidents/{hostile_page['incident']}"),
                   timezone_id="Asia/Tokyo")

    tab.locator("[data-zone-button]").click()

    expect(tab.locator("[data-zone-text]")).to_contain_text("Asia/Tokyo")
    check_harmless(tab, "incident page in the visitor's zone")
