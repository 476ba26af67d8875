"""Lighthouse 12 scores 100 for accessibility, best practices and SEO, in light and dark.

Lighthouse starts its own Chromium (Debian's, through CHROME_PATH) and runs its mobile
configuration. It exits 0 whatever the scores, so the test reads them from the JSON report.
The front page is audited in both themes, the incident and history views in one each: a run
costs about 12 s, and the only audits that depend on the theme, the colour contrasts, are
axe-core's as well, which tests/browser/test_accessibility.py runs on every view in both
themes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heliograph.domain.management.commands.demo import DEMO_SLUG
from tests.browser.support import (
    LIGHTHOUSE_CATEGORIES,
    lighthouse_failures,
    lighthouse_report,
    page_url,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("view", "theme"),
                         [("front", "light"), ("incident", "dark"), ("history", "light"),
                          ("front", "dark")])
def test_lighthouse_scores(live_server: Any, demo_views: Callable[[str], dict[str, str]],
                           tmp_path: Path, view: str, theme: str) -> None:
    url = page_url(live_server.url, DEMO_SLUG, demo_views(theme)[view])

    report = lighthouse_report(url, tmp_path / "report.json", "--disable-full-page-screenshot")

    assert report["lighthouseVersion"].startswith("12.")
    assert report["finalDisplayedUrl"] == url
    assert set(report["categories"]) == set(LIGHTHOUSE_CATEGORIES)
    assert lighthouse_failures(report) == {}
