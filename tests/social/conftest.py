"""Fixtures of the social posting tests: fake X and Mastodon servers and linked accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.domain.models import Page
from heliograph.notifications import channels
from heliograph.social.models import Network, SocialAccount
from heliograph.social.posting import XChannel
from tests.social.fakes import X_ORIGIN, FakeMastodon, FakeX, RewriteAdapter, serve


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeX]:
    """Start a fake X API and point the registered `x` channel's clients at it."""
    fake = FakeX()
    monkeypatch.setenv("HELIOGRAPH_X_API_KEY", "app-key")
    monkeypatch.setenv("HELIOGRAPH_X_API_SECRET", fake.consumer_secret)
    channel = channels.get("x")
    assert isinstance(channel, XChannel), "the x channel is not registered"
    with serve(fake) as port:
        channel.adapters[X_ORIGIN] = RewriteAdapter(port)
        yield fake
        channel.adapters.clear()


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodon]:
    fake = FakeMastodon()
    with serve(fake):
        yield fake


@pytest.fixture
def x_account(page: Page, fake_x: FakeX) -> SocialAccount:
    account = SocialAccount(page=page, network=Network.X, handle="@acme_status")
    account.set_tokens("user-token", fake_x.token_secret)
    account.save()
    return account


@pytest.fixture
def mastodon_account(page: Page, fake_mastodon: FakeMastodon, settings: Any) -> SocialAccount:
    # The fake instance listens on 127.0.0.1, which the address guard rejects unless allowed.
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    account = SocialAccount(page=page, network=Network.MASTODON, handle="@acme@127.0.0.1",
                            instance_url=f"http://127.0.0.1:{fake_mastodon.port}")
    account.set_tokens(fake_mastodon.token)
    account.save()
    return account


@pytest.fixture
def only_social() -> Iterator[None]:
    """Keep only the x and mastodon channels registered for the length of a test."""
    saved = channels.registered()
    for channel in saved:
        if channel.name not in ("x", "mastodon"):
            channels.unregister(channel.name)
    yield
    for channel in saved:
        channels.register(channel)


@pytest.fixture(autouse=True)
def base_url(settings: Any) -> None:
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"
