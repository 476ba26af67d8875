"""The second login step: a TOTP code or a recovery code after the password."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client

from heliograph.accounts.models import User
from tests.accounts.support import PASSWORD, body_text, code_at, log_in, turn_on_two_factor


def password_step(member: User, next_url: str = "") -> Client:
    client = Client()
    response = log_in(client, "member@example.com", next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    return client


def test_password_alone_does_not_log_in(member: User, clock: time_machine.Traveller) -> None:
    turn_on_two_factor(member)

    client = password_step(member)

    assert SESSION_KEY not in client.session
    assert client.get("/accounts/").status_code == 302


def test_code_completes_login(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    client = password_step(member)

    response = client.post("/accounts/login/code/", {"code": code_at(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.session[SESSION_KEY] == str(member.pk)


def test_code_step_keeps_safe_next(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    client = password_step(member, next_url="/console/pages/acme/")

    response = client.post("/accounts/login/code/", {"code": code_at(secret)})

    assert response["Location"] == "/console/pages/acme/"


def test_code_step_wrong_code_names_field(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    client = password_step(member)
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/login/code/", {"code": wrong})

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["code"]
    assert f'value="{wrong}"' in body_text(response)
    assert SESSION_KEY not in client.session


def test_code_replay_rejected_at_login(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    code = code_at(secret)
    first = password_step(member)
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302

    second = password_step(member)
    response = second.post("/accounts/login/code/", {"code": code})

    assert response.status_code == 422
    assert "already used" in body_text(response)
    assert SESSION_KEY not in second.session


def test_recovery_code_logs_in_once(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)
    first = password_step(member)

    response = first.post("/accounts/login/code/", {"code": codes[3]}, follow=True)

    assert first.session[SESSION_KEY] == str(member.pk)
    assert "You used a recovery code; 9 of them are left." in body_text(response)
    second = password_step(member)
    assert second.post("/accounts/login/code/", {"code": codes[3]}).status_code == 422
    assert SESSION_KEY not in second.session


def test_code_step_without_password_redirects(db: None) -> None:
    response = Client().get("/accounts/login/code/", follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "Your log-in has expired" in body_text(response)


def test_code_step_expires(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    client = password_step(member)
    clock.shift(dt.timedelta(minutes=6))

    response = client.post("/accounts/login/code/", {"code": code_at(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_code_step_ends_when_password_changes(member: User,
                                              clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    client = password_step(member)
    member.set_password("a different pass 31")
    member.save()

    response = client.post("/accounts/login/code/", {"code": code_at(secret)})

    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_code_guesses_lock_account(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    client = password_step(member)
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post("/accounts/login/code/", {"code": wrong})

    response = client.post("/accounts/login/code/", {"code": code_at(secret)})

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert log_in(Client(), "member@example.com", PASSWORD).status_code == 429
