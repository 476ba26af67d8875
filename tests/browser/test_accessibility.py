"""axe-core finds no WCAG 2.2 A or AA violation on any public view, in light and dark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain.management.commands.demo import DEMO_SLUG
from tests.browser.support import PHONE, Tab, axe_violations, page_url

pytestmark = pytest.mark.browser

THEMES = ["light", "dark"]


@pytest.mark.parametrize("theme", THEMES)
def test_axe_every_view(live_server: Any, open_tab: Callable[..., Tab],
                        demo_views: Callable[[str], dict[str, str]], theme: str) -> None:
    tab = open_tab("about:blank", wait=False)
    found = {}
    for name, path in demo_views(theme).items():
        tab.goto(page_url(live_server.url, DEMO_SLUG, path))
        assert tab.style("html", "color-scheme") == theme
        found[name] = axe_violations(tab)

    assert found == {name: [] for name in found}


@pytest.mark.parametrize("theme", THEMES)
def test_axe_front_page_phone(live_server: Any, open_tab: Callable[..., Tab],
                              demo_views: Callable[[str], dict[str, str]], theme: str) -> None:
    demo_views(theme)

    tab = open_tab(page_url(live_server.url, DEMO_SLUG), width=PHONE)

    assert axe_violations(tab) == []


@pytest.mark.parametrize("theme", THEMES)
def test_axe_open_tooltip(live_server: Any, open_tab: Callable[..., Tab],
                          demo_views: Callable[[str], dict[str, str]], theme: str) -> None:
    demo_views(theme)
    tab = open_tab(page_url(live_server.url, DEMO_SLUG))

    tab.locator("ol.strip li.bar").nth(45).focus()

    assert tab.locator("ol.strip li.bar").nth(45).locator(".tip").is_visible()
    assert axe_violations(tab) == []


@pytest.mark.parametrize("scheme", THEMES)
def test_axe_auto_theme(live_server: Any, open_tab: Callable[..., Tab],
                        demo_views: Callable[[str], dict[str, str]], scheme: str) -> None:
    demo_views("auto")

    tab = open_tab(page_url(live_server.url, DEMO_SLUG), color_scheme=scheme)

    assert axe_violations(tab) == []
