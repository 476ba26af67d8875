"""The social accounts screen in Chromium: light and dark, desktop and phone, without script."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from heliograph.accounts.models import User
from heliograph.domain.models import Page
from heliograph.notifications import channels
from heliograph.social.models import SocialAccount
from heliograph.social.posting import MastodonChannel
from tests.browser.console_session import signed_in_tab
from tests.browser.support import DESKTOP, PHONE, Tab
from tests.browser.test_console_screens import check_screen
from tests.console.page_support import page_url
from tests.social.fakes import FakeMastodon, RewriteAdapter, serve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_screen_fits_and_follows_scheme(live_server: Any, open_tab: Callable[..., Tab],
                                        owner: User, page: Page, scheme: str,
                                        width: int) -> None:
    account = SocialAccount(page=page, network="mastodon", handle="@acme@mastodon.example",
                            instance_url="https://mastodon.example")
    account.set_tokens("token")
    account.save()
    tab = signed_in_tab(open_tab, live_server.url, owner, page_url("social"), width=width,
                        color_scheme=scheme)
    check_screen(tab, scheme, width, "social-accounts")


def test_link_works_without_script(live_server: Any, open_tab: Callable[..., Tab],
                                   owner: User, page: Page) -> None:
    tab = signed_in_tab(open_tab, live_server.url, owner, page_url("social"),
                        java_script_enabled=False)
    # The token form is the fallback, folded under a <details> that opens without script.
    assert not tab.page.locator("#id_mastodon-instance_url").is_visible()
    tab.page.get_by_text("Paste a token instead").click()
    tab.page.locator("#id_mastodon-instance_url").fill("mastodon.example")
    tab.page.locator("#id_mastodon-token").fill("masto-token")
    # Each label points at its own form's field, although both forms have an access token.
    assert tab.page.get_by_label("Access token", exact=True).count() == 2
    tab.page.get_by_role("button", name="Link Mastodon").click()

    assert "The Mastodon account is linked." in tab.locator(".messages").inner_text()
    assert SocialAccount.objects.get(network="mastodon").instance_url == "https://mastodon.example"


@pytest.fixture
def instance(settings: Any) -> Iterator[tuple[FakeMastodon, str]]:
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    fake = FakeMastodon()
    channel = channels.get("mastodon")
    assert isinstance(channel, MastodonChannel), "the mastodon channel is not registered"
    with serve(fake) as port:
        origin = f"https://127.0.0.1:{port}"
        channel.adapters[origin] = RewriteAdapter(port, origin=origin)
        yield fake, origin
        channel.adapters.clear()


def test_mastodon_oauth_round_trip(live_server: Any, open_tab: Callable[..., Tab],
                                   owner: User, page: Page,
                                   instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    tab = signed_in_tab(open_tab, live_server.url, owner, page_url("social"),
                        java_script_enabled=False)
    authorize_requests: list[dict[str, str]] = []

    def approve(route: Any) -> None:
        # Play the instance's authorise page: the account owner approves at once, and the
        # instance sends the browser back with a code and the state it was given. The
        # callback goes to the test server, not to HELIOGRAPH_BASE_URL's host.
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(route.request.url).query))
        authorize_requests.append(query)
        code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])
        callback = urllib.parse.urlsplit(query["redirect_uri"]).path
        target = f"{live_server.url}{callback}?" + urllib.parse.urlencode(
            {"code": code, "state": query["state"]})
        route.fulfill(status=302, headers={"Location": target})

    tab.page.route(f"{origin}/oauth/authorize**", approve)
    tab.page.locator("#id_mastodon-oauth-instance_url").fill(origin)
    tab.page.get_by_role("button", name="Link a Mastodon account").click()
    # Three navigations follow: to the instance, back to the callback, on to the screen.
    tab.locator(".messages").wait_for(timeout=15_000)

    assert len(authorize_requests) == 1, tab.problems()
    host = origin.removeprefix("https://")
    assert f"The Mastodon account @acme@{host} is linked." in \
        tab.locator(".messages").inner_text()
    assert f"Linked: @acme@{host} on {origin}, posts of up to 1000 characters." in \
        tab.locator("main").inner_text()
    account = SocialAccount.objects.get(network="mastodon")
    assert account.token == fake.token

