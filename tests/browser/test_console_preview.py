"""The live preview of a Markdown text in Chromium, and the Preview button without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from heliograph.accounts.models import User
from heliograph.domain.models import Incident, Page
from tests.browser.console_session import signed_in_tab
from tests.browser.support import Tab

pytestmark = pytest.mark.browser

NEW_INCIDENT = reverse("console:incident-new", args=["acme"])


def test_live_preview_follows_typing(live_server: Any, open_tab: Callable[..., Tab],
                                     editor: User, page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor, NEW_INCIDENT)
    preview = tab.locator("#id_text-preview")
    expect(preview).to_have_text("Nothing typed yet.")
    expect(tab.page.get_by_role("button", name="Update preview")).to_be_hidden()
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url)
                if request.url.endswith("/preview/") else None)

    tab.page.get_by_label("First update").press_sequentially(
        "We are *looking* into it <script>alert(1)</script>", delay=5)

    expect(preview.locator("em")).to_have_text("looking")
    expect(preview).to_contain_text("<script>alert(1)</script>")
    assert preview.locator("script").count() == 0
    # Typing sends a request after each pause, not one per key typed.
    assert 1 <= len(requests) <= 3, requests
    tab.page.get_by_label("First update").fill("")
    expect(preview).to_have_text("Nothing typed yet.")
    assert tab.dialogs == []
    assert tab.problems() == []


def test_preview_button_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                           editor: User, page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor, NEW_INCIDENT,
                        java_script_enabled=False)
    tab.page.get_by_label("Title").fill("Slow pages")
    tab.page.get_by_label("First update").fill("Pages load **slowly**.")

    tab.page.get_by_role("button", name="Update preview").click()

    expect(tab.locator("#id_text-preview strong")).to_have_text("slowly")
    expect(tab.page.get_by_label("Title")).to_have_value("Slow pages")
    expect(tab.page.get_by_label("First update")).to_have_value("Pages load **slowly**.")
    assert Incident.objects.count() == 0


def test_preview_after_sign_out_keeps_text(live_server: Any, open_tab: Callable[..., Tab],
                                           editor: User, page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor, NEW_INCIDENT)
    # The session ends (it expired, or the user signed out in another tab); the CSRF cookie stays.
    tab.page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)

    tab.page.get_by_label("First update").fill("Still typing.")

    expect(tab.locator("#id_text-preview-note")).to_have_text(
        "You are signed out: sign in again in another tab. What you typed is kept.")
    expect(tab.locator("#id_text-preview")).to_have_text("Nothing typed yet.")
    expect(tab.page.get_by_label("First update")).to_have_value("Still typing.")
