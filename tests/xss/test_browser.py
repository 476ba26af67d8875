"""A page whose every field holds payloads, opened in Chromium, public views and console.

Each field gets all the payloads one after the other, starting at a different one per field,
so the short fields (titles, names) carry different payloads. Every request the tab makes to
a host other than the live server is aborted and recorded, so a payload that loads something
shows up without any traffic leaving the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Route as BrowserRoute

from heliograph.accounts.models import User
from tests.browser.support import Tab
from tests.xss.corpus import PAYLOADS, Built, TextField, build, hostile, marker_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIXED = [payload for name, payload in PAYLOADS.items() if name != "long"]
PUBLIC_VIEWS = ["", "incidents/{incident}", "maintenances/{maintenance}", "history",
                "maintenances", "subscribe", "embed"]
CONSOLE_VIEWS = ["", "settings/", "services/", "incidents/", "incidents/{incident}/",
                 "maintenances/", "maintenances/{maintenance}/", "members/", "audit/",
                 "deliveries/", "deliveries/webhooks/", "social/"]


def mixed_values(index: int, text_field: TextField) -> str:
    start = index % len(MIXED)
    payload = "".join(MIXED[start:] + MIXED[:start])
    return hostile(marker_of(index), payload, text_field.max_length)


def guard_requests(tab: Tab, server_url: str) -> list[str]:
    """Abort every request of `tab` to another origin than the server; return their URLs."""
    server = urlsplit(server_url).netloc
    foreign: list[str] = []

    def handle(route: BrowserRoute) -> None:
        url = route.request.url
        if urlsplit(url).netloc == server:
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    tab.page.context.route("**/*", handle)
    return foreign


def check_tab(tab: Tab, foreign: list[str], where: str) -> None:
    assert tab.dialogs == [], where
    assert tab.script_errors == [], where
    assert foreign == [], where
    assert tab.evaluate("() => document.querySelectorAll('[onerror],[onload],[onclick],"
                        "[onmouseover],[ontoggle],iframe,object,embed,base').length") == 0, where


@pytest.fixture
def hostile_built(owner: User) -> Built:
    return build(owner, mixed_values)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_public_views_in_chromium(live_server: Any, open_tab: Callable[..., Tab],
                                  hostile_built: Built, theme: str) -> None:
    ids = {"incident": hostile_built.incident.pk, "maintenance": hostile_built.maintenance.pk}
    for view in PUBLIC_VIEWS:
        tab = open_tab("about:blank", wait=False, color_scheme=theme)
        foreign = guard_requests(tab, live_server.url)
        tab.goto(f"{live_server.url}/p/xss/{view.format(**ids)}")

        tab.page.wait_for_timeout(200)
        check_tab(tab, foreign, view or "front page")


def test_console_views_in_chromium(live_server: Any, open_tab: Callable[..., Tab],
                                   hostile_built: Built, owner: User) -> None:
    ids = {"incident": hostile_built.incident.pk, "maintenance": hostile_built.maintenance.pk}
    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    for view in CONSOLE_VIEWS:
        path = f"/console/pages/xss/{view.format(**ids)}"
        tab = open_tab("about:blank", wait=False)
        foreign = guard_requests(tab, live_server.url)
        tab.page.context.add_cookies([
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
        ])
        tab.goto(f"{live_server.url}{path}")

        tab.page.wait_for_timeout(200)
        check_tab(tab, foreign, path)
