"""Runstatus credentials in the console: create (secret shown once), list, revoke, by persona."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heliograph.accounts.models import User
from heliograph.console import once
from heliograph.domain.models import AuditEntry, Page
from heliograph.runstatus.models import Credential
from tests.console.page_support import HOST, client_for, field_error, form_token, text_of
from tests.runstatus.support import RunstatusClient

pytestmark = pytest.mark.django_db

CREDENTIALS = reverse("console:credentials")
_SECRET = re.compile(r'id="secret-value"[^>]*value="([^"]+)"')


def create(client: Client, **data: Any) -> Any:
    token = form_token(client.get(CREDENTIALS))
    return client.post(CREDENTIALS, {once.FIELD: token, **data})


def secret_in(response: Any) -> str:
    match = _SECRET.search(response.content.decode())
    assert match is not None, "the screen shows no secret"
    return html.unescape(match.group(1))


def created_pair(client: Client, **data: Any) -> tuple[Credential, str]:
    response = create(client, **data)
    assert response.status_code == 302, response.content
    credential = Credential.objects.latest("pk")
    return credential, secret_in(client.get(response["Location"]))


def test_create_shows_secret_once(page: Page, owner: User) -> None:
    client = client_for(owner)

    response = create(client, name="alerting", scope="all")

    assert response.status_code == 302
    credential = Credential.objects.get(user=owner)
    assert response["Location"] == reverse("console:credential-created", args=[credential.pk])
    first = client.get(response["Location"])
    secret = secret_in(first)
    assert first["Cache-Control"] == "no-store"
    assert credential.secret() == secret
    assert credential.key in first.content.decode()
    assert "endpoint = http://127.0.0.1:8000/runstatus" in html.unescape(
        first.content.decode())
    second = client.get(response["Location"])
    assert secret not in second.content.decode()
    assert "already shown and cannot be shown again" in text_of(second)


def test_session_holds_secret_sealed(page: Page, owner: User) -> None:
    client = client_for(owner)

    create(client, name="alerting", scope="all")

    stored = client.session["console.new_runstatus_secret"]
    credential = Credential.objects.get()
    assert stored["id"] == credential.pk
    assert credential.secret() not in str(stored)


def test_created_pair_signs_requests(page: Page, owner: User) -> None:
    credential, secret = created_pair(client_for(owner), name="cli", scope="all")

    response = RunstatusClient(credential.key, secret).get("/pages/acme")

    assert response.status_code == 200


def test_create_restricted_pair(page: Page, owner: User, make_page: Any) -> None:
    beta = make_page("beta", title="Beta")

    credential, secret = created_pair(client_for(owner), name="beta only", scope="some",
                                      pages=[beta.pk])

    assert credential.all_pages is False
    assert list(credential.pages.all()) == [beta]
    client = RunstatusClient(credential.key, secret)
    assert client.get("/pages/beta").status_code == 200
    assert client.get("/pages/acme").status_code == 403


def test_restricted_without_pages_rejected(page: Page, owner: User) -> None:
    response = create(client_for(owner), name="none", scope="some")

    assert response.status_code == 422
    assert "Choose at least one page" in field_error(response, "id_pages")
    assert not Credential.objects.exists()


def test_create_needs_name(page: Page, owner: User) -> None:
    response = create(client_for(owner), name="", scope="all")

    assert response.status_code == 422
    assert field_error(response, "id_name") != ""
    assert not Credential.objects.exists()


def test_viewer_page_not_offered(page: Page, viewer: User) -> None:
    response = create(client_for(viewer), name="sneaky", scope="some", pages=[page.pk])

    assert response.status_code == 422
    assert "not an editor or owner of page" in field_error(response, "id_pages")
    assert not Credential.objects.exists()


def test_foreign_page_not_offered(page: Page, owner: User, outsider: User) -> None:
    other = Page.objects.get(slug="other")

    response = create(client_for(owner), name="sneaky", scope="some", pages=[other.pk])

    assert response.status_code == 422
    assert not Credential.objects.exists()


def test_editor_creates_pair_for_page(page: Page, editor: User) -> None:
    credential, secret = created_pair(client_for(editor), name="editor", scope="some",
                                      pages=[page.pk])

    assert RunstatusClient(credential.key, secret).get("/pages/acme").status_code == 200


def test_resent_post_creates_one(page: Page, owner: User) -> None:
    client = client_for(owner)
    data = {once.FIELD: form_token(client.get(CREDENTIALS)), "name": "cli", "scope": "all"}

    client.post(CREDENTIALS, data)
    client.post(CREDENTIALS, data)

    assert Credential.objects.count() == 1


def test_create_records_audit(page: Page, owner: User) -> None:
    create(client_for(owner), name="cli", scope="all")

    entry = AuditEntry.objects.get(page=page, action="runstatus_key.create")
    credential = Credential.objects.get()
    assert entry.after == {"name": "cli", "key": credential.key, "all_pages": True}


def test_list_shows_own_keys_only(page: Page, owner: User, editor: User) -> None:
    mine, _ = Credential.issue(owner, None, name="mine")
    theirs, _ = Credential.issue(editor, None, name="theirs")

    screen = client_for(owner).get(CREDENTIALS)

    assert screen.status_code == 200
    assert mine.key in screen.content.decode()
    assert theirs.key not in screen.content.decode()
    assert "Never" in text_of(screen)


def test_list_shows_last_use(page: Page, owner: User) -> None:
    credential, secret = Credential.issue(owner, None, name="cli")
    RunstatusClient(credential.key, secret).get("/pages/acme")

    screen = text_of(client_for(owner).get(CREDENTIALS))

    credential.refresh_from_db()
    assert credential.last_used_at is not None
    assert credential.last_used_at.strftime("%Y-%m-%d %H:%M") in screen


def test_revoke_asks_then_revokes(page: Page, owner: User) -> None:
    credential, secret = Credential.issue(owner, None, name="cli")
    client = client_for(owner)
    url = reverse("console:credential-revoke", args=[credential.pk])

    confirm = client.get(url)
    credential.refresh_from_db()
    assert confirm.status_code == 200
    assert "Revoke the key" in text_of(confirm)
    assert credential.revoked_at is None

    done = client.post(url)

    credential.refresh_from_db()
    assert done.status_code == 302
    assert credential.revoked_at is not None
    assert RunstatusClient(credential.key, secret).get("/pages/acme").status_code == 403
    assert AuditEntry.objects.filter(page=page, action="runstatus_key.revoke").exists()
    assert f"Revoked the key {credential.key}" in text_of(client.get(done["Location"]))


def test_revoke_twice_says_so(page: Page, owner: User) -> None:
    credential, _ = Credential.issue(owner, None, name="cli")
    client = client_for(owner)
    url = reverse("console:credential-revoke", args=[credential.pk])
    client.post(url)

    again = client.post(url, follow=True)

    assert "was already revoked" in text_of(again)


@pytest.mark.parametrize("persona", ["editor", "viewer", "outsider"])
def test_others_cannot_see_or_revoke(page: Page, owner: User, persona: str,
                                     request: pytest.FixtureRequest) -> None:
    credential, _ = Credential.issue(owner, None, name="cli")
    other = client_for(request.getfixturevalue(persona))

    assert other.get(reverse("console:credential-revoke", args=[credential.pk])).status_code \
        == 404
    assert other.post(reverse("console:credential-revoke", args=[credential.pk])).status_code \
        == 404
    assert other.get(reverse("console:credential-created",
                             args=[credential.pk])).status_code == 404
    credential.refresh_from_db()
    assert credential.revoked_at is None


def test_anonymous_sent_to_login(db: None) -> None:
    response = client_for(None).get(CREDENTIALS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_revoke_needs_csrf(page: Page, owner: User) -> None:
    credential, _ = Credential.issue(owner, None, name="cli")
    client = client_for(owner, enforce_csrf=True)

    response = client.post(reverse("console:credential-revoke", args=[credential.pk]))

    assert response.status_code == 403
    credential.refresh_from_db()
    assert credential.revoked_at is None


def test_account_bar_links_credentials(page: Page, owner: User) -> None:
    screen = Client(HTTP_HOST=HOST)
    screen.force_login(owner)

    response = screen.get(reverse("console:home"))

    assert f'href="{CREDENTIALS}"' in response.content.decode()
