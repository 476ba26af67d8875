"""Logging out: only a POST ends the session."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.test import Client

from heliograph.accounts.models import User
from tests.accounts.support import body_text


def test_logout_get_asks_to_confirm(client: Client, member: User) -> None:
    client.force_login(member)

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert 'method="post"' in body_text(response)
    assert SESSION_KEY in client.session


def test_logout_post_ends_session(client: Client, member: User) -> None:
    client.force_login(member)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert client.get("/accounts/").status_code == 302


def test_logout_get_anonymous_redirects(client: Client, db: None) -> None:
    response = client.get("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_logout_confirmed_by_message(client: Client, member: User) -> None:
    client.force_login(member)

    response = client.post("/accounts/logout/", follow=True)

    assert "You are logged out." in body_text(response)
