"""Reordering services in Chromium: with the mouse, with the keyboard, and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, expect

from heliograph.accounts.models import User
from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from tests.browser.console_session import signed_in_tab
from tests.browser.support import Tab, add_services

pytestmark = pytest.mark.browser


@pytest.fixture
def status_page(page: Page, actor: Actor) -> Page:
    """The page `acme` that the editor fixture belongs to, with its services."""
    pages.update_page(page, {"theme": "light"}, actor=actor)
    core = pages.add_group(page, name="Core", actor=actor)
    add_services(page, ["API", "Website", "Database"], actor, group=core)
    add_services(page, ["Status e-mails"], actor)
    return page


def saved_order(page: Page) -> list[str]:
    return list(Service.objects.filter(page=page).order_by("position", "id")
                .values_list("name", flat=True))


def shown_order(tab: Tab) -> list[str]:
    return [text.strip() for text in tab.locator(".service-name").all_inner_texts()]


def service(tab: Tab, name: str) -> Locator:
    return tab.locator("li.service-item", has=tab.page.get_by_text(name, exact=True))


def open_services(open_tab: Callable[..., Tab], server: str, user: User, **options: Any) -> Tab:
    return signed_in_tab(open_tab, server, user, reverse("console:services", args=["acme"]),
                         **options)


def test_drag_with_mouse(live_server: Any, open_tab: Callable[..., Tab], editor: User,
                         status_page: Page) -> None:
    tab = open_services(open_tab, live_server.url, editor)
    handle = service(tab, "Database").get_by_role("button", name="Reorder Database")
    target = service(tab, "API")
    start = handle.bounding_box()
    end = target.bounding_box()
    assert start is not None
    assert end is not None

    with tab.page.expect_response(lambda response: response.url.endswith("/services/order/")):
        tab.page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        tab.page.mouse.down()
        tab.page.mouse.move(end["x"] + 20, end["y"] + 4, steps=8)
        tab.page.mouse.up()

    assert shown_order(tab) == ["Database", "API", "Website", "Status e-mails"]
    assert saved_order(status_page) == ["Database", "API", "Website", "Status e-mails"]
    expect(tab.locator("#reorder-status")).to_contain_text("Saved: Database is now at position 1")
    # The no-script buttons follow: the new first service cannot move up.
    expect(service(tab, "Database").get_by_role("button", name="Move Database up")
           ).to_be_disabled()
    expect(service(tab, "API").get_by_role("button", name="Move API up")).to_be_enabled()
    assert tab.problems() == []


def test_move_with_keyboard(live_server: Any, open_tab: Callable[..., Tab], editor: User,
                            status_page: Page) -> None:
    tab = open_services(open_tab, live_server.url, editor)
    handle = service(tab, "API").get_by_role("button", name="Reorder API")
    handle.focus()

    tab.page.keyboard.press("Space")
    expect(handle).to_have_attribute("aria-pressed", "true")
    expect(tab.locator("#reorder-status")).to_contain_text("Picked up API, position 1 of 3")
    tab.page.keyboard.press("ArrowDown")
    tab.page.keyboard.press("ArrowDown")
    expect(tab.locator("#reorder-status")).to_contain_text("API, position 3 of 3")
    with tab.page.expect_response(lambda response: response.url.endswith("/services/order/")):
        tab.page.keyboard.press("Space")

    assert saved_order(status_page) == ["Website", "Database", "API", "Status e-mails"]
    expect(handle).to_be_focused()
    expect(handle).to_have_attribute("aria-pressed", "false")
    tab.page.reload()
    assert shown_order(tab) == ["Website", "Database", "API", "Status e-mails"]
    assert tab.problems() == []


def test_keyboard_escape_puts_back(live_server: Any, open_tab: Callable[..., Tab],
                                   editor: User, status_page: Page) -> None:
    tab = open_services(open_tab, live_server.url, editor)
    handle = service(tab, "API").get_by_role("button", name="Reorder API")
    handle.focus()

    tab.page.keyboard.press("Enter")
    tab.page.keyboard.press("ArrowDown")
    tab.page.keyboard.press("Escape")

    assert shown_order(tab) == ["API", "Website", "Database", "Status e-mails"]
    expect(tab.locator("#reorder-status")).to_contain_text("Cancelled: API is back at position 1")
    assert saved_order(status_page) == ["API", "Website", "Database", "Status e-mails"]


def test_move_group_with_keyboard(live_server: Any, open_tab: Callable[..., Tab], editor: User,
                                  status_page: Page) -> None:
    tab = open_services(open_tab, live_server.url, editor)
    tab.locator("li.block").first.get_by_role("button", name="Reorder the group Core").focus()

    tab.page.keyboard.press("Space")
    tab.page.keyboard.press("ArrowDown")
    with tab.page.expect_response(lambda response: response.url.endswith("/services/order/")):
        tab.page.keyboard.press("Space")

    assert saved_order(status_page) == ["Status e-mails", "API", "Website", "Database"]


def test_move_buttons_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                         editor: User, status_page: Page) -> None:
    tab = open_services(open_tab, live_server.url, editor, java_script_enabled=False)
    expect(service(tab, "API").get_by_role("button", name="Reorder API")).to_be_hidden()

    service(tab, "Website").get_by_role("button", name="Move Website down").click()

    expect(tab.page.get_by_text("Moved “Website” down.")).to_be_visible()
    assert shown_order(tab) == ["API", "Database", "Website", "Status e-mails"]
    assert saved_order(status_page) == ["API", "Database", "Website", "Status e-mails"]
