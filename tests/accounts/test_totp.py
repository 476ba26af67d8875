"""TOTP codes and recovery codes: drift, replay, single use, storage."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import time_machine

from heliograph.accounts import two_factor
from heliograph.accounts.models import RecoveryCode, TOTPDevice, User
from tests.accounts.support import code_at, turn_on_two_factor


def test_code_accepted_for_current_step(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(seconds=two_factor.STEP_SECONDS))
    device = two_factor.confirmed_device(member)
    assert device is not None

    assert two_factor.use_totp_code(device, code_at(secret))


def test_code_accepted_one_step_either_side(member: User,
                                            clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    device = two_factor.confirmed_device(member)
    assert device is not None

    assert two_factor.use_totp_code(device, code_at(secret, -1))
    assert two_factor.use_totp_code(device, code_at(secret, 0))
    assert two_factor.use_totp_code(device, code_at(secret, +1))


def test_code_two_steps_away_rejected(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    device = two_factor.confirmed_device(member)
    assert device is not None

    assert not two_factor.use_totp_code(device, code_at(secret, -2))
    assert not two_factor.use_totp_code(device, code_at(secret, +2))


def test_code_replay_rejected(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    device = two_factor.confirmed_device(member)
    assert device is not None
    code = code_at(secret)
    assert two_factor.use_totp_code(device, code)

    clock.shift(dt.timedelta(seconds=two_factor.STEP_SECONDS))

    assert not two_factor.use_totp_code(device, code)


def test_earlier_step_rejected_after_later_used(member: User,
                                                clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    device = two_factor.confirmed_device(member)
    assert device is not None
    assert two_factor.use_totp_code(device, code_at(secret, +1))

    assert not two_factor.use_totp_code(device, code_at(secret, 0))


def test_replay_rejected_from_stale_device_row(member: User,
                                               clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    first = TOTPDevice.objects.get(user=member)
    second = TOTPDevice.objects.get(user=member)
    code = code_at(secret)

    assert two_factor.use_totp_code(first, code)
    assert not two_factor.use_totp_code(second, code)


def test_code_with_spaces_accepted(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=5))
    code = code_at(secret)

    assert two_factor.check_code(member, f" {code[:3]} {code[3:]} ").accepted


def test_recovery_code_single_use(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)

    first = two_factor.check_code(member, codes[0])
    second = two_factor.check_code(member, codes[0])

    assert first.accepted and first.recovery
    assert not second.accepted
    assert two_factor.unused_recovery_codes(member) == two_factor.RECOVERY_CODE_COUNT - 1


def test_recovery_code_format_forgiving(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)

    assert two_factor.check_code(member, codes[1].upper().replace("-", " ")).accepted


def test_recovery_codes_stored_hashed(member: User, clock: time_machine.Traveller) -> None:
    _secret, codes = turn_on_two_factor(member)

    stored = set(RecoveryCode.objects.filter(user=member).values_list("code_hash", flat=True))

    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == len(set(codes))
    assert stored == {two_factor._digest(code) for code in codes}
    assert not any(code.replace("-", "") in value for code in codes for value in stored)
    expected = hashlib.sha256(codes[0].replace("-", "").upper().encode()).hexdigest()
    assert expected in stored


def test_recovery_code_of_other_user_rejected(member: User,
                                              clock: time_machine.Traveller) -> None:
    other = User.objects.create_user("other@example.com", "another pass 981")
    _secret, codes = turn_on_two_factor(member)
    turn_on_two_factor(other)

    assert not two_factor.check_code(other, codes[0]).accepted


def test_secret_stored_sealed(member: User, clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)

    sealed = TOTPDevice.objects.get(user=member).sealed_secret

    assert secret not in sealed
    assert sealed.startswith("v1$")


def test_check_without_device_rejected(member: User) -> None:
    assert not two_factor.check_code(member, "123456").accepted


def test_qr_svg_encodes_provisioning_uri(member: User) -> None:
    device = two_factor.start_setup(member)

    uri = two_factor.provisioning_uri(device)
    svg = two_factor.qr_svg(uri)

    assert uri.startswith("otpauth://totp/Heliograph:member%40example.com?secret=")
    assert "issuer=Heliograph" in uri
    assert svg.startswith("<svg")
    assert "member@example.com" not in svg


def test_unopenable_secret_rejects_code(member: User, settings: Any,
                                        clock: time_machine.Traveller) -> None:
    secret, codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    settings.SECRET_KEY = "a-new-key-that-is-long-enough-for-django-0123456789"

    assert not two_factor.check_code(member, code_at(secret)).accepted
    assert two_factor.check_code(member, codes[0]).accepted


def test_setup_replaces_unopenable_secret(member: User, settings: Any) -> None:
    first = two_factor.start_setup(member)
    settings.SECRET_KEY = "a-new-key-that-is-long-enough-for-django-0123456789"

    second = two_factor.start_setup(member)

    assert second.pk == first.pk
    assert second.sealed_secret != first.sealed_secret
    assert len(two_factor.secret_of(second)) == 32


def test_code_reseals_secret_under_new_key(member: User, settings: Any,
                                           clock: time_machine.Traveller) -> None:
    secret, _codes = turn_on_two_factor(member)
    clock.shift(dt.timedelta(minutes=1))
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-that-is-long-enough-for-django-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert two_factor.check_code(member, code_at(secret)).accepted

    settings.SECRET_KEY_FALLBACKS = []
    device = TOTPDevice.objects.get(user=member)
    assert two_factor.secret_of(device) == secret
