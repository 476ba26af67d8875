"""The account page: address, verification and second-factor status, and its links."""

from __future__ import annotations

import time_machine
from django.test import Client

from heliograph.accounts import two_factor
from heliograph.accounts.models import User
from tests.accounts.support import body_text, turn_on_two_factor


def account_page(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/accounts/")
    assert response.status_code == 200
    return body_text(response)


def test_account_page_needs_login(db: None) -> None:
    response = Client().get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


def test_account_page_shows_verified_address(member: User) -> None:
    text = account_page(member)

    assert "member@example.com" in text
    assert "verified 2026-06-15 12:00 UTC" in text


def test_account_page_shows_unverified_address(db: None) -> None:
    user = User.objects.create_user("operator-made@example.com", "correct horse 42")

    assert "not verified" in account_page(user)


def test_account_page_links_settings(member: User) -> None:
    text = account_page(member)

    assert 'href="/accounts/password/"' in text
    assert 'href="/accounts/two-factor/enable/"' in text
    assert 'action="/accounts/logout/"' in text


def test_account_page_two_factor_on(member: User, clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    text = account_page(member)

    assert "10 unused recovery codes" in text
    assert 'href="/accounts/two-factor/disable/"' in text
    assert 'href="/accounts/two-factor/recovery-codes/"' in text
    assert 'href="/accounts/two-factor/enable/"' not in text


def test_account_page_warns_few_codes(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)
    for code in codes[:8]:
        assert two_factor.check_code(member, code).accepted

    text = account_page(member)

    assert "2 unused recovery codes" in text
    assert "Create new ones before you run out." in text
