"""Turning two-factor authentication on and off, and replacing recovery codes, in the views."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import time_machine
from django.test import Client

from heliograph.accounts import two_factor
from heliograph.accounts.models import RecoveryCode, TOTPDevice, User
from tests.accounts.support import PASSWORD, body_text, code_at, turn_on_two_factor

CODE_PATTERN = re.compile(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown_secret(response: Any) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body_text(response))
    assert match, "secret not shown"
    return match.group(1).replace(" ", "")


def test_enable_shows_secret_and_qr(member: User, clock: time_machine.Traveller) -> None:
    response = signed_in(member).get("/accounts/two-factor/enable/")

    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=member)
    assert device.confirmed_at is None
    assert shown_secret(response) == two_factor.secret_of(device)
    assert "<svg" in body_text(response)
    assert "<title>QR code for your authenticator app</title>" in body_text(response)


def test_enable_keeps_secret_between_visits(member: User,
                                            clock: time_machine.Traveller) -> None:
    client = signed_in(member)

    first = shown_secret(client.get("/accounts/two-factor/enable/"))
    second = shown_secret(client.get("/accounts/two-factor/enable/"))

    assert first == second


def test_enable_confirm_shows_codes_once(member: User, clock: time_machine.Traveller) -> None:
    client = signed_in(member)
    secret = shown_secret(client.get("/accounts/two-factor/enable/"))

    response = client.post("/accounts/two-factor/enable/", {"code": code_at(secret)})

    assert response.status_code == 200
    codes = CODE_PATTERN.findall(body_text(response))
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert "no-store" in response["Cache-Control"]
    assert two_factor.confirmed_device(member) is not None
    for code in codes:
        assert RecoveryCode.objects.filter(code_hash=two_factor._digest(code)).exists()


def test_enable_wrong_code_names_field(member: User, clock: time_machine.Traveller) -> None:
    client = signed_in(member)
    secret = shown_secret(client.get("/accounts/two-factor/enable/"))
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/two-factor/enable/", {"code": wrong})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["code"]
    assert f'value="{wrong}"' in body_text(response)
    assert shown_secret(response) == secret
    assert two_factor.confirmed_device(member) is None


def test_enable_when_on_redirects(member: User, clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    response = signed_in(member).get("/accounts/two-factor/enable/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_disable_with_password(member: User, clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    response = signed_in(member).post("/accounts/two-factor/disable/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not RecoveryCode.objects.filter(user=member).exists()


def test_disable_with_current_code(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))

    response = signed_in(member).post("/accounts/two-factor/disable/",
                                      {"code": code_at(secret)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_disable_wrong_password_keeps_device(member: User,
                                             clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    response = signed_in(member).post("/accounts/two-factor/disable/",
                                      {"password": "wrong password"})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["password"]
    assert two_factor.confirmed_device(member) is not None


def test_disable_replayed_code_rejected(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)

    response = signed_in(member).post("/accounts/two-factor/disable/",
                                      {"code": code_at(secret)})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["code"]
    assert two_factor.confirmed_device(member) is not None


def test_disable_empty_form_names_field(member: User, clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    response = signed_in(member).post("/accounts/two-factor/disable/", {})

    assert response.status_code == 422
    assert "Enter your password, or a code" in body_text(response)


def test_disable_wrong_passwords_count_toward_lock(member: User,
                                                   clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)
    client = signed_in(member)
    for _ in range(5):
        client.post("/accounts/two-factor/disable/", {"password": "wrong password"})

    response = client.post("/accounts/two-factor/disable/", {"password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed log-in attempts for this account" in body_text(response)
    assert two_factor.confirmed_device(member) is not None


def test_regenerate_replaces_codes(member: User, clock: time_machine.Traveller) -> None:
    _secret, old_codes = turn_on_two_factor(member)

    response = signed_in(member).post("/accounts/two-factor/recovery-codes/",
                                      {"password": PASSWORD})

    new_codes = CODE_PATTERN.findall(body_text(response))
    assert response.status_code == 200
    assert len(new_codes) == two_factor.RECOVERY_CODE_COUNT
    assert not set(new_codes) & set(old_codes)
    assert not two_factor.check_code(member, old_codes[0]).accepted
    assert two_factor.check_code(member, new_codes[0]).accepted


def test_regenerate_page_counts_unused(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)
    two_factor.check_code(member, codes[0])

    response = signed_in(member).get("/accounts/two-factor/recovery-codes/")

    assert "You have 9 unused recovery codes" in body_text(response)


def test_regenerate_without_two_factor_redirects(member: User) -> None:
    response = signed_in(member).get("/accounts/two-factor/recovery-codes/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_two_factor_pages_need_login(db: None) -> None:
    for path in ("/accounts/two-factor/enable/", "/accounts/two-factor/disable/",
                 "/accounts/two-factor/recovery-codes/"):
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
