"""A maintenance run from the console in Chromium: schedule, start, close, read it in public."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Maintenance, Page
from heliograph.domain.vocab import MaintenanceStatus
from tests.browser.console_session import signed_in_tab, unexpected_problems
from tests.browser.support import Tab, add_services, prefixed_url

pytestmark = pytest.mark.browser

ZONE = "America/Chicago"


@pytest.fixture
def status_page(page: Page, actor: Actor) -> Page:
    """The page `acme` that the editor fixture belongs to, with its services."""
    pages.update_page(page, {"time_zone": ZONE, "theme": "light"}, actor=actor)
    add_services(page, ["API", "Database"], actor)
    return page


def test_maintenance_flow(live_server: Any, open_tab: Callable[..., Tab], editor: User,
                          status_page: Page) -> None:
    # Tomorrow at 22:00 to 23:30, on the page's clock.
    tomorrow = timezone.now().astimezone(zoneinfo.ZoneInfo(ZONE)).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(22, 0))
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:maintenance-new", args=["acme"]))
    page = tab.page

    expect(page.get_by_text(f"Starts ({ZONE})")).to_be_visible()
    page.get_by_label("Title").fill("Database upgrade")
    page.get_by_label(f"Starts ({ZONE})").fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label(f"Ends ({ZONE})").fill(f"{start - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}")
    page.get_by_label("Database", exact=True).check()
    page.get_by_label("Description").fill("We move to **PostgreSQL 18**.")
    expect(page.locator("#id_description-preview strong")).to_have_text("PostgreSQL 18")
    page.get_by_role("button", name="Schedule the maintenance").click()

    # The end was before the start: the form shows the error and keeps every field.
    expect(page.locator("#id_ends_at_error")).to_contain_text("is not after the start")
    page.wait_for_load_state("load")
    expect(page.get_by_label("Title")).to_have_value("Database upgrade")
    expect(page.get_by_label("Database", exact=True)).to_be_checked()
    page.get_by_label(f"Ends ({ZONE})").fill(f"{start + dt.timedelta(minutes=90):%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Schedule the maintenance").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Database upgrade")
    # The live preview listens once the deferred script has run, before "load".
    page.wait_for_load_state("load")
    maintenance = Maintenance.objects.get(page=status_page)
    local = maintenance.starts_at.astimezone(zoneinfo.ZoneInfo(ZONE))
    assert local.replace(tzinfo=None) == start
    assert maintenance.ends_at - maintenance.starts_at == dt.timedelta(minutes=90)

    update = page.locator("#post-update form")
    update.get_by_role("textbox", name="Update", exact=True).fill("The upgrade has started.")
    expect(update.locator("#id_update-text-preview")).to_have_text("The upgrade has started.")
    update.get_by_role("button", name="Publish the update").click()
    expect(page.get_by_text("Posted the update")).to_be_visible()
    page.wait_for_load_state("load")
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS

    close = page.locator("#close-maintenance form")
    close.get_by_label("Closing update").fill("Done, all queries are fast.")
    expect(close.locator("#id_close-text-preview")).to_have_text("Done, all queries are fast.")
    close.get_by_role("button", name="Close the maintenance").click()
    expect(page.get_by_text("Closed the maintenance")).to_be_visible()
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert unexpected_problems(tab) == []

    page.goto(prefixed_url(live_server.url, "acme", f"maintenances/{maintenance.pk}"))
    expect(page.get_by_text("Done, all queries are fast.")).to_be_visible()
    expect(page.get_by_text("The upgrade has started.")).to_be_visible()
    expect(page.locator("strong", has_text="PostgreSQL 18")).to_be_visible()
