"""Every account form rejects a POST without the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client

from heliograph.accounts import tokens
from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, turn_on_two_factor

ANONYMOUS_FORMS = [
    "/accounts/signup/", "/accounts/verify/resend/", "/accounts/login/",
    "/accounts/password/reset/",
]
SIGNED_IN_FORMS = [
    "/accounts/logout/", "/accounts/password/", "/accounts/two-factor/enable/",
    "/accounts/two-factor/disable/", "/accounts/two-factor/recovery-codes/",
]


@pytest.mark.parametrize("path", ANONYMOUS_FORMS)
def test_anonymous_form_needs_csrf(db: None, path: str) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(path, {"email": "member@example.com", "password": PASSWORD,
                                  "password_confirm": PASSWORD})

    assert response.status_code == 403


@pytest.mark.parametrize("path", SIGNED_IN_FORMS)
def test_signed_in_form_needs_csrf(member: User, path: str) -> None:
    if "disable" in path or "recovery" in path:
        turn_on_two_factor(member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post(path, {"password": PASSWORD, "code": "123456"})

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.is_active


def test_verify_form_needs_csrf(db: None) -> None:
    user = User.objects.create_user("pending@example.com", PASSWORD, is_active=False)
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/accounts/verify/{tokens.make_verification_token(user)}/",
                           {"password": PASSWORD})

    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_active


def test_login_code_form_needs_csrf(member: User) -> None:
    turn_on_two_factor(member)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    password_step = client.post("/accounts/login/", {
        "email": "member@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token,
    })
    assert password_step["Location"] == "/accounts/login/code/"

    response = client.post("/accounts/login/code/", {"code": "123456"})

    assert response.status_code == 403


def test_login_with_csrf_token_accepted(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value

    response = client.post("/accounts/login/", {
        "email": "member@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token,
    })

    assert response.status_code == 302
