"""A new verification link: sent only to pending sign-ups, with one response for every address."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from heliograph.accounts import ratelimit
from heliograph.accounts.models import User
from tests.accounts.support import (
    PASSWORD,
    body_text,
    links_in,
    only_mail_to,
    path_of,
    sign_up,
)


def resend(client: Client, email: str) -> Any:
    return client.post("/accounts/verify/resend/", {"email": email}, follow=True)


def test_resend_sends_new_link(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")
    mail.outbox.clear()

    response = resend(Client(), "new@example.com")

    assert response.status_code == 200
    message = only_mail_to("new@example.com")
    assert "/accounts/verify/" in str(message.body)


def test_resend_same_answer_for_every_address(member: User) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)
    pages = {
        email: body_text(resend(Client(), email)).replace(email, "ADDRESS")
        for email in ("pending@example.com", "member@example.com", "nobody@example.com")
    }

    assert len(set(pages.values())) == 1
    assert "If <strong>ADDRESS</strong> belongs to an account" in pages["nobody@example.com"]


def test_resend_mails_only_pending_accounts(member: User) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)

    for email in ("pending@example.com", "member@example.com", "nobody@example.com"):
        resend(Client(), email)

    assert [message.to for message in mail.outbox] == [["pending@example.com"]]


def test_resend_invalid_address_names_field(client: Client, db: None) -> None:
    response = client.post("/accounts/verify/resend/", {"email": "nobody@"})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["email"]
    assert 'value="nobody@"' in body_text(response)


def test_resend_prefills_address_from_query(client: Client, db: None) -> None:
    response = client.get("/accounts/verify/resend/?email=new%40example.com")

    assert 'value="new@example.com"' in body_text(response)


def test_resend_limited_per_recipient(client: Client, db: None) -> None:
    User.objects.create_user("pending@example.com", PASSWORD, is_active=False)

    for _ in range(ratelimit.MAIL_PER_RECIPIENT.max_count + 2):
        response = resend(client, "pending@example.com")
        assert response.status_code == 200

    assert len(mail.outbox) == ratelimit.MAIL_PER_RECIPIENT.max_count


def test_resend_limited_per_client_address(client: Client, db: None) -> None:
    for number in range(ratelimit.MAIL_PER_ADDRESS.max_count):
        resend(client, f"someone{number}@example.com")

    response = client.post("/accounts/verify/resend/", {"email": "last@example.com"})

    assert response.status_code == 429
    assert "Too many e-mails were requested from your network" in body_text(response)
    assert int(response["Retry-After"]) > 0
    assert 'value="last@example.com"' in body_text(response)


def test_resend_link_keeps_signup_next(client: Client, db: None) -> None:
    client.post("/accounts/signup/", {
        "email": "new@example.com", "password": PASSWORD, "password_confirm": PASSWORD,
        "next": "/console/invitations/abc/",
    })
    mail.outbox.clear()
    resend(client, "new@example.com")
    link, = links_in(only_mail_to("new@example.com"))

    response = Client().post(path_of(link), {"password": PASSWORD})

    assert response["Location"] == "/console/invitations/abc/"
