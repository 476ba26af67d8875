"""The post composer in Chromium: an edited X post and a skipped Mastodon post reach the fakes.

The worker's sending code (`sending.send_due`) runs in the test, against fake X and Mastodon
servers on 127.0.0.1, with tweepy and Mastodon.py unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import channels, post_text, sending
from heliograph.notifications.models import Delivery, DeliveryStatus
from heliograph.social.models import Network, SocialAccount, SocialPost
from heliograph.social.posting import XChannel
from tests.browser.console_session import signed_in_tab, unexpected_problems
from tests.browser.support import DESKTOP, PHONE, Tab
from tests.browser.test_console_screens import check_screen
from tests.social.fakes import X_ORIGIN, FakeMastodon, FakeX, RewriteAdapter, serve

pytestmark = pytest.mark.browser

BASE = "https://status.heliograph.test"
# Reset time of the fake X rate limit: far past the 24 hours of retries, so X fails for good.
FAR_RESET = int(time.time()) + 3 * 24 * 3600


@pytest.fixture
def fakes(settings: Any, page: Page, actor: Actor,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeX, FakeMastodon]]:
    """Link an X and a Mastodon account of `acme` to fake servers, with only those channels."""
    settings.HELIOGRAPH_BASE_URL = BASE
    # The fake Mastodon instance listens on 127.0.0.1, which the address guard rejects otherwise.
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    pages.update_page(page, {"time_zone": "Europe/Berlin", "theme": "light"}, actor=actor)
    fake_x, fake_mastodon = FakeX(), FakeMastodon()
    monkeypatch.setenv("HELIOGRAPH_X_API_KEY", "app-key")
    monkeypatch.setenv("HELIOGRAPH_X_API_SECRET", fake_x.consumer_secret)
    saved = channels.registered()
    for channel in saved:
        if channel.name not in ("x", "mastodon"):
            channels.unregister(channel.name)
    x_channel = channels.get("x")
    assert isinstance(x_channel, XChannel)
    with serve(fake_x) as x_port, serve(fake_mastodon) as mastodon_port:
        x_channel.adapters[X_ORIGIN] = RewriteAdapter(x_port)
        x_account = SocialAccount(page=page, network=Network.X, handle="@acme_status")
        x_account.set_tokens("user-token", fake_x.token_secret)
        x_account.save()
        mastodon_account = SocialAccount(page=page, network=Network.MASTODON,
                                         handle="@acme@127.0.0.1",
                                         instance_url=f"http://127.0.0.1:{mastodon_port}")
        mastodon_account.set_tokens(fake_mastodon.token)
        mastodon_account.save()
        yield fake_x, fake_mastodon
        x_channel.adapters.clear()
    for channel in saved:
        channels.register(channel)


def publish(tab: Tab, button: str) -> None:
    with tab.page.expect_navigation(wait_until="load"):
        tab.page.get_by_role("button", name=button).click()


def test_edited_x_post_and_skipped_mastodon(live_server: Any, open_tab: Callable[..., Tab],
                                            editor: User, page: Page,
                                            fakes: tuple[FakeX, FakeMastodon]) -> None:
    fake_x, fake_mastodon = fakes
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:incident-new", args=["acme"]))
    browser_page = tab.page
    browser_page.get_by_label("Title").fill("Checkout errors")
    browser_page.get_by_label("Major outage").check()
    browser_page.get_by_label("First update").fill("Some payments fail.")

    x_post = browser_page.get_by_role("textbox", name="X post")
    x_count = browser_page.locator("#id_post-x-text-count")
    # 150 wide characters count 300 on X, which the live count shows before anything is sent.
    x_post.fill("\u969c" * 150)
    expect(x_count).to_have_text("300 of 280 characters: 20 too many")
    expect(x_count).to_have_class("post-count over")
    edited = f"Checkout is failing for some customers. {BASE}/p/acme/incidents/new"
    x_post.fill(edited)
    expected_count = post_text.count(edited, post_text.X)
    expect(x_count).to_have_text(f"{expected_count} of 280 characters")
    browser_page.get_by_label("Skip this Mastodon post").check()
    expect(browser_page.get_by_role("textbox", name="Mastodon post")).not_to_be_editable()
    publish(tab, "Publish the incident")

    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Checkout errors")
    incident = Incident.objects.get(page=page)
    assert sending.send_due() == 1

    sent = f"Checkout is failing for some customers. {BASE}/p/acme/incidents/{incident.pk}"
    assert [tweet["text"] for tweet in fake_x.tweets] == [sent]
    assert fake_mastodon.requests == []
    first_event = incident.events.get()
    stored = SocialPost.objects.get(delivery__incident_event=first_event)
    assert stored.post_id == fake_x.tweets[0]["id"]
    assert not Delivery.objects.filter(channel="mastodon").exists()
    browser_page.reload(wait_until="load")
    expect(browser_page.locator(f"#event-{first_event.pk} .posts")).to_contain_text(
        f"posted, post {stored.post_id}")

    # X now returns 429 with a reset three days ahead, past the retries' 24 hours.
    fake_x.script = ["rate_limit"]
    fake_x.reset_at = FAR_RESET
    form = browser_page.locator("#post-update form")
    form.get_by_role("textbox", name="Update", exact=True).fill("A fix is deploying.")
    form.get_by_label("Skip this Mastodon post").check()
    publish(tab, "Publish the update")
    assert sending.send_due() == 1

    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert "X rate limit" in failed.last_error
    browser_page.reload(wait_until="load")
    panel = browser_page.locator("#failed-deliveries")
    expect(panel).to_contain_text("X rate limit")
    expect(browser_page.locator(f"#post-{failed.pk}")).to_contain_text("failed: ")

    publish(tab, "Retry the x delivery to X @acme_status")
    expect(browser_page.locator(".messages")).to_contain_text("is queued again")
    assert browser_page.url.endswith(reverse("console:incident", args=["acme", incident.pk]))
    assert sending.send_due() == 1
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    assert len(fake_x.tweets) == 2
    assert unexpected_problems(tab) == []


def test_composer_without_script(live_server: Any, open_tab: Callable[..., Tab],
                                 editor: User, page: Page,
                                 fakes: tuple[FakeX, FakeMastodon]) -> None:
    fake_x, _fake_mastodon = fakes
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:incident-new", args=["acme"]),
                        java_script_enabled=False)
    browser_page = tab.page
    browser_page.get_by_label("Title").fill("Checkout errors")
    browser_page.get_by_label("Major outage").check()
    browser_page.get_by_label("First update").fill("Some payments fail.")
    x_post = browser_page.get_by_role("textbox", name="X post")
    x_post.fill("a" * 281)
    publish(tab, "Publish the incident")

    problems = browser_page.locator(".form-problems")
    expect(problems).to_contain_text("X post")
    expect(problems).to_contain_text("over its limit of 280: shorten it by 1")
    expect(browser_page.locator("#id_post-x-text-count")).to_have_text(
        "281 of 280 characters: too long")
    expect(x_post).to_have_value("a" * 281)
    assert Incident.objects.count() == 0

    x_post.fill("a" * 280)
    publish(tab, "Publish the incident")
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Checkout errors")
    assert sending.send_due() == 2
    assert [tweet["text"] for tweet in fake_x.tweets] == ["a" * 280]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_incident_screen_with_posts(live_server: Any, open_tab: Callable[..., Tab],
                                    editor: User, page: Page, actor: Actor,
                                    fakes: tuple[FakeX, FakeMastodon], scheme: str,
                                    width: int) -> None:
    fake_x, _fake_mastodon = fakes
    fake_x.script = ["rate_limit"]
    fake_x.reset_at = FAR_RESET
    incident = incidents.open_incident(page, title="Checkout errors", text="Some fail.",
                                       state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                       actor=actor)
    sending.send_due()
    tab = signed_in_tab(open_tab, live_server.url, editor,
                        reverse("console:incident", args=["acme", incident.pk]), width=width,
                        color_scheme=scheme)

    expect(tab.page.locator("#failed-deliveries")).to_contain_text("X rate limit")
    expect(tab.page.get_by_role("textbox", name="X post")).to_have_count(2)
    check_screen(tab, scheme, width, "incident-posts")
