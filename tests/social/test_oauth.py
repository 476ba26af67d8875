"""Linking X and Mastodon accounts through the networks' OAuth pages, against local fakes."""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heliograph.accounts.models import User
from heliograph.domain.models import AuditEntry, Page
from heliograph.notifications import channels
from heliograph.social.models import MastodonApp, SocialAccount
from heliograph.social.posting import MastodonChannel
from tests.console.page_support import client_for, page_url, text_of
from tests.social.fakes import FakeMastodon, FakeX, RewriteAdapter, serve

pytestmark = pytest.mark.django_db

X_CALLBACK = "https://status.heliograph.test/console/social/x/callback/"
MASTODON_CALLBACK = "https://status.heliograph.test/console/social/mastodon/callback/"


@pytest.fixture
def instance(settings: Any) -> Iterator[tuple[FakeMastodon, str]]:
    """Start a fake instance and return it with its https://127.0.0.1:port address.

    The mastodon channel's session sends that address to the fake's plain HTTP port.
    """
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    fake = FakeMastodon()
    channel = channels.get("mastodon")
    assert isinstance(channel, MastodonChannel), "the mastodon channel is not registered"
    with serve(fake) as port:
        origin = f"https://127.0.0.1:{port}"
        channel.adapters[origin] = RewriteAdapter(port, origin=origin)
        yield fake, origin
        channel.adapters.clear()


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def authorize_url(response: Any) -> str:
    """Return the authorise URL of a "Continue to" screen, checking its link and refresh."""
    assert response.status_code == 200, text_of(response)
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    link = re.search(r'<a class="button" href="([^"]+)"', content)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', content)
    assert link is not None
    assert refresh is not None
    assert html.unescape(link.group(1)) == html.unescape(refresh.group(1))
    return html.unescape(link.group(1))


def start_x(client: Client) -> str:
    """Click "Link an X account" and return the request token X is asked to approve."""
    location = authorize_url(client.post(page_url("social-x-authorize")))
    assert location.startswith("https://api.twitter.com/oauth/authorize?")
    return query_of(location)["oauth_token"]


def x_callback(client: Client, follow: bool = False, **params: str) -> Any:
    return client.get(reverse("console:social-x-callback"), params, follow=follow)


def start_mastodon(client: Client, origin: str) -> dict[str, str]:
    location = authorize_url(client.post(page_url("social-mastodon-authorize"),
                                         {"mastodon-oauth-instance_url": origin}))
    assert location.startswith(f"{origin}/oauth/authorize?")
    return query_of(location)


def mastodon_callback(client: Client, follow: bool = False, **params: str) -> Any:
    return client.get(reverse("console:social-mastodon-callback"), params, follow=follow)


