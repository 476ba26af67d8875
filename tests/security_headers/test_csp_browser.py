"""Chromium loads every kind of screen under the Content-Security-Policy without a violation.

Each tab records `securitypolicyviolation` events from the first script that runs, and
Chromium's own console errors, in the light and the dark colour scheme. The styles of the
nonce'd `<style>` blocks must also be in effect, which proves the nonce matched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from tests.browser.console_session import signed_in_tab
from tests.browser.support import Tab, add_services, page_url, palette_rgb, rgb

pytestmark = pytest.mark.browser

THEMES = ["light", "dark"]
HEADER_BACKGROUND = "#1d3557"
LISTEN = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', event => {
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
                            + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def filled_page(page: Page, actor: Actor) -> dict[str, int]:
    """Give the page custom header colours, services, an open incident and a maintenance."""
    now = timezone.now()
    pages.update_page(page, {"header_background": HEADER_BACKGROUND,
                             "header_text_color": "#ffffff"}, actor=actor)
    api, _web = add_services(page, ["Public API", "Website"], actor)
    incident = incidents.open_incident(
        page, title="Elevated errors", text="Some requests **fail**.", actor=actor,
        state=State.PARTIAL_OUTAGE, status=Status.IDENTIFIED, services=[api],
        at=now - dt.timedelta(minutes=30))
    maintenance = maintenances.schedule_maintenance(
        page, title="Database upgrade", description="A short pause.", actor=actor,
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=1))
    return {"incident": incident.pk, "maintenance": maintenance.pk}


def violations(tab: Tab) -> list[str]:
    recorded = [str(item) for item in tab.evaluate("() => window.cspViolations || []")]
    console = [message for message in tab.console_errors if "Content Security Policy" in message]
    return recorded + console


def open_listening(open_tab: Callable[..., Tab], url: str, theme: str) -> Tab:
    tab = open_tab("about:blank", wait=False, color_scheme=theme)
    tab.page.context.add_init_script(LISTEN)
    tab.goto(url)
    return tab


@pytest.mark.parametrize("theme", THEMES)
def test_public_screens(live_server: Any, open_tab: Callable[..., Tab], filled_page: dict[str, int],
                        theme: str) -> None:
    paths = ["", f"incidents/{filled_page['incident']}", "history",
             f"maintenances/{filled_page['maintenance']}", "maintenances", "subscribe", "embed"]
    for path in paths:
        tab = open_listening(open_tab, page_url(live_server.url, "acme", path), theme)
        # The live refresh of the front page runs its script and fetches once.
        tab.page.wait_for_load_state("networkidle")
        assert violations(tab) == [], path
        background = tab.style("html", "background-color")
        if path == "embed":
            continue
        assert background == palette_rgb(theme)["background"], path
        assert tab.style(".site-header", "background-color") == rgb(HEADER_BACKGROUND), path


@pytest.mark.parametrize("theme", THEMES)
def test_console_screens(live_server: Any, open_tab: Callable[..., Tab], owner: User,
                         filled_page: dict[str, int], theme: str) -> None:
    def at(name: str, *args: Any) -> str:
        return reverse(f"console:{name}", args=["acme", *args])

    paths = [
        reverse("console:home"), at("dashboard"), at("settings"), at("services"),
        at("incidents"), at("incident-new"), at("incident", filled_page["incident"]),
        at("maintenances"), at("maintenance", filled_page["maintenance"]), at("members"),
        at("audit"), at("deliveries"), at("webhooks"), at("social"),
        reverse("console:tokens"), reverse("console:credentials"), reverse("accounts:account"),
    ]
    for path in paths:
        tab = signed_in_tab(open_tab, live_server.url, owner, "/", color_scheme=theme)
        tab.page.context.add_init_script(LISTEN)
        tab.goto(f"{live_server.url}{path}")
        tab.page.wait_for_load_state("networkidle")
        assert violations(tab) == [], path
        if path == at("settings"):
            preview = tab.style(".header-preview", "background-color")
            assert preview == rgb(HEADER_BACKGROUND)


@pytest.mark.parametrize("theme", THEMES)
def test_account_screens(live_server: Any, open_tab: Callable[..., Tab], theme: str) -> None:
    names = ["accounts:login", "accounts:signup", "accounts:password-reset",
             "accounts:verify-resend"]
    for name in names:
        tab = open_listening(open_tab, f"{live_server.url}{reverse(name)}", theme)
        assert violations(tab) == [], name


def test_violation_is_detected(live_server: Any, open_tab: Callable[..., Tab],
                               filled_page: dict[str, int]) -> None:
    """An inline style without the nonce is reported, so the checks above can fail."""
    tab = open_listening(open_tab, page_url(live_server.url, "acme"), "light")
    tab.evaluate("""() => {
        const style = document.createElement('style');
        style.textContent = 'body { outline: 1px solid red; }';
        document.head.appendChild(style);
    }""")
    tab.page.wait_for_timeout(200)
    assert any("style-src" in item for item in violations(tab))
