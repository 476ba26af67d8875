"""Atlassian's status widget (npm `@statuspage/status-widget` 1.0.5) shows a page's status.

The widget is a web component that fetches `/api/v2/summary.json` from the root of the
address in its `src` attribute. The test serves the widget from a page on another origin
(another port of 127.0.0.1), as a customer's site would, and renders it in Debian's Chromium.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from heliograph.domain import maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from tests.browser.support import Tab, missing_node_tool, page_url
from tests.statuspage.conftest import REPOSITORY, BusyPage, build_busy_page

pytestmark = pytest.mark.browser

WIDGET_SCRIPT = REPOSITORY / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"
# The widget's bundle assigns to an undeclared global in strict mode after it has defined
# the element, so Chromium reports this error although the widget works.
KNOWN_WIDGET_ERROR = "parcelRequire is not defined"
# Milliseconds to wait for the widget's fetch and render.
RENDER_TIMEOUT = 15_000

HOST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A customer's site</title><link rel="icon" href="data:,"></head>
<body>
  <statuspage-widget id="basic" src="{default_root}"></statuspage-widget>
  <statuspage-widget id="badge" src="{page_root}" appearance="badge" title="Acme">
  </statuspage-widget>
  <script src="widget.js"></script>
</body>
</html>
"""


@pytest.fixture
def customer_site(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Serve static files from `tmp_path` on 127.0.0.1; return a function that adds a page.

    The function writes `index.html` and returns its URL, an origin other than the live
    server's.
    """
    problem = missing_node_tool(WIDGET_SCRIPT)
    if problem:
        pytest.fail(problem, pytrace=False)
    shutil.copy(WIDGET_SCRIPT, tmp_path / "widget.js")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def add(html: str) -> str:
        (tmp_path / "index.html").write_text(html)
        return f"http://127.0.0.1:{server.server_address[1]}/index.html"

    yield add
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one line per request."""


@pytest.fixture
def live_page(page: Page, actor: Actor, settings: Any) -> BusyPage:
    settings.HELIOGRAPH_DEFAULT_PAGE = "acme"
    return build_busy_page(page, actor, timezone.now())


def open_widgets(open_tab: Callable[..., Tab], customer_site: Callable[[str], str],
                 live_server: Any) -> tuple[Tab, list[Any]]:
    """Open the customer's page with both widgets, recording the summary responses."""
    html = HOST_PAGE.format(default_root=live_server.url,
                            page_root=page_url(live_server.url, "acme"))
    tab = open_tab("about:blank", wait=False)
    summaries: list[Any] = []
    tab.page.on("response", lambda response: summaries.append(response)
                if response.url.endswith("/api/v2/summary.json") else None)
    tab.goto(customer_site(html))
    for selector in ("#basic .status-text", "#badge .status-indicator"):
        tab.locator(selector).wait_for(timeout=RENDER_TIMEOUT)
    return tab, summaries


def test_widget_shows_status(live_server: Any, live_page: BusyPage,
                             open_tab: Callable[..., Tab],
                             customer_site: Callable[[str], str]) -> None:
    tab, _ = open_widgets(open_tab, customer_site, live_server)

    assert tab.locator("#basic .status-text").inner_text() == "Minor Service Outage"
    indicator_classes = tab.locator("#basic .status-indicator").get_attribute("class") or ""
    assert "minor" in indicator_classes.split()
    assert tab.locator("#basic a").get_attribute("href") == live_server.url
    assert tab.locator("#badge .status-text").inner_text() == "Acme"
    # The badge lowercases the description with CSS; its text is the document's.
    badge_text = tab.locator("#badge .status-indicator").text_content() or ""
    assert badge_text.strip() == "Minor Service Outage"
    assert tab.problems() == [KNOWN_WIDGET_ERROR]


def test_widget_fetches_across_origins(live_server: Any, live_page: BusyPage,
                                       open_tab: Callable[..., Tab],
                                       customer_site: Callable[[str], str]) -> None:
    tab, summaries = open_widgets(open_tab, customer_site, live_server)
    origin = tab.evaluate("() => location.origin")

    assert sorted(response.url for response in summaries) == sorted([
        f"{live_server.url}/api/v2/summary.json",
        page_url(live_server.url, "acme", "api/v2/summary.json"),
    ])
    for response in summaries:
        assert response.request.all_headers().get("origin") == origin
        assert response.headers["access-control-allow-origin"] == "*"
    assert not origin.startswith(live_server.url)


def test_cross_origin_fetch_needs_cors(live_server: Any, live_page: BusyPage,
                                       open_tab: Callable[..., Tab],
                                       customer_site: Callable[[str], str]) -> None:
    """The same page cannot read an address without CORS, so the check above is real."""
    tab, _ = open_widgets(open_tab, customer_site, live_server)

    outcome = tab.evaluate("""async url => {
        try { await (await fetch(url)).text(); return 'read'; }
        catch (error) { return 'blocked'; }
    }""", f"{live_server.url}/live")

    assert outcome == "blocked"
    tab.console_errors.clear()
    tab.failed_requests.clear()


def test_widget_shows_maintenance(live_server: Any, page: Page, actor: Actor, settings: Any,
                                  open_tab: Callable[..., Tab],
                                  customer_site: Callable[[str], str]) -> None:
    settings.HELIOGRAPH_DEFAULT_PAGE = "acme"
    service = pages.add_service(page, name="API", actor=actor)
    now = timezone.now()
    maintenance = maintenances.schedule_maintenance(
        page, title="Upgrade", description="", starts_at=now,
        ends_at=now + dt.timedelta(hours=1), services=[service], actor=actor,
    )
    maintenances.post_event(maintenance, text="Started.", actor=actor)

    tab, _ = open_widgets(open_tab, customer_site, live_server)

    assert tab.locator("#basic .status-text").inner_text() == "Service Under Maintenance"
    indicator_classes = tab.locator("#basic .status-indicator").get_attribute("class") or ""
    assert "maintenance" in indicator_classes.split()
