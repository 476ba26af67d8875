"""Logging in with a password: redirects, unverified and disabled accounts, safe `next`."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, body_text, log_in


def test_login_redirects_to_console(client: Client, member: User) -> None:
    response = log_in(client, "member@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.session[SESSION_KEY] == str(member.pk)


def test_login_address_case_ignored(client: Client, member: User) -> None:
    response = log_in(client, "  Member@EXAMPLE.com ")

    assert response.status_code == 302


def test_login_wrong_password_names_both_fields(client: Client, member: User) -> None:
    response = log_in(client, "member@example.com", "wrong password")

    assert response.status_code == 422
    assert "e-mail address or the password is incorrect" in body_text(response)
    assert 'value="member@example.com"' in body_text(response)
    assert SESSION_KEY not in client.session


def test_login_unknown_and_wrong_password_same_answer(member: User) -> None:
    known = log_in(Client(), "member@example.com", "wrong password")
    unknown = log_in(Client(), "nobody@example.com", "wrong password")

    assert known.status_code == unknown.status_code == 422
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_login_missing_fields_named(client: Client, db: None) -> None:
    response = client.post("/accounts/login/", {"email": "", "password": ""})

    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"email", "password"}
    assert "Enter your e-mail address." in body_text(response)
    assert "Enter your password." in body_text(response)


def test_login_unverified_told_to_verify(client: Client, db: None) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)

    response = log_in(client, "pending@example.com")

    assert response.status_code == 422
    assert "not verified yet" in body_text(response)
    assert '/accounts/verify/resend/?email=pending%40example.com' in body_text(response)
    assert SESSION_KEY not in client.session


def test_login_unverified_wrong_password_generic(client: Client, db: None) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)

    response = log_in(client, "pending@example.com", "wrong password")

    assert "not verified" not in body_text(response)
    assert "e-mail address or the password is incorrect" in body_text(response)


def test_login_disabled_account_rejected(client: Client, member: User) -> None:
    member.is_active = False
    member.save(update_fields=["is_active"])

    response = log_in(client, "member@example.com")

    assert response.status_code == 422
    assert "This account is disabled" in body_text(response)
    assert SESSION_KEY not in client.session


def test_login_operator_created_user_unverified(client: Client, db: None) -> None:
    User.objects.create_user("operator-made@example.com", PASSWORD)

    response = log_in(client, "operator-made@example.com")

    assert response.status_code == 302


@pytest.mark.parametrize("next_url", ["/console/pages/acme/", "/accounts/?tab=1"])
def test_login_follows_local_next(client: Client, member: User, next_url: str) -> None:
    response = log_in(client, "member@example.com", next_url=next_url)

    assert response["Location"] == next_url


@pytest.mark.parametrize("next_url", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "https://testserver.evil.example/",
    " //evil.example/",
])
def test_login_rejects_foreign_next(client: Client, member: User, next_url: str) -> None:
    response = log_in(client, "member@example.com", next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_login_form_carries_next_from_query(client: Client, db: None) -> None:
    response = client.get("/accounts/login/?next=/console/pages/acme/")

    assert 'name="next" value="/console/pages/acme/"' in body_text(response)


def test_login_form_drops_foreign_next(client: Client, db: None) -> None:
    response = client.get("/accounts/login/?next=https://evil.example/")

    assert "evil.example" not in body_text(response)


def test_login_signed_in_user_redirected(client: Client, member: User) -> None:
    client.force_login(member)

    response = client.get("/accounts/login/?next=/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_login_session_stored_in_database(client: Client, member: User) -> None:
    log_in(client, "member@example.com")
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert Session.objects.filter(session_key=session_key).exists()
    # A fresh session store, as a restarted process would build, finds the login.
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    assert store[SESSION_KEY] == str(member.pk)


def test_login_page_get_renders_form(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert 'autocomplete="current-password"' in body_text(response)
    assert "csrfmiddlewaretoken" in body_text(response)
