"""Following the verification link: the password confirms it, then the user can log in."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.test import Client

from heliograph.accounts import tokens
from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, body_text, log_in, sign_up, verification_path


def test_verify_link_asks_for_password(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")

    response = client.get(verification_path("new@example.com"))

    assert response.status_code == 200
    assert "new@example.com" in body_text(response)
    assert 'name="password"' in body_text(response)


def test_verify_activates_and_logs_in(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")

    response = client.post(verification_path("new@example.com"), {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    user = User.objects.get(email="new@example.com")
    assert user.is_active
    assert user.email_verified_at is not None
    assert client.session[SESSION_KEY] == str(user.pk)


def test_verified_user_can_log_in(db: None) -> None:
    sign_up(Client(), "new@example.com")
    Client().post(verification_path("new@example.com"), {"password": PASSWORD})

    browser = Client()
    response = log_in(browser, "new@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert SESSION_KEY in browser.session


def test_verify_wrong_password_keeps_inactive(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")

    response = client.post(verification_path("new@example.com"), {"password": "wrong one"})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["password"]
    assert not User.objects.get(email="new@example.com").is_active
    assert SESSION_KEY not in client.session


def test_verify_link_single_use(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")
    path = verification_path("new@example.com")
    client.post(path, {"password": PASSWORD})

    response = Client().get(path)

    assert response.status_code == 400
    assert "not valid" in body_text(response)


def test_verify_expired_link_rejected(client: Client, db: None) -> None:
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        sign_up(client, "new@example.com")
        path = verification_path("new@example.com")
        clock.shift(tokens.MAX_AGE + dt.timedelta(seconds=1))

        response = client.post(path, {"password": PASSWORD})

    assert response.status_code == 400
    assert "expired" in body_text(response)
    assert not User.objects.get(email="new@example.com").is_active


def test_verify_link_valid_until_max_age(client: Client, db: None) -> None:
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        sign_up(client, "new@example.com")
        path = verification_path("new@example.com")
        clock.shift(tokens.MAX_AGE - dt.timedelta(seconds=5))

        response = client.post(path, {"password": PASSWORD})

    assert response.status_code == 302


def test_verify_tampered_link_rejected(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")
    path = verification_path("new@example.com")
    token = path.removeprefix("/accounts/verify/").rstrip("/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/accounts/verify/{tampered}/")

    assert response.status_code == 400
    assert "not valid" in body_text(response)


def test_verify_token_for_other_user_rejected(client: Client, db: None) -> None:
    sign_up(client, "new@example.com")
    victim = User.objects.create_user("victim@example.com", PASSWORD, is_active=False)
    forged = signing.dumps({"user": victim.pk, "state": "guess"}, salt="other-salt")

    response = client.get(f"/accounts/verify/{forged}/")

    assert response.status_code == 400


def test_verify_active_user_link_rejected(client: Client, member: User) -> None:
    token = tokens.make_verification_token(member)

    response = client.get(f"/accounts/verify/{token}/")

    assert response.status_code == 400
