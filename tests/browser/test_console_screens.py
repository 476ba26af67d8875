"""The service, incident and maintenance screens in Chromium: light and dark, desktop and phone.

Each screen must fit the viewport without sideways scrolling, follow the colour scheme, run
without script errors, and pass axe-core's WCAG 2.2 A and AA rules. With
HELIOGRAPH_SCREENSHOT_DIR set, each one is also saved there as a PNG for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from tests.browser.console_session import signed_in_tab, unexpected_problems
from tests.browser.support import DESKTOP, PHONE, Tab, add_services, axe_violations

pytestmark = pytest.mark.browser

# --bg and --text of console.css in each colour scheme.
COLOURS = {
    "light": ("rgb(255, 255, 255)", "rgb(27, 31, 36)"),
    "dark": ("rgb(15, 20, 25)", "rgb(230, 237, 243)"),
}


@pytest.fixture
def screens(page: Page, actor: Actor) -> dict[str, str]:
    """Fill the page with one of everything and return the screens' paths by name."""
    now = timezone.now()
    pages.update_page(page, {"time_zone": "Europe/Berlin"}, actor=actor)
    core = pages.add_group(page, name="Core platform", actor=actor)
    api, _web = add_services(page, ["Public API", "Website"], actor, group=core)
    add_services(page, ["Transactional e-mail with a rather long name"], actor)
    incident = incidents.open_incident(
        page, title="Elevated error rates on the public API", actor=actor,
        text="Some requests **fail** with 502.\n\n- EU region\n- US region",
        state=State.PARTIAL_OUTAGE, status=Status.IDENTIFIED, services=[api],
        at=now - dt.timedelta(minutes=40))
    overdue = maintenances.schedule_maintenance(
        page, title="Certificate rotation", description="Rotating TLS certificates.",
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=2),
        services=[api], actor=actor)
    slug = page.slug

    def at(name: str, *args: Any) -> str:
        return reverse(f"console:{name}", args=[slug, *args])

    return {
        "services": at("services"),
        "incidents": at("incidents"),
        "incident-new": at("incident-new"),
        "incident": at("incident", incident.pk),
        "incident-backfill": at("incident-backfill"),
        "maintenances": at("maintenances"),
        "maintenance-new": at("maintenance-new"),
        "maintenance": at("maintenance", overdue.pk),
    }


def check_screen(tab: Tab, scheme: str, width: int, name: str) -> None:
    assert tab.overflow_px() == 0, (name, tab.elements_past_right_edge())
    background, text = COLOURS[scheme]
    assert tab.style("body", "background-color") in (background, "rgba(0, 0, 0, 0)")
    assert tab.style("html", "background-color") == background, name
    assert tab.style("main", "color") == text, name
    assert unexpected_problems(tab) == [], name
    assert axe_violations(tab) == [], name
    folder = os.environ.get("HELIOGRAPH_SCREENSHOT_DIR")
    if folder:
        path = Path(folder) / f"console-{name}-{scheme}-{width}.png"
        tab.page.screenshot(path=str(path), full_page=True, animations="disabled")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_screens_fit_and_follow_scheme(live_server: Any, open_tab: Callable[..., Tab],
                                       owner: User, screens: dict[str, str], scheme: str,
                                       width: int) -> None:
    for name, path in screens.items():
        tab = signed_in_tab(open_tab, live_server.url, owner, path, width=width,
                            color_scheme=scheme)
        check_screen(tab, scheme, width, name)
        tab.page.close()


def test_error_state_fits(live_server: Any, open_tab: Callable[..., Tab], owner: User,
                          screens: dict[str, str]) -> None:
    """A form with errors, in the dark scheme on a phone, keeps its layout."""
    tab = signed_in_tab(open_tab, live_server.url, owner, screens["maintenance-new"],
                        width=PHONE, color_scheme="dark")
    tab.page.get_by_label("Title").fill("Night work")
    tab.page.get_by_label("Starts (Europe/Berlin)").fill("2026-10-25T02:30")
    tab.page.get_by_label("Ends (Europe/Berlin)").fill("2026-10-25T01:00")
    with tab.page.expect_navigation(wait_until="load"):
        tab.page.get_by_role("button", name="Schedule the maintenance").click()

    assert tab.locator(".form-problems").is_visible()
    assert tab.locator("#id_starts_at-fold").is_visible()
    check_screen(tab, "dark", PHONE, "maintenance-errors")
