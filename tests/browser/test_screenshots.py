"""Screenshots of the demo page for the README: docs/screenshots/front-{light,dark}.png.

They are written only when HELIOGRAPH_SCREENSHOTS=1, so that ordinary test runs leave the
working tree unchanged:

    HELIOGRAPH_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain.management.commands.demo import DEMO_SLUG, DEMO_TIME_ZONE
from tests.browser.support import DESKTOP, REPOSITORY, Tab, page_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("HELIOGRAPH_SCREENSHOTS") != "1",
                       reason="set HELIOGRAPH_SCREENSHOTS=1 to write the README's screenshots"),
]

SCREENSHOTS = REPOSITORY / "docs" / "screenshots"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_front_page(live_server: Any, open_tab: Callable[..., Tab],
                               demo_views: Callable[[str], dict[str, str]], theme: str) -> None:
    demo_views(theme)
    # A visitor in the page's own zone: the footer then offers no switch of zone.
    tab = open_tab(page_url(live_server.url, DEMO_SLUG), width=DESKTOP,
                   timezone_id=DEMO_TIME_ZONE)
    tab.page.evaluate("() => document.fonts.ready")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"front-{theme}.png"

    tab.page.screenshot(path=str(path), full_page=True, animations="disabled")

    assert path.stat().st_size > 10_000
    assert tab.problems() == []
