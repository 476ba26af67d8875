"""Linking and unlinking a page's X and Mastodon accounts in the console."""

from __future__ import annotations

import pytest

from heliograph.accounts.models import User
from heliograph.domain.models import AuditEntry, Page
from heliograph.social.models import SocialAccount
from tests.console.page_support import client_for, field_error, page_url, text_of

pytestmark = pytest.mark.django_db


def link_mastodon(user: User, **overrides: str) -> object:
    fields = {"instance_url": "mastodon.example", "handle": "acme@mastodon.example",
              "token": "masto-token-123", "max_characters": "", **overrides}
    data = {f"mastodon-{name}": value for name, value in fields.items()}
    return client_for(user).post(page_url("social-link-mastodon"), data)


def test_owner_links_mastodon(owner: User, page: Page) -> None:
    response = link_mastodon(owner)

    assert response.status_code == 302
    account = SocialAccount.objects.get(page=page, network="mastodon")
    assert account.instance_url == "https://mastodon.example"
    assert account.handle == "@acme@mastodon.example"
    assert account.token == "masto-token-123"
    assert "masto-token-123" not in account.sealed_token
    entry = AuditEntry.objects.get(action="social.link")
    assert entry.after is not None
    assert "masto-token-123" not in str(entry.after)
    assert entry.after["instance_url"] == "https://mastodon.example"


def test_owner_links_x(owner: User, page: Page) -> None:
    response = client_for(owner).post(page_url("social-link-x"), {
        "x-handle": "acme_status", "x-token": "123-abc", "x-secret": "s3cret"})

    assert response.status_code == 302
    account = SocialAccount.objects.get(page=page, network="x")
    assert (account.handle, account.token, account.secret) == ("@acme_status", "123-abc", "s3cret")
    text = text_of(client_for(owner).get(page_url("social")))
    assert "Linked: @acme_status (OAuth 1.0a)" in text
    assert "s3cret" not in text


@pytest.mark.parametrize("url", ["http://mastodon.example", "https://m.example/path",
                                 "ftp://m.example", "https://"])
def test_bad_instance_url_rejected(owner: User, page: Page, url: str) -> None:
    response = link_mastodon(owner, instance_url=url)

    assert response.status_code == 422
    assert "https:// and the host name" in field_error(response, "id_mastodon-instance_url")
    assert not SocialAccount.objects.exists()


def test_missing_token_rejected(owner: User, page: Page) -> None:
    response = link_mastodon(owner, token="")

    assert response.status_code == 422
    assert field_error(response, "id_mastodon-token") == "This field is required."
    assert not SocialAccount.objects.exists()


def test_second_link_conflicts(owner: User, page: Page) -> None:
    link_mastodon(owner)
    response = link_mastodon(owner, token="other")

    assert response.status_code == 409
    assert "A Mastodon account is already linked: unlink it first." in text_of(response)
    assert SocialAccount.objects.get().token == "masto-token-123"


def test_editor_sees_status_only(owner: User, editor: User, page: Page) -> None:
    link_mastodon(owner)
    response = client_for(editor).get(page_url("social"))

    assert response.status_code == 200
    text = text_of(response)
    assert "Linked: @acme@mastodon.example on https://mastodon.example" in text
    assert "Unlink" not in text
    assert "No X account is linked. An owner of the page can link one." in text
    assert link_mastodon(editor).status_code == 403
    unlink = client_for(editor).post(page_url("social-unlink", "acme", "mastodon"))
    assert unlink.status_code == 403
    assert SocialAccount.objects.count() == 1


def test_viewer_and_outsider_kept_out(viewer: User, outsider: User, page: Page) -> None:
    assert client_for(viewer).get(page_url("social")).status_code == 403
    assert client_for(outsider).get(page_url("social")).status_code == 404
    assert link_mastodon(outsider).status_code == 404


def test_owner_unlinks(owner: User, page: Page) -> None:
    link_mastodon(owner)
    response = client_for(owner).post(page_url("social-unlink", "acme", "mastodon"))

    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.filter(action="social.unlink").count() == 1
    unknown = client_for(owner).post(page_url("social-unlink", "acme", "mastodon"))
    assert unknown.status_code == 404


@pytest.mark.parametrize("url", ["https://169.254.169.254", "https://127.0.0.1:8443",
                                 "https://[fd00:ec2::254]"])
def test_internal_instance_address_rejected(owner: User, page: Page, url: str) -> None:
    response = link_mastodon(owner, instance_url=url)

    assert response.status_code == 422
    assert "cannot be used as a Mastodon instance" in field_error(
        response, "id_mastodon-instance_url")
    assert not SocialAccount.objects.exists()
