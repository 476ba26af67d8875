"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against `live_server`.

A missing Chromium or a missing `node_modules` fails these tests with the install command
instead of skipping them, so a CI run cannot pass without having run them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.management.commands.demo import DEMO_SLUG
from heliograph.domain.models import Incident, Maintenance, Page
from heliograph.domain.vocab import MaintenanceStatus
from tests.browser.support import CHROMIUM, CHROMIUM_SWITCHES, DESKTOP, Tab, missing_chromium


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    problem = missing_chromium()
    if problem:
        pytest.fail(problem, pytrace=False)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM,
                                                args=list(CHROMIUM_SWITCHES))
    yield browser
    browser.close()


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Open a URL in a new browser context and return it as a `Tab`.

    Keyword arguments go to `Browser.new_context` (viewport, color_scheme, timezone_id,
    java_script_enabled, ...); `width` is a shortcut for a viewport of that width. A phone
    width also emulates a touch screen with a mobile viewport.
    """
    contexts: list[BrowserContext] = []

    def open_url(url: str, *, width: int = DESKTOP, wait: bool = True,
                 **options: Any) -> Tab:
        options.setdefault("viewport", {"width": width, "height": 900 if width > 600 else 740})
        options.setdefault("locale", "en-US")
        if width <= 600:
            options.setdefault("is_mobile", True)
            options.setdefault("has_touch", True)
            options.setdefault("device_scale_factor", 2)
        context = browser.new_context(**options)
        contexts.append(context)
        tab = Tab(context.new_page())
        if wait:
            tab.goto(url)
        return tab

    yield open_url
    for context in contexts:
        context.close()


@pytest.fixture
def demo_views(transactional_db: None) -> Callable[[str], dict[str, str]]:
    """Create the demo page, and return a function that sets its theme and names its views.

    The views are paths under the page's host: the front page, an incident with a
    post-mortem, the history, a maintenance in progress and the past maintenances.
    """
    call_command("demo", stdout=io.StringIO())
    page = Page.objects.get(slug=DEMO_SLUG)
    incident = Incident.objects.filter(page=page).exclude(post_mortem="").first()
    maintenance = Maintenance.objects.filter(
        page=page, status=MaintenanceStatus.IN_PROGRESS
    ).first()
    assert incident is not None
    assert maintenance is not None

    def views(theme: str) -> dict[str, str]:
        pages.update_page(page, {"theme": theme}, actor=Actor.system("browser tests"))
        return {
            "front": "",
            "incident": f"incidents/{incident.pk}",
            "history": "history",
            "maintenance": f"maintenances/{maintenance.pk}",
            "past maintenances": "maintenances",
        }

    return views
