"""Password reset by e-mail: the same response for every address, one-use links."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from heliograph.accounts import ratelimit
from heliograph.accounts.models import User
from tests.accounts.support import (
    NEW_PASSWORD,
    PASSWORD,
    body_text,
    links_in,
    log_in,
    only_mail_to,
    path_of,
)


def request_reset(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/accounts/password/reset/", {"email": email}, follow=True, **extra)


def reset_path(email: str) -> str:
    message = only_mail_to(email)
    link, = links_in(message)
    return path_of(link)


def test_reset_same_answer_for_every_address(member: User) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)
    pages = {}
    for email in ("member@example.com", "nobody@example.com", "pending@example.com"):
        response = request_reset(Client(), email)
        assert response.redirect_chain == [("/accounts/password/reset/sent/", 302)]
        pages[email] = body_text(response).replace(email, "ADDRESS")

    assert len(set(pages.values())) == 1


def test_reset_mails_only_active_accounts(member: User) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)

    for email in ("member@example.com", "nobody@example.com", "pending@example.com"):
        request_reset(Client(), email)

    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    assert mail.outbox[0].subject == "Reset your Heliograph password"


def test_reset_link_uses_base_url_not_host(member: User) -> None:
    request_reset(Client(), "member@example.com", HTTP_HOST="localhost")

    link, = links_in(only_mail_to("member@example.com"))
    assert link.startswith("https://status.example.test/accounts/password/reset/")


def test_reset_sets_new_password(member: User) -> None:
    client = Client()
    request_reset(client, "member@example.com")

    form_page = client.get(reset_path("member@example.com"), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert log_in(Client(), "member@example.com", NEW_PASSWORD).status_code == 302


def test_reset_link_works_once(member: User) -> None:
    client = Client()
    request_reset(client, "member@example.com")
    path = reset_path("member@example.com")
    form_page = client.get(path, follow=True)
    client.post(form_page.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    response = Client().get(path, follow=True)

    assert "This link is not valid" in body_text(response)


def test_reset_tampered_link_rejected(member: User) -> None:
    request_reset(Client(), "member@example.com")
    path = reset_path("member@example.com").rstrip("/") + "x/"

    response = Client().get(path, follow=True)

    assert "This link is not valid" in body_text(response)


def test_reset_weak_password_named(member: User) -> None:
    client = Client()
    request_reset(client, "member@example.com")
    form_page = client.get(reset_path("member@example.com"), follow=True)

    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "password", "new_password2": "password",
    })

    assert response.status_code == 422
    assert "new_password2" in response.context["form"].errors
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_reset_marks_address_verified(make_user: Any) -> None:
    user = User.objects.create_user("operator-made@example.com", PASSWORD)
    client = Client()
    request_reset(client, "operator-made@example.com")
    form_page = client.get(reset_path("operator-made@example.com"), follow=True)

    client.post(form_page.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_reset_lifts_account_lock(member: User) -> None:
    for _ in range(ratelimit.LOGIN_PER_ACCOUNT.max_count):
        log_in(Client(), "member@example.com", "wrong password")
    client = Client()
    request_reset(client, "member@example.com")
    form_page = client.get(reset_path("member@example.com"), follow=True)

    client.post(form_page.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert log_in(Client(), "member@example.com", NEW_PASSWORD).status_code == 302


def test_reset_invalid_address_named(client: Client, db: None) -> None:
    response = client.post("/accounts/password/reset/", {"email": "member@"})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["email"]
    assert 'value="member@"' in body_text(response)


def test_reset_limited_per_client_address(client: Client, db: None) -> None:
    for number in range(ratelimit.MAIL_PER_ADDRESS.max_count):
        request_reset(client, f"someone{number}@example.com")

    response = client.post("/accounts/password/reset/", {"email": "last@example.com"})

    assert response.status_code == 429
    assert "Too many e-mails were requested" in body_text(response)
