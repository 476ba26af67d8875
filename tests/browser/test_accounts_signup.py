"""Sign-up in Chromium: the form, the verification e-mail, the link, then logging in.

The e-mail is read from Django's in-memory outbox, which the live server thread shares
with the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Response, expect

from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, isolate_cache, links_in
from tests.browser.support import DESKTOP, PHONE, Tab

pytestmark = pytest.mark.browser

EMAIL = "new.user@example.com"
# --bg, --text and --danger of console.css in each colour scheme.
THEME_COLOURS = {
    "light": {"background": "rgb(255, 255, 255)", "text": "rgb(27, 31, 36)",
              "danger": "rgb(180, 35, 24)"},
    "dark": {"background": "rgb(15, 20, 25)", "text": "rgb(230, 237, 243)",
             "danger": "rgb(255, 123, 114)"},
}


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> None:
    isolate_cache(settings)


@pytest.fixture
def server_url(live_server: Any, settings: Any) -> str:
    """The live server's URL, which the links in e-mails point at."""
    settings.HELIOGRAPH_BASE_URL = live_server.url
    return str(live_server.url)


def watch_subresources(tab: Tab) -> list[str]:
    """Record the stylesheets, scripts and images that fail to load in `tab`.

    Documents are left out, because a form with errors responds with 422 on purpose. The
    browser's own favicon request is left out too, since the console layout declares no icon.
    """
    failures: list[str] = []

    def check(response: Response) -> None:
        request = response.request
        if request.resource_type == "document" or request.url.endswith("/favicon.ico"):
            return
        if response.status >= 400:
            failures.append(f"{response.status} {request.url}")

    tab.page.on("response", check)
    return failures


def sign_up_in(tab: Tab, server: str, email: str = EMAIL) -> None:
    tab.goto(f"{server}/accounts/signup/")
    tab.page.get_by_label("E-mail address").fill(email)
    tab.page.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.page.get_by_label("Password again").fill(PASSWORD)
    tab.page.get_by_role("button", name="Sign up").click()
    expect(tab.page.get_by_role("heading", name="Check your e-mail")).to_be_visible()


def verification_link(email: str = EMAIL) -> str:
    sent = [message for message in mail.outbox if email in message.to]
    assert len(sent) == 1, [message.subject for message in mail.outbox]
    link, = links_in(sent[0])
    return link


def log_in_through_form(tab: Tab, server: str) -> None:
    tab.goto(f"{server}/accounts/login/")
    tab.page.get_by_label("E-mail address").fill(EMAIL)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()


def test_signup_verify_login_in_browser(server_url: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("about:blank", wait=False)
    failures = watch_subresources(tab)
    sign_up_in(tab, server_url)
    expect(tab.page.get_by_text(EMAIL)).to_be_visible()

    tab.goto(verification_link())
    expect(tab.page.get_by_role("heading", name="Verify your e-mail address")).to_be_visible()
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Verify and log in").click()
    tab.page.wait_for_url(f"{server_url}/console/")
    expect(tab.page.get_by_text("Your e-mail address is verified.")).to_be_visible()
    assert User.objects.get(email=EMAIL).is_active

    tab.goto(f"{server_url}/accounts/")
    tab.page.get_by_role("main").get_by_role("button", name="Log out").click()
    tab.page.wait_for_url(f"{server_url}/accounts/login/")
    log_in_through_form(tab, server_url)
    tab.page.wait_for_url(f"{server_url}/console/")
    expect(tab.page.get_by_role("heading", name="Your pages")).to_be_visible()
    assert tab.script_errors == []
    assert failures == []


def test_signup_without_javascript(server_url: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("about:blank", wait=False, java_script_enabled=False)
    sign_up_in(tab, server_url)

    tab.goto(verification_link())
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Verify and log in").click()

    tab.page.wait_for_url(f"{server_url}/console/")


def test_unverified_login_told_to_verify(server_url: str,
                                         open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("about:blank", wait=False)
    sign_up_in(tab, server_url)

    log_in_through_form(tab, server_url)

    alert = tab.page.get_by_role("alert")
    expect(alert).to_contain_text("not verified yet")
    alert.get_by_role("link", name="send a new link").click()
    expect(tab.page.get_by_label("E-mail address")).to_have_value(EMAIL)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_errors_readable_in_theme(server_url: str, open_tab: Callable[..., Tab],
                                       scheme: str) -> None:
    tab = open_tab("about:blank", wait=False, color_scheme=scheme, width=PHONE)
    failures = watch_subresources(tab)
    tab.goto(f"{server_url}/accounts/signup/")
    tab.page.get_by_label("E-mail address").fill("not-an-address")
    tab.page.get_by_role("button", name="Sign up").click()

    alert = tab.page.get_by_role("alert")
    expect(alert).to_contain_text("E-mail address: Enter a valid e-mail address")
    expect(tab.page.get_by_label("E-mail address")).to_have_value("not-an-address")
    expect(tab.page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    colours = THEME_COLOURS[scheme]
    assert tab.style("html", "background-color") == colours["background"]
    assert tab.style("#id_email", "color") == colours["text"]
    assert tab.style("#id_email", "background-color") == colours["background"]
    assert tab.style(".form-errors", "border-top-color") == colours["danger"]
    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    assert tab.script_errors == []
    assert failures == []


def test_two_factor_qr_on_white_in_dark(server_url: str, open_tab: Callable[..., Tab],
                                        db: None) -> None:
    User.objects.create_user(EMAIL, PASSWORD)
    tab = open_tab("about:blank", wait=False, color_scheme="dark", width=DESKTOP)
    log_in_through_form(tab, server_url)
    tab.page.wait_for_url(f"{server_url}/console/")

    tab.goto(f"{server_url}/accounts/two-factor/enable/")

    svg = tab.locator(".qr svg")
    expect(svg).to_be_visible()
    assert tab.style(".qr svg", "background-color") == "rgb(255, 255, 255)"
    box = svg.bounding_box()
    assert box is not None and box["width"] >= 120
