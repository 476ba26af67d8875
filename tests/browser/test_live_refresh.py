"""The front page's live refresh: an event posted through the API shows up without a reload.

Playwright's fake clock drives the script's timer, so the 30-second interval of the real page
is tested without waiting for it. Requests and the server run in real time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Response, expect

from heliograph.accounts.models import User
from heliograph.api.models import ApiToken
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State
from heliograph.public.views import LIVE_INTERVAL_MS
from tests.browser.support import Tab, add_services, open_incident, page_url, prefixed_url

pytestmark = pytest.mark.browser

NEW_TEXT = "We are failing over to the standby database."


@pytest.fixture
def live_page(make_page: Callable[..., Page], actor: Actor) -> Incident:
    page = make_page("acme", title="Acme", time_zone="Europe/Paris", theme="light")
    database, = add_services(page, ["Database"], actor)
    return open_incident(page, actor, title="Slow queries", services=[database],
                         text="Queries take seconds.", state=State.DEGRADED_PERFORMANCE,
                         now=timezone.now())


@pytest.fixture
def post_event(live_server: Any, owner: User, live_page: Incident) -> Callable[..., None]:
    """Post an event to the open incident through the management API, over HTTP."""
    _token, raw = ApiToken.issue(owner, [live_page.page], can_write=True)

    def post(text: str, state: str, status: str) -> None:
        response = httpx.post(
            f"{live_server.url}/api/v1/pages/acme/incidents/{live_page.pk}/events",
            json={"text": text, "state": state, "status": status},
            headers={"Authorization": f"Bearer {raw}"}, timeout=10,
        )
        assert response.status_code == 201, response.text

    return post


def open_front_page(open_tab: Callable[..., Tab], server_url: str,
                    url: str | None = None) -> tuple[Tab, list[Response]]:
    """Open the front page with a fake clock, recording the responses of the live endpoint."""
    tab = open_tab("about:blank", wait=False)
    tab.page.clock.install(time=dt.datetime.now(dt.UTC))
    polls: list[Response] = []
    tab.page.on("response", lambda response: polls.append(response)
                if response.url.endswith("/live") else None)
    tab.goto(url or page_url(server_url, "acme"))
    return tab, polls


def advance(tab: Tab, milliseconds: int) -> None:
    tab.page.clock.run_for(milliseconds)


def next_poll(tab: Tab) -> Response:
    """Run the fake clock to the next poll and return the live endpoint's response."""
    with tab.page.expect_response(lambda response: response.url.endswith("/live")) as waiting:
        advance(tab, LIVE_INTERVAL_MS)
    return waiting.value


def test_live_refresh_interval(live_server: Any, open_tab: Callable[..., Tab],
                               live_page: Incident) -> None:
    tab, polls = open_front_page(open_tab, live_server.url)

    advance(tab, LIVE_INTERVAL_MS - 1_000)
    tab.page.wait_for_timeout(300)
    assert polls == []

    advance(tab, 1_000)
    expect(tab.locator("p[data-live-checked]")).to_be_visible()
    tab.page.wait_for_timeout(300)

    assert len(polls) == 1
    assert polls[0].request.headers["if-none-match"] == tab.locator("#live").get_attribute(
        "data-etag"
    )


def test_live_refresh_shows_posted_event(live_server: Any, open_tab: Callable[..., Tab],
                                         post_event: Callable[..., None]) -> None:
    tab, _polls = open_front_page(open_tab, live_server.url)
    icon_before = tab.locator('link[rel="icon"]').get_attribute("href")
    assert tab.locator("#banner-heading").inner_text().casefold() == "degraded performance"

    post_event(NEW_TEXT, "major_outage", "identified")
    response = next_poll(tab)

    assert response.status == 200
    expect(tab.locator("#live .entry .md")).to_have_text(NEW_TEXT)
    assert tab.locator("#banner-heading").inner_text().casefold() == "major outage"
    assert "s-major_outage" in (tab.locator("section.banner").get_attribute("class") or "")
    assert tab.locator(".state-tag.s-major_outage", has_text="Major outage").count() == 1
    assert tab.locator('link[rel="icon"]').get_attribute("href") != icon_before
    expect(tab.locator("[data-live-announce]")).to_have_text(
        "The status has changed; this page now shows the latest events."
    )
    assert tab.problems() == []


def test_live_refresh_unchanged_is_304(live_server: Any, open_tab: Callable[..., Tab],
                                       live_page: Incident) -> None:
    tab, _polls = open_front_page(open_tab, live_server.url)
    # A mark on the live region's element is lost if the script replaces its content.
    tab.evaluate("() => { document.querySelector('#live .entry').dataset.mark = 'kept'; }")

    response = next_poll(tab)

    assert response.status == 304
    tab.page.wait_for_timeout(200)
    assert tab.locator("#live .entry").get_attribute("data-mark") == "kept"
    assert tab.locator("[data-live-announce]").inner_text() == ""


def test_live_refresh_keeps_polling_after_update(
    live_server: Any, open_tab: Callable[..., Tab], post_event: Callable[..., None]
) -> None:
    tab, _polls = open_front_page(open_tab, live_server.url)
    post_event("First update.", "partial_outage", "identified")
    assert next_poll(tab).status == 200
    expect(tab.locator("#live .entry .md")).to_have_text("First update.")

    post_event("Second update.", "degraded_performance", "monitoring")
    response = next_poll(tab)

    assert response.status == 200
    expect(tab.locator("#live .entry .md")).to_have_text("Second update.")
    assert next_poll(tab).status == 304


def test_live_refresh_under_path_prefix(live_server: Any, open_tab: Callable[..., Tab],
                                        post_event: Callable[..., None]) -> None:
    url = prefixed_url(live_server.url, "acme")
    tab, _polls = open_front_page(open_tab, live_server.url, url)

    post_event(NEW_TEXT, "major_outage", "identified")
    response = next_poll(tab)

    assert response.url == f"{url}live"
    assert response.status == 200
    expect(tab.locator("#live .entry .md")).to_have_text(NEW_TEXT)
    link = tab.locator(".banner-titles a").get_attribute("href") or ""
    assert link.startswith("/p/acme/incidents/")
    assert (tab.locator('link[rel="icon"]').get_attribute("href") or "").startswith(
        "/p/acme/favicon.svg?v="
    )
    assert tab.problems() == []