def test_x_round_trip(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    request_token = start_x(client)

    assert fake_x.callbacks == [X_CALLBACK]
    verifier = fake_x.authorize(request_token)
    response = x_callback(client, oauth_token=request_token, oauth_verifier=verifier)

    assert response.status_code == 302
    assert response["Location"] == page_url("social")
    account = SocialAccount.objects.get(page=page, network="x")
    assert account.handle == "@acme_status"
    assert (account.token, account.secret) == ("user-token", fake_x.token_secret)
    assert "user-token" not in account.sealed_token
    entry = AuditEntry.objects.get(action="social.link")
    assert "user-token" not in str(entry.after)
    screen = text_of(client.get(page_url("social")))
    assert "The X account @acme_status is linked." in screen
    assert "Linked: @acme_status (OAuth 1.0a)" in screen


def test_x_linked_account_posts(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    request_token = start_x(client)
    x_callback(client, oauth_token=request_token,
               oauth_verifier=fake_x.authorize(request_token))
    channel = channels.get("x")
    assert channel is not None
    account = SocialAccount.objects.get(page=page, network="x")

    tweepy_client, user_auth = channel.client(account)  # type: ignore[attr-defined]
    tweepy_client.create_tweet(text="Linked through OAuth", user_auth=user_auth)

    assert fake_x.errors == []
    assert [tweet["text"] for tweet in fake_x.tweets] == ["Linked through OAuth"]


def test_x_forged_token_rejected(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    start_x(client)

    response = x_callback(client, oauth_token="request-forged", oauth_verifier="verifier-0")

    assert response.status_code == 400
    assert "does not match the link started from this browser" in text_of(response)
    assert not SocialAccount.objects.exists()


def test_x_callback_replay_rejected(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    request_token = start_x(client)
    verifier = fake_x.authorize(request_token)
    assert x_callback(client, oauth_token=request_token,
                      oauth_verifier=verifier).status_code == 302
    SocialAccount.objects.all().delete()

    response = x_callback(client, oauth_token=request_token, oauth_verifier=verifier,
                          follow=True)

    assert "No X link was started from this browser, or it was already completed" in \
        text_of(response)
    assert not SocialAccount.objects.exists()


def test_x_callback_from_other_session(owner: User, page: Page, fake_x: FakeX) -> None:
    request_token = start_x(client_for(owner))

    response = x_callback(client_for(owner), oauth_token=request_token,
                          oauth_verifier=fake_x.authorize(request_token), follow=True)

    assert "No X link was started from this browser" in text_of(response)
    assert not SocialAccount.objects.exists()


def test_x_denied(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    request_token = start_x(client)

    response = x_callback(client, denied=request_token)

    assert response.status_code == 400
    assert "did not authorise Heliograph, so no account was linked" in text_of(response)
    assert not SocialAccount.objects.exists()
    # The flow is over: the same callback again finds nothing pending.
    again = x_callback(client, denied=request_token, follow=True)
    assert "No X link was started" in text_of(again)


def test_x_keys_missing(owner: User, page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELIOGRAPH_X_API_KEY", raising=False)

    response = client_for(owner).post(page_url("social-x-authorize"))

    assert response.status_code == 400
    assert "HELIOGRAPH_X_API_KEY and HELIOGRAPH_X_API_SECRET are not set" in text_of(response)


def test_x_wrong_app_secret(owner: User, page: Page, fake_x: FakeX,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIOGRAPH_X_API_SECRET", "not-the-secret")

    response = client_for(owner).post(page_url("social-x-authorize"))

    assert response.status_code == 400
    text = text_of(response)
    assert "X answered HTTP 401 while requesting a request token" in text
    assert X_CALLBACK in text


def test_x_start_needs_csrf_token(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner, enforce_csrf=True)
    client.get(page_url("social"))

    assert client.post(page_url("social-x-authorize")).status_code == 403
    assert fake_x.request_tokens == {}
    response = client.post(page_url("social-x-authorize"),
                           {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert authorize_url(response).startswith("https://api.twitter.com/oauth/authorize?")


@pytest.mark.parametrize("route", ["social-x-authorize", "social-mastodon-authorize"])
def test_editor_and_viewer_cannot_start(editor: User, viewer: User, page: Page,
                                        fake_x: FakeX, route: str) -> None:
    for user in (editor, viewer):
        response = client_for(user).post(page_url(route),
                                         {"mastodon-oauth-instance_url": "mastodon.example"})
        assert response.status_code == 403
    assert fake_x.request_tokens == {}
    assert not MastodonApp.objects.exists()


def test_demoted_owner_callback_rejected(owner: User, page: Page, fake_x: FakeX) -> None:
    client = client_for(owner)
    request_token = start_x(client)
    page.memberships.filter(user=owner).update(role="editor")

    response = x_callback(client, oauth_token=request_token,
                          oauth_verifier=fake_x.authorize(request_token))

    assert response.status_code == 403
    assert not SocialAccount.objects.exists()


def test_x_start_when_linked(owner: User, page: Page, x_account: SocialAccount) -> None:
    response = client_for(owner).post(page_url("social-x-authorize"))

    assert response.status_code == 409
    assert "An X account is already linked: unlink it first." in text_of(response)


def test_mastodon_round_trip(owner: User, page: Page,
                             instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)

    assert query["redirect_uri"] == MASTODON_CALLBACK
    assert query["scope"] == "write:statuses read:accounts"
    app = MastodonApp.objects.get()
    assert (app.instance_url, app.redirect_uri) == (origin, MASTODON_CALLBACK)
    assert query["client_id"] == app.client_id
    assert app.client_secret == fake.apps[app.client_id]["client_secret"]
    assert app.client_secret not in app.sealed_client_secret
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])
    response = mastodon_callback(client, code=code, state=query["state"])

    assert response.status_code == 302
    assert response["Location"] == page_url("social")
    account = SocialAccount.objects.get(page=page, network="mastodon")
    host = origin.removeprefix("https://")
    assert account.handle == f"@acme@{host}"
    assert account.instance_url == origin
    assert account.token == fake.token
    assert account.max_characters == 1000
    screen = text_of(client.get(page_url("social")))
    assert f"The Mastodon account @acme@{host} is linked." in screen
    assert "posts of up to 1000 characters" in screen


def test_mastodon_app_registered_once(owner: User, page: Page,
                                      instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    client = client_for(owner)
    first = start_mastodon(client, origin)
    second = start_mastodon(client, origin)

    assert len(fake.apps) == 1
    assert first["client_id"] == second["client_id"]
    assert first["state"] != second["state"]
    # Only the latest flow is pending, so the first state no longer matches.
    code = fake.authorize(first["client_id"], first["redirect_uri"], first["scope"])
    assert mastodon_callback(client, code=code, state=first["state"]).status_code == 400
    assert not SocialAccount.objects.exists()


def test_mastodon_forged_state(owner: User, page: Page,
                               instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])

    response = mastodon_callback(client, code=code, state="forged")

    assert response.status_code == 400
    assert "does not match the link started from this browser" in text_of(response)
    assert not SocialAccount.objects.exists()
    # The code was never sent to the instance, so it is still unused there.
    assert code in fake.codes


def test_mastodon_replay_rejected(owner: User, page: Page,
                                  instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])
    assert mastodon_callback(client, code=code, state=query["state"]).status_code == 302
    SocialAccount.objects.all().delete()

    response = mastodon_callback(client, code=code, state=query["state"], follow=True)

    assert "No Mastodon link was started from this browser" in text_of(response)
    assert not SocialAccount.objects.exists()


# An instance that states no post length, and one that hides its instance information.
@pytest.mark.parametrize(("attribute", "value"),
                         [("max_characters", None), ("instance_hidden", True)])
def test_mastodon_default_post_length(owner: User, page: Page,
                                      instance: tuple[FakeMastodon, str],
                                      attribute: str, value: object) -> None:
    fake, origin = instance
    setattr(fake, attribute, value)
    client = client_for(owner)
    query = start_mastodon(client, origin)
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])

    response = mastodon_callback(client, code=code, state=query["state"])

    assert response.status_code == 302
    account = SocialAccount.objects.get(page=page, network="mastodon")
    assert account.max_characters is None
    assert "posts of up to 500 characters" in text_of(client.get(page_url("social")))


def test_mastodon_denied(owner: User, page: Page, instance: tuple[FakeMastodon, str]) -> None:
    _fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)

    response = mastodon_callback(client, error="access_denied", state=query["state"])

    assert response.status_code == 400
    assert f"{origin} did not authorise Heliograph (access_denied)" in text_of(response)
    assert not SocialAccount.objects.exists()


def test_mastodon_bad_code(owner: User, page: Page, instance: tuple[FakeMastodon, str]) -> None:
    _fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)

    response = mastodon_callback(client, code="made-up", state=query["state"])

    assert response.status_code == 400
    assert (f"{origin} did not give an access token for the code (HTTP 400: The provided "
            "authorization grant is invalid.)") in text_of(response)
    assert not SocialAccount.objects.exists()


def test_mastodon_missing_scope(owner: User, page: Page,
                                instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    fake.granted_scope = "read:accounts"
    client = client_for(owner)
    query = start_mastodon(client, origin)
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])

    response = mastodon_callback(client, code=code, state=query["state"])

    assert response.status_code == 400
    assert (f"{origin} granted the scopes 'read:accounts' but Heliograph needs "
            "'write:statuses read:accounts'") in text_of(response)
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(("address", "message"), [
    ("https://169.254.169.254", "cannot be used as a Mastodon instance"),
    ("http://mastodon.example", "https:// and the host name"),
])
def test_mastodon_address_checked(owner: User, page: Page, address: str,
                                  message: str) -> None:
    response = client_for(owner).post(page_url("social-mastodon-authorize"),
                                      {"mastodon-oauth-instance_url": address})

    assert response.status_code == 422
    assert message in text_of(response)
    assert not MastodonApp.objects.exists()


def test_mastodon_loopback_rejected_unless_allowed(owner: User, page: Page,
                                                   instance: tuple[FakeMastodon, str],
                                                   settings: Any) -> None:
    fake, origin = instance
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = []

    response = client_for(owner).post(page_url("social-mastodon-authorize"),
                                      {"mastodon-oauth-instance_url": origin})

    assert response.status_code == 422
    assert "cannot be used as a Mastodon instance" in text_of(response)
    assert fake.apps == {}


def test_unlink_after_oauth(owner: User, page: Page, instance: tuple[FakeMastodon, str]) -> None:
    fake, origin = instance
    client = client_for(owner)
    query = start_mastodon(client, origin)
    code = fake.authorize(query["client_id"], query["redirect_uri"], query["scope"])
    mastodon_callback(client, code=code, state=query["state"])

    response = client.post(page_url("social-unlink", "acme", "mastodon"))

    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.filter(action="social.unlink").count() == 1
    # The registered application stays for the next link on the same instance.
    assert MastodonApp.objects.count() == 1
