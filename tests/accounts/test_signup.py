"""Sign-up: an inactive account, a verification e-mail, and no hint of existing accounts."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from heliograph.accounts.models import User
from heliograph.accounts.views.signup import create_pending_user
from tests.accounts.support import (
    PASSWORD,
    body_text,
    links_in,
    only_mail_to,
    sign_up,
    verification_path,
)


def test_signup_creates_inactive_user(client: Client, db: None) -> None:
    response = sign_up(client, "New@Example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    user = User.objects.get(email="new@example.com")
    assert not user.is_active
    assert user.email_verified_at is None
    assert user.check_password(PASSWORD)


def test_signup_sends_verification_link(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")

    message = only_mail_to("new@example.com")
    assert message.subject == "Verify your e-mail address for Heliograph"
    link, = links_in(message)
    assert link.startswith("https://status.example.test/accounts/verify/")
    assert "3 days" in str(message.body)


def test_signup_sent_page_names_address(client: Client, db: None) -> None:
    response = sign_up(client, "new@example.com", follow=True)

    assert response.status_code == 200
    assert "new@example.com" in body_text(response)
    assert "Check your e-mail" in body_text(response)


def test_signup_weak_password_names_field(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "email": "new@example.com", "password": "password", "password_confirm": "password",
    })

    assert response.status_code == 422
    form = response.context["form"]
    assert "password" in form.errors
    assert "too common" in " ".join(form.errors["password"])
    assert 'value="new@example.com"' in body_text(response)
    assert 'href="#id_password"' in body_text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_signup_mismatched_passwords_name_confirmation(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "email": "new@example.com", "password": PASSWORD, "password_confirm": PASSWORD + "x",
    })

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["password_confirm"]
    assert 'value="new@example.com"' in body_text(response)


def test_signup_password_like_address_rejected(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "email": "quentin.marchetti@example.com", "password": "quentin.marchetti",
        "password_confirm": "quentin.marchetti",
    })

    assert response.status_code == 422
    assert "too similar" in " ".join(response.context["form"].errors["password"])


def test_signup_invalid_email_names_field(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "email": "not-an-address", "password": PASSWORD, "password_confirm": PASSWORD,
    })

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["email"]
    assert 'value="not-an-address"' in body_text(response)


def test_signup_password_never_echoed(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "email": "not-an-address", "password": PASSWORD, "password_confirm": PASSWORD,
    })

    assert PASSWORD not in body_text(response)


def without_address(response: Any, local_part: str) -> str:
    """Return the page with the address, in plain and URL-encoded form, replaced by a mark."""
    text = body_text(response)
    for form in (f"{local_part}@example.com", f"{local_part}%40example.com"):
        text = text.replace(form, "ADDRESS")
    return text


def test_signup_existing_address_same_answer(member: User) -> None:
    known = sign_up(Client(), "member@example.com", password="another pass 981", follow=True)
    unknown = sign_up(Client(), "stranger@example.com", password="another pass 981",
                      follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert without_address(known, "member") == without_address(unknown, "stranger")


def test_signup_existing_address_gets_notice(client: Client, member: User) -> None:
    sign_up(client, "member@example.com", password="another pass 981")

    message = only_mail_to("member@example.com")
    assert message.subject == "Your Heliograph account already exists"
    assert "https://status.example.test/accounts/password/reset/" in str(message.body)
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_signup_again_replaces_unverified_password(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")
    first_link = verification_path("new@example.com")
    mail.outbox.clear()

    sign_up(client, "new@example.com", password="second choice 55")

    user = User.objects.get(email="new@example.com")
    assert user.check_password("second choice 55")
    assert verification_path("new@example.com") != first_link
    assert client.get(first_link).status_code == 400


def test_signup_signed_in_user_redirected(client: Client, member: User) -> None:
    client.force_login(member)

    response = client.get("/accounts/signup/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_signup_next_followed_after_verification(db: None) -> None:
    client = Client()
    client.post("/accounts/signup/", {
        "email": "new@example.com", "password": PASSWORD, "password_confirm": PASSWORD,
        "next": "/console/invitations/abc/",
    })

    response = Client().post(verification_path("new@example.com"), {"password": PASSWORD})

    assert response["Location"] == "/console/invitations/abc/"


def test_signup_foreign_next_dropped(db: None) -> None:
    client = Client()
    client.post("/accounts/signup/", {
        "email": "new@example.com", "password": PASSWORD, "password_confirm": PASSWORD,
        "next": "https://evil.example/",
    })

    response = Client().post(verification_path("new@example.com"), {"password": PASSWORD})

    assert response["Location"] == "/console/"


def test_signup_form_carries_next(client: Client, db: None) -> None:
    response = client.get("/accounts/signup/?next=/console/invitations/abc/")

    assert 'name="next" value="/console/invitations/abc/"' in body_text(response)
    assert 'href="/accounts/login/?next=/console/invitations/abc/"' in body_text(response)


def test_signup_existing_address_login_link_keeps_next(member: User) -> None:
    Client().post("/accounts/signup/", {
        "email": "member@example.com", "password": PASSWORD, "password_confirm": PASSWORD,
        "next": "/console/invitations/abc/",
    })

    message = only_mail_to("member@example.com")
    assert ("https://status.example.test/accounts/login/?next=%2Fconsole%2Finvitations%2Fabc%2F"
            in links_in(message))


def test_signup_race_reuses_existing_account(db: None) -> None:
    first = User.objects.create_user("new@example.com", PASSWORD, is_active=False)

    user, created = create_pending_user("new@example.com", "second choice 55")

    assert user.pk == first.pk
    assert not created
    assert User.objects.count() == 1


def test_signup_survives_broken_mail_backend(client: Client, db: None, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = None

    response = sign_up(client, "new@example.com")

    assert response.status_code == 302
    assert User.objects.filter(email="new@example.com").exists()
