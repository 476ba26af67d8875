"""An incident run from the console in Chromium: open it, two updates, close, read it in public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from tests.browser.console_session import signed_in_tab
from tests.browser.support import Tab, add_services, prefixed_url

pytestmark = pytest.mark.browser


@pytest.fixture
def status_page(page: Page, actor: Actor) -> Page:
    """The page `acme` that the editor fixture belongs to, with its services."""
    pages.update_page(page, {"time_zone": "Europe/Berlin", "theme": "light"}, actor=actor)
    add_services(page, ["API", "Website", "Database"], actor)
    return page


def post_update(tab: Tab, *, state: str, status: str, text: str) -> None:
    form = tab.page.locator("#post-update form")
    form.get_by_label(state, exact=True).check()
    form.get_by_label(status, exact=True).check()
    form.get_by_role("textbox", name="Update", exact=True).fill(text)
    expect(form.locator("#id_update-text-preview")).to_have_text(text)
    form.get_by_role("button", name="Publish the update").click()
    expect(tab.page.get_by_text("Posted the update")).to_be_visible()
    # The live preview listens once the deferred script has run, before "load".
    tab.page.wait_for_load_state("load")


def test_incident_flow(live_server: Any, open_tab: Callable[..., Tab], editor: User,
                       status_page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:incident-new", args=["acme"]))
    page = tab.page

    page.get_by_label("Title").fill("Elevated API errors")
    page.get_by_label("Major outage").check()
    page.get_by_label("API", exact=True).check()
    page.get_by_label("First update").fill("Requests **fail** for some customers.")
    expect(page.locator("#id_text-preview strong")).to_have_text("fail")
    expect(page.locator("[data-summary]")).to_have_text(
        "Major outage · Investigating. Affected services: API.")
    page.get_by_role("button", name="Publish the incident").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Elevated API errors")
    page.wait_for_load_state("load")
    incident = Incident.objects.get(page=status_page)
    assert incident.state == State.MAJOR_OUTAGE
    # The update form starts from the latest update.
    expect(page.locator("#post-update").get_by_label("Major outage")).to_be_checked()
    expect(page.locator("#post-update").get_by_label("Investigating")).to_be_checked()

    post_update(tab, state="Partial outage", status="Identified",
                text="A bad deploy; rolling back.")
    post_update(tab, state="Degraded performance", status="Monitoring",
                text="Rolled back; watching error rates.")
    close = page.locator("#close-incident form")
    close.get_by_label("Closing update").fill("Error rates are back to normal.")
    expect(close.locator("#id_close-text-preview")).to_have_text("Error rates are back to normal.")
    close.get_by_role("button", name="Close the incident").click()
    expect(page.get_by_text("Closed the incident")).to_be_visible()

    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert list(incident.events.values_list("status", flat=True)) == [
        Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED]
    assert tab.problems() == []

    page.goto(prefixed_url(live_server.url, "acme", f"incidents/{incident.pk}"))
    updates = page.locator("ol.timeline > li")
    expect(updates).to_have_count(4)
    expect(updates.nth(0)).to_contain_text("Error rates are back to normal.")
    expect(updates.nth(1)).to_contain_text("Rolled back; watching error rates.")
    expect(updates.nth(2)).to_contain_text("A bad deploy; rolling back.")
    expect(updates.nth(3).locator("strong")).to_have_text("fail")
    page.goto(prefixed_url(live_server.url, "acme", "history"))
    expect(page.get_by_text("Elevated API errors")).to_be_visible()


def test_double_click_publishes_once(live_server: Any, open_tab: Callable[..., Tab],
                                     editor: User, status_page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:incident-new", args=["acme"]))
    page = tab.page
    page.get_by_label("Title").fill("Database slow")
    page.get_by_label("Degraded performance").check()
    page.get_by_label("First update").fill("Queries take seconds.")

    page.get_by_role("button", name="Publish the incident").dblclick()

    expect(page.get_by_role("heading", level=1)).to_have_text("Database slow")
    assert Incident.objects.filter(page=status_page).count() == 1
