"""The subscribe form and subscription screens in Chromium, with and without script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain.audit import Actor
from heliograph.domain.models import Page, Service
from heliograph.notifications import subscribers
from heliograph.notifications.models import Subscriber
from tests.browser.support import DESKTOP, PHONE, Tab, axe_violations
from tests.notifications.smtp_sink import SinkHandler

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_screens_fit_and_pass_axe(live_server: Any, open_tab: Callable[..., Tab], page: Page,
                                  add_service: Callable[..., Service], scheme: str,
                                  width: int) -> None:
    add_service("Public API")
    add_service("Transactional e-mail with a rather long name")
    subscriber = subscribers.add_subscriber(page, email="reader@example.com", services=None,
                                            actor=Actor.system())
    base = f"{live_server.url}/p/acme"
    for path in ("/", "/subscribe", f"/subscription/{subscriber.token}",
                 f"/subscription/{subscriber.token}/unsubscribe"):
        tab = open_tab(base + path, width=width, color_scheme=scheme)

        assert tab.overflow_px() == 0, (path, tab.elements_past_right_edge())
        assert axe_violations(tab) == [], path
        tab.page.close()


def test_subscribe_without_script(live_server: Any, open_tab: Callable[..., Tab], page: Page,
                                  add_service: Callable[..., Service],
                                  smtp_sink: SinkHandler) -> None:
    api = add_service("Public API")
    add_service("Website")
    tab = open_tab(f"{live_server.url}/p/acme/", java_script_enabled=False)
    tab.page.get_by_role("link", name="Get updates by e-mail").click()

    tab.page.get_by_label("E-mail address").fill("reader@example.com")
    tab.page.get_by_label("Only the services I choose").check()
    tab.page.get_by_role("checkbox", name="Public API").check()
    tab.page.get_by_role("button", name="Subscribe").click()

    assert "Check your inbox" in tab.page.locator("h1").inner_text()
    subscriber = Subscriber.objects.get()
    assert subscriber.all_services is False
    assert list(subscriber.services.all()) == [api]
    assert [r.message["Subject"] for r in smtp_sink.received] == [
        "Confirm your subscription to Acme status"
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_german_screens_without_script(live_server: Any, open_tab: Callable[..., Tab],
                                       page: Page, add_service: Callable[..., Service],
                                       smtp_sink: SinkHandler, scheme: str) -> None:
    page.language = "de"
    page.save(update_fields=["language"])
    add_service("Public API")
    # axe-core does not finish in a tab without JavaScript, so it checks a second tab.
    checked = open_tab(f"{live_server.url}/p/acme/subscribe", width=PHONE, color_scheme=scheme)
    assert axe_violations(checked) == []
    checked.page.close()
    tab = open_tab(f"{live_server.url}/p/acme/subscribe", width=PHONE, color_scheme=scheme,
                   java_script_enabled=False)

    assert tab.page.locator("html").get_attribute("lang") == "de"
    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    tab.page.get_by_label("E-Mail-Adresse").fill("leser@example.com")
    tab.page.get_by_label("Nur die Dienste, die ich auswähle").check()
    tab.page.get_by_role("button", name="Abonnieren").click()

    assert tab.page.locator(".subscribe-error").inner_text() == (
        "Wählen Sie mindestens einen Dienst oder alle Dienste.")
    tab.page.get_by_role("checkbox", name="Public API").check()
    tab.page.get_by_role("button", name="Abonnieren").click()

    assert "Sehen Sie in Ihrem Posteingang nach" in tab.page.locator("h1").inner_text()
    assert tab.overflow_px() == 0, tab.elements_past_right_edge()
    assert [r.message["Subject"].strip() for r in smtp_sink.received] == [
        "Bestätigen Sie Ihr Abonnement für den Status von Acme"
    ]
