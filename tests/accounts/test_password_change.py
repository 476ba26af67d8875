"""Changing the password while signed in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.test import Client

from heliograph.accounts.models import User
from tests.accounts.support import NEW_PASSWORD, PASSWORD, body_text, log_in


def change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post("/accounts/password/", {
        "old_password": old, "new_password1": new, "new_password2": again or new,
    })


def test_change_sets_new_password(member: User) -> None:
    client = Client()
    client.force_login(member)

    response = change(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)


def test_change_logs_out_other_sessions(member: User) -> None:
    other = Client()
    other.force_login(member)
    client = Client()
    client.force_login(member)

    change(client, PASSWORD, NEW_PASSWORD)

    assert other.get("/accounts/").status_code == 302
    assert client.get("/accounts/").status_code == 200


def test_change_wrong_old_password_named(member: User) -> None:
    client = Client()
    client.force_login(member)

    response = change(client, "wrong password", NEW_PASSWORD)

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["old_password"]
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_change_weak_new_password_named(member: User) -> None:
    client = Client()
    client.force_login(member)

    response = change(client, PASSWORD, "12345678")

    assert response.status_code == 422
    assert "new_password2" in response.context["form"].errors


def test_change_old_password_guesses_locked(member: User) -> None:
    client = Client()
    client.force_login(member)
    for _ in range(5):
        change(client, "wrong password", NEW_PASSWORD)

    response = change(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-in attempts" in body_text(response)
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_change_then_login_with_new_password(member: User) -> None:
    client = Client()
    client.force_login(member)
    change(client, PASSWORD, NEW_PASSWORD)

    assert log_in(Client(), "member@example.com", NEW_PASSWORD).status_code == 302
    assert log_in(Client(), "member@example.com", PASSWORD).status_code == 422


def test_change_needs_login(db: None) -> None:
    response = Client().get("/accounts/password/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/"
