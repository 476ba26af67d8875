"""Playwright fixtures shared by every browser test: one Chromium per test session.

They are registered once, from the root conftest, so that tests outside `tests/browser` use the
same driver. A second `sync_playwright()` in the same process would fail, because Playwright's
sync API refuses to start inside the event loop of the first one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, Request, sync_playwright

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
    pending: set[Request] = set()

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
        context.on("request", lambda request: pending.add(request))
        context.on("requestfinished", lambda request: pending.discard(request))
        context.on("requestfailed", lambda request: pending.discard(request))
        tab = Tab(context.new_page())
        if wait:
            tab.goto(url)
        return tab

    yield open_url
    # A request the browser sent but the live server has not accepted yet would reach it while
    # the next test sets up; let the browser see every answer before the tabs close.
    deadline = time.monotonic() + 5
    for context in contexts:
        for page in context.pages:
            while pending and time.monotonic() < deadline and not page.is_closed():
                page.wait_for_timeout(20)
        context.close()
