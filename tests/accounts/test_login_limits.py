"""Login rate limits: per account and per client address, with a window that ends."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client

from heliograph.accounts import ratelimit
from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, body_text, log_in

ACCOUNT_LIMIT = ratelimit.LOGIN_PER_ACCOUNT
ADDRESS_LIMIT = ratelimit.LOGIN_PER_ADDRESS


def fail_logins(email: str, times: int, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = log_in(Client(), email, "wrong password", REMOTE_ADDR=address)
        assert response.status_code == 422


def test_account_locked_after_failures(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count)
    client = Client()

    response = log_in(client, "member@example.com", PASSWORD, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert "Too many failed log-in attempts for this account" in body_text(response)
    assert "Try again in 15 minutes, after 12:15 UTC." in body_text(response)
    assert response["Retry-After"] == str(ACCOUNT_LIMIT.seconds)


def test_account_allows_failures_below_limit(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count - 1)

    response = log_in(Client(), "member@example.com", PASSWORD)

    assert response.status_code == 302


def test_account_lock_ends_after_window(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count)
    clock.shift(dt.timedelta(seconds=ACCOUNT_LIMIT.seconds - 1))
    assert log_in(Client(), "member@example.com").status_code == 429

    clock.shift(dt.timedelta(seconds=2))
    response = log_in(Client(), "member@example.com")

    assert response.status_code == 302


def test_account_lock_message_counts_down(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count)
    clock.shift(dt.timedelta(minutes=14))

    response = log_in(Client(), "member@example.com")

    assert "Try again in 1 minute, after 12:15 UTC." in body_text(response)


def test_account_lock_applies_to_unknown_address(db: None, clock: time_machine.Traveller) -> None:
    fail_logins("nobody@example.com", ACCOUNT_LIMIT.max_count)

    response = log_in(Client(), "nobody@example.com", "wrong password")

    assert response.status_code == 429
    assert "for this account" in body_text(response)


def test_account_lock_spares_other_accounts(member: User,
                                            clock: time_machine.Traveller) -> None:
    User.objects.create_user("other@example.com", PASSWORD)
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count)

    response = log_in(Client(), "other@example.com", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302


def test_success_clears_account_failures(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count - 1)
    assert log_in(Client(), "member@example.com").status_code == 302

    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count - 1)
    response = log_in(Client(), "member@example.com")

    assert response.status_code == 302


def test_address_locked_across_accounts(member: User, clock: time_machine.Traveller) -> None:
    for number in range(ADDRESS_LIMIT.max_count):
        fail_logins(f"guess{number}@example.com", 1, address="203.0.113.7")

    blocked = log_in(Client(), "member@example.com", REMOTE_ADDR="203.0.113.7")
    elsewhere = log_in(Client(), "member@example.com", REMOTE_ADDR="198.51.100.9")

    assert blocked.status_code == 429
    assert "from your network" in body_text(blocked)
    assert elsewhere.status_code == 302


def test_address_lock_ends_after_window(member: User, clock: time_machine.Traveller) -> None:
    for number in range(ADDRESS_LIMIT.max_count):
        fail_logins(f"guess{number}@example.com", 1, address="203.0.113.7")
    clock.shift(dt.timedelta(seconds=ADDRESS_LIMIT.seconds + 1))

    response = log_in(Client(), "member@example.com", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302


def test_address_lock_covers_ipv6_prefix(member: User, clock: time_machine.Traveller) -> None:
    for number in range(ADDRESS_LIMIT.max_count):
        fail_logins(f"guess{number}@example.com", 1, address=f"2001:db8:1:2::{number + 1:x}")

    same_prefix = log_in(Client(), "member@example.com", REMOTE_ADDR="2001:db8:1:2::ffff")
    other_prefix = log_in(Client(), "member@example.com", REMOTE_ADDR="2001:db8:1:3::1")

    assert same_prefix.status_code == 429
    assert other_prefix.status_code == 302


def test_locked_login_keeps_typed_address(member: User, clock: time_machine.Traveller) -> None:
    fail_logins("member@example.com", ACCOUNT_LIMIT.max_count)

    response = log_in(Client(), "member@example.com")

    assert 'value="member@example.com"' in body_text(response)
