"""The webhook screen in Chromium: light and dark, desktop and phone, and adding without script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from heliograph.accounts.models import User
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.notifications import webhooks
from heliograph.notifications.models import WebhookSubscriber
from tests.browser.console_session import signed_in_tab
from tests.browser.support import DESKTOP, PHONE, Tab
from tests.browser.test_console_screens import check_screen
from tests.console.page_support import page_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hooks(page: Page) -> None:
    webhooks.add_webhook(page, url="https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
                         flavour="slack", services=None, actor=Actor.system())
    broken = webhooks.add_webhook(page, url="https://hooks.example.com/a/rather/long/path/to/"
                                  "a/receiver/that/went/away", flavour="json", services=None,
                                  actor=Actor.system())
    WebhookSubscriber.objects.filter(pk=broken.pk).update(
        disabled_at=timezone.now(), consecutive_failures=5,
        disabled_reason="Disabled after 5 permanent failures in a row; the last one: "
                        "HTTP 410 Gone")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_screen_fits_and_follows_scheme(live_server: Any, open_tab: Callable[..., Tab],
                                        owner: User, hooks: None, scheme: str,
                                        width: int) -> None:
    tab = signed_in_tab(open_tab, live_server.url, owner, page_url("webhooks"), width=width,
                        color_scheme=scheme)
    check_screen(tab, scheme, width, "webhooks")
    tab.page.close()


def test_add_works_without_script(live_server: Any, open_tab: Callable[..., Tab],
                                  editor: User, hooks: None) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor, page_url("webhooks"),
                        java_script_enabled=False)

    tab.page.get_by_label("URL").fill("https://hooks.example.com/new")
    tab.page.get_by_label("Discord webhook").check()
    tab.page.get_by_role("button", name="Add webhook").click()

    added = WebhookSubscriber.objects.get(url="https://hooks.example.com/new")
    assert added.flavour == "discord"
    assert added.secret in tab.locator("#new-secret").inner_text()
