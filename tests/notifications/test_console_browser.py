"""The notification screen in Chromium: light and dark, desktop and phone, and its retry button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heliograph.accounts.models import User
from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import sending
from heliograph.notifications.channels import PermanentFailure
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.browser.console_session import signed_in_tab
from tests.browser.support import DESKTOP, PHONE, Tab
from tests.browser.test_console_screens import check_screen
from tests.console.page_support import page_url
from tests.notifications.conftest import ScriptedChannel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failed(page: Page, actor: Actor, scripted: ScriptedChannel) -> None:
    scripted.people = ["ann", "a-subscriber-with-a-rather-long-address-at-some-company"]
    scripted.failures = [PermanentFailure("550 5.1.1 <ann@example.com>: Recipient address "
                                          "rejected: User unknown in virtual mailbox table")]
    incidents.open_incident(page, title="Elevated error rates on the public API",
                            text="Some requests fail.", state=State.PARTIAL_OUTAGE,
                            status=Status.IDENTIFIED, actor=actor)
    sending.send_due()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_screen_fits_and_follows_scheme(live_server: Any, open_tab: Callable[..., Tab],
                                        owner: User, failed: None, scheme: str,
                                        width: int) -> None:
    for show in ("failed", "recent"):
        tab = signed_in_tab(open_tab, live_server.url, owner,
                            f"{page_url('deliveries')}?show={show}", width=width,
                            color_scheme=scheme)
        check_screen(tab, scheme, width, f"deliveries-{show}")
        tab.page.close()


def test_retry_button_works_without_script(live_server: Any, open_tab: Callable[..., Tab],
                                           editor: User, failed: None) -> None:
    tab = signed_in_tab(open_tab, live_server.url, editor, page_url("deliveries"),
                        java_script_enabled=False)

    tab.page.get_by_role("button", name="Retry").click()

    assert "is queued again" in tab.locator(".messages").inner_text()
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 0
