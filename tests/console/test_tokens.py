"""API tokens in the console: create (shown once), list, use against the API, revoke."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heliograph.api.models import ApiToken, hash_token
from heliograph.console import once
from heliograph.domain.models import AuditEntry, Page
from tests.console.page_support import HOST, client_for, field_error, form_token, text_of

pytestmark = pytest.mark.django_db

TOKENS = reverse("console:tokens")
_RAW = re.compile(r'id="raw-token"[^>]*value="(hg_[^"]+)"')


def create(client: Client, **data: Any) -> Any:
    token = form_token(client.get(TOKENS))
    return client.post(TOKENS, {once.FIELD: token, **data})


def raw_token_in(response: Any) -> str:
    match = _RAW.search(response.content.decode())
    assert match is not None, "the screen shows no token"
    return match.group(1)


def api_get(raw: str, path: str) -> Any:
    return Client(HTTP_HOST=HOST).get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_create_token_shows_it_once(page: Page, owner: Any) -> None:
    client = client_for(owner)

    response = create(client, name="deploys", pages=[page.pk], access="read")

    assert response.status_code == 302
    token = ApiToken.objects.get(user=owner)
    assert response["Location"] == reverse("console:token-created", args=[token.pk])
    first = client.get(response["Location"])
    raw = raw_token_in(first)
    assert first["Cache-Control"] == "no-store"
    assert hash_token(raw) == token.token_hash
    assert raw.startswith(token.hint)
    second = client.get(response["Location"])
    assert raw not in second.content.decode()
    assert "already shown and cannot be shown again" in text_of(second)


def test_created_token_reads_its_page(page: Page, owner: Any, outsider: Any) -> None:
    client = client_for(owner)
    raw = raw_token_in(client.get(create(client, name="ci", pages=[page.pk],
                                         access="read")["Location"]))

    assert api_get(raw, "/api/v1/pages/acme").status_code == 200
    assert api_get(raw, "/api/v1/pages/other").status_code == 404


def test_create_write_token_with_scope(page: Page, owner: Any, make_page: Any) -> None:
    second = make_page("beta", title="Beta")

    create(client_for(owner), name="both", pages=[page.pk, second.pk], access="write")

    token = ApiToken.objects.get(user=owner)
    assert token.can_write is True
    assert token.name == "both"
    assert sorted(token.pages.values_list("slug", flat=True)) == ["acme", "beta"]


def test_create_token_records_audit(page: Page, owner: Any) -> None:
    create(client_for(owner), name="deploys", pages=[page.pk], access="write")

    entry = AuditEntry.objects.get(page=page, action="token.create")
    token = ApiToken.objects.get()
    assert entry.after == {"name": "deploys", "hint": token.hint, "can_write": True}


def test_create_token_for_foreign_page_rejected(page: Page, owner: Any, outsider: Any) -> None:
    other = Page.objects.get(slug="other")

    response = create(client_for(owner), name="sneaky", pages=[other.pk], access="write")

    assert response.status_code == 422
    assert "not a member of page" in field_error(response, "id_pages")
    assert ApiToken.objects.count() == 0


def test_create_token_without_pages_rejected(page: Page, owner: Any) -> None:
    response = create(client_for(owner), name="empty", access="read")

    assert response.status_code == 422
    assert "Choose at least one page." in field_error(response, "id_pages")
    assert 'value="empty"' in response.content.decode()


def test_create_token_needs_name(page: Page, owner: Any) -> None:
    response = create(client_for(owner), name="", pages=[page.pk], access="read")

    assert response.status_code == 422
    assert field_error(response, "id_name") != ""
    assert ApiToken.objects.count() == 0


def test_create_token_resent_post_creates_one(page: Page, owner: Any) -> None:
    client = client_for(owner)
    data = {once.FIELD: form_token(client.get(TOKENS)), "name": "ci", "pages": [page.pk],
            "access": "read"}

    client.post(TOKENS, data)
    client.post(TOKENS, data)

    assert ApiToken.objects.count() == 1


def test_create_token_needs_csrf_token(page: Page, owner: Any) -> None:
    client = client_for(owner, enforce_csrf=True)

    response = create(client, name="ci", pages=[page.pk], access="read")

    assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_token_list_shows_hint_scope_and_use(page: Page, owner: Any) -> None:
    client = client_for(owner)
    raw = raw_token_in(client.get(create(client, name="deploys", pages=[page.pk],
                                         access="write")["Location"]))
    api_get(raw, "/api/v1/pages/acme")

    text = text_of(client.get(TOKENS))

    token = ApiToken.objects.get()
    assert token.last_used_at is not None
    assert f"deploys {token.hint}… Acme Read and write" in text
    assert token.last_used_at.strftime("%Y-%m-%d %H:%M UTC") in text
    assert raw not in client.get(TOKENS).content.decode()


def test_token_list_shows_own_tokens_only(page: Page, owner: Any, outsider: Any) -> None:
    ApiToken.issue(outsider, [Page.objects.get(slug="other")], can_write=True, name="theirs")

    text = text_of(client_for(owner).get(TOKENS))

    assert "theirs" not in text
    assert "You have no API token." in text


def test_revoke_token_stops_api_access(page: Page, owner: Any) -> None:
    token, raw = ApiToken.issue(owner, [page], can_write=False, name="ci")

    response = client_for(owner).post(reverse("console:token-revoke", args=[token.pk]))

    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert api_get(raw, "/api/v1/pages/acme").status_code == 401
    assert AuditEntry.objects.filter(page=page, action="token.revoke").count() == 1


def test_revoke_other_users_token_not_found(page: Page, owner: Any, outsider: Any) -> None:
    token, _ = ApiToken.issue(outsider, [Page.objects.get(slug="other")], can_write=True)

    response = client_for(owner).post(reverse("console:token-revoke", args=[token.pk]))

    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_token_created_screen_of_other_user_not_found(page: Page, owner: Any,
                                                      outsider: Any) -> None:
    token, _ = ApiToken.issue(outsider, [Page.objects.get(slug="other")], can_write=True)

    response = client_for(owner).get(reverse("console:token-created", args=[token.pk]))

    assert response.status_code == 404


def test_revoke_needs_csrf_token(page: Page, owner: Any) -> None:
    token, _ = ApiToken.issue(owner, [page], can_write=False)

    response = client_for(owner, enforce_csrf=True).post(
        reverse("console:token-revoke", args=[token.pk]))

    assert response.status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_tokens_anonymous_goes_to_login(db: None) -> None:
    response = client_for(None).get(TOKENS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_token_list_forgets_unshown_value(page: Page, owner: Any) -> None:
    client = client_for(owner)
    created = create(client, name="ci", pages=[page.pk], access="read")

    client.get(TOKENS)

    assert "already shown" in text_of(client.get(created["Location"]))
