"""The feeds, the badge and the embed in Chromium, in the light and the dark theme.

The front page's head must name the three formats, so that browsers and feed readers find
them. The badge must decode as an image. The embed must render in an `<iframe>` without
JavaScript, in the theme's colours, and pass axe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State
from heliograph.public.badge import HEIGHT
from tests.browser.support import Tab, axe_violations, open_incident, page_url, palette_rgb

pytestmark = pytest.mark.browser

TITLE = "Störung & <Wartung>"
FORMATS = [
    ("application/atom+xml", "/history.atom", "application/atom+xml; charset=utf-8"),
    ("application/rss+xml", "/history.rss", "application/rss+xml; charset=utf-8"),
    ("text/calendar", "/maintenances.ics", "text/calendar; charset=utf-8"),
]

ALTERNATES_SCRIPT = """() => [...document.head.querySelectorAll('link[rel="alternate"]')]
    .map(link => ({type: link.type, href: link.href, title: link.title}))"""
FETCH_SCRIPT = """async href => {
    const response = await fetch(href);
    return {status: response.status, type: response.headers.get('content-type'),
            length: (await response.text()).length};
}"""
IMAGE_SCRIPT = """async source => {
    const image = new Image();
    image.src = source;
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_formats_in_chromium(theme: str, live_server: Any, open_tab: Callable[..., Tab],
                             make_page: Callable[..., Page], actor: Actor) -> None:
    page = make_page("feeds", title=TITLE, theme=theme)
    service = pages.add_service(page, name="API", actor=actor,
                                start_date=(timezone.now() - dt.timedelta(days=3)).date())
    open_incident(page, actor, title="Slow API", services=[service], text="Looking.",
                  state=State.MAJOR_OUTAGE, ago=dt.timedelta(minutes=5), now=timezone.now())
    front = page_url(live_server.url, "feeds")

    tab = open_tab(front, color_scheme=theme)
    links = tab.evaluate(ALTERNATES_SCRIPT)

    assert [(link["type"], link["href"]) for link in links] == [
        (link_type, front.rstrip("/") + path) for link_type, path, _ in FORMATS
    ]
    assert links[0]["title"] == f"{TITLE} status (Atom)"
    for link, (_, _, content_type) in zip(links, FORMATS, strict=True):
        fetched = tab.evaluate(FETCH_SCRIPT, link["href"])
        assert fetched["status"] == 200, link
        assert fetched["type"] == content_type
        assert fetched["length"] > 200
    for name in ("Atom", "RSS", "iCalendar"):
        expect(tab.page.get_by_role("link", name=name, exact=True)).to_be_visible()
    width, height = tab.evaluate(IMAGE_SCRIPT, page_url(live_server.url, "feeds", "badge.svg"))
    assert height == HEIGHT
    assert width > 100
    assert tab.problems() == []

    # The embedding document comes from another origin, the main host, as on a real site. The
    # main host's own Content-Security-Policy allows no frames, so it is bypassed to stand in
    # for another site.
    host = open_tab(f"{live_server.url}/", java_script_enabled=False, color_scheme=theme,
                    bypass_csp=True)
    host.page.set_content(
        f'<iframe src="{page_url(live_server.url, "feeds", "embed")}" title="Status" '
        'width="360" height="72"></iframe>'
    )
    frame = host.page.frame_locator("iframe")
    expect(frame.locator(".title")).to_have_text(f"Major outage · {TITLE}")
    expect(frame.locator(".message")).to_have_text("Slow API")
    expect(frame.locator("body")).to_have_css("background-color",
                                              palette_rgb(theme)["background"])
    expect(frame.locator(".icon")).to_have_css("color", palette_rgb(theme)["major_outage"])

    # The embed's policy refuses every script, so axe is injected past it.
    embed = open_tab(page_url(live_server.url, "feeds", "embed"), color_scheme=theme,
                     bypass_csp=True)
    assert axe_violations(embed) == []
    assert embed.problems() == []
