"""Signed-in Chromium tabs on the console, for the service, incident and maintenance tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client

from tests.browser.support import Tab


def signed_in_tab(open_tab: Callable[..., Tab], server_url: str, user: Any, path: str,
                  **options: Any) -> Tab:
    """Open `path` of the live server in a new context whose session belongs to `user`.

    The session is made by Django's test client in the shared database, so these tests do not
    depend on the login form.
    """
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    tab = open_tab("about:blank", wait=False, **options)
    # The console declares no icon, so Chromium's own request for one would log a 404 error.
    tab.page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    tab.page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server_url},
    ])
    tab.goto(f"{server_url.rstrip('/')}{path}")
    return tab


def unexpected_problems(tab: Tab) -> list[str]:
    """Return the tab's problems, less the console error of a form re-rendered with errors.

    Such a form responds with 422, which Chromium logs as a failed resource load.
    """
    return [problem for problem in tab.problems() if "status of 422" not in problem]
