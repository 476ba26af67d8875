"""Runstatus credentials in Chromium without JavaScript, light and dark: create, copy, revoke."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heliograph.accounts.models import User
from heliograph.domain.models import Page
from heliograph.runstatus.models import Credential
from tests.browser.console_session import signed_in_tab, unexpected_problems
from tests.browser.support import PHONE, Tab, axe_violations

pytestmark = pytest.mark.browser


# --bg and --text of console.css in each colour scheme.
COLOURS = {
    "light": ("rgb(255, 255, 255)", "rgb(27, 31, 36)"),
    "dark": ("rgb(15, 20, 25)", "rgb(230, 237, 243)"),
}
CREDENTIALS = reverse("console:credentials")


def check_scheme(tab: Tab, scheme: str) -> None:
    """Check the screen's colours, once its style sheet has loaded."""
    tab.page.wait_for_load_state("load")
    background, text = COLOURS[scheme]
    assert tab.style("html", "background-color") == background
    assert tab.style("main", "color") == text


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_create_and_revoke_without_javascript(live_server: Any, open_tab: Callable[..., Tab],
                                              owner: User, page: Page, scheme: str,
                                              settings: Any) -> None:
    settings.HELIOGRAPH_BASE_URL = live_server.url
    tab = signed_in_tab(open_tab, live_server.url, owner, CREDENTIALS, color_scheme=scheme,
                        java_script_enabled=False)
    screen = tab.page
    check_scheme(tab, scheme)

    screen.get_by_label("Name").fill("alerting host")
    screen.get_by_label("Only the pages chosen below").check()
    screen.get_by_label("Acme (acme)").check()
    screen.get_by_role("button", name="Create the key and secret").click()

    expect(screen.get_by_role("heading", level=1)).to_have_text("Key “alerting host”")
    credential = Credential.objects.get(user=owner)
    secret = screen.get_by_label("Secret").input_value()
    assert credential.secret() == secret
    assert screen.get_by_label("Key", exact=True).input_value() == credential.key
    config = screen.locator("#runstatus-config").input_value()
    assert f"secret = {secret}" in config
    assert f"endpoint = {live_server.url}/runstatus" in config
    check_scheme(tab, scheme)

    screen.get_by_role("link", name="Back to the keys").click()
    expect(screen.get_by_role("row", name="alerting host")).to_contain_text(credential.key)
    assert secret not in screen.content()
    screen.get_by_role("link", name=f"Revoke… the key {credential.key}").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text(
        "Revoke the key “alerting host”")
    check_scheme(tab, scheme)
    screen.get_by_role("button", name="Revoke the key").click()

    expect(screen.get_by_text(f"Revoked the key {credential.key}")).to_be_visible()
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert list(credential.pages.all()) == [page]
    assert unexpected_problems(tab) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screens_pass_axe(live_server: Any, open_tab: Callable[..., Tab], owner: User,
                          page: Page, scheme: str) -> None:
    credential, _ = Credential.issue(owner, [page], name="ci")
    for path in (CREDENTIALS, reverse("console:credential-created", args=[credential.pk]),
                 reverse("console:credential-revoke", args=[credential.pk])):
        tab = signed_in_tab(open_tab, live_server.url, owner, path, color_scheme=scheme)
        check_scheme(tab, scheme)
        assert axe_violations(tab) == [], path
        assert unexpected_problems(tab) == [], path


def test_list_fits_phone(live_server: Any, open_tab: Callable[..., Tab], owner: User,
                         page: Page) -> None:
    Credential.issue(owner, None, name="a key with a rather long name for a phone screen")
    tab = signed_in_tab(open_tab, live_server.url, owner, CREDENTIALS, width=PHONE)

    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
