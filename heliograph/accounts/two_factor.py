"""TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps) and recovery codes.

A code is accepted for the current step and one step either side, to allow for clocks that
drift by up to 30 seconds. Accepting a code records its step, and only codes of later steps
are accepted afterwards, so a code seen over someone's shoulder cannot be used again.

Recovery codes are 80 random bits each. They are stored as their SHA-256 digest: a slow
password hash would add nothing against guessing at that length, and a plain digest lets a
login find the code with one indexed query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from heliograph.accounts.models import RecoveryCode, TOTPDevice, User
from heliograph.accounts.sealing import UnsealError, seal, sealed_with_current_key, unseal

logger = logging.getLogger(__name__)

STEP_SECONDS = 30
DIGITS = 6
ALLOWED_DRIFT_STEPS = 1
ISSUER = "Heliograph"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10

TOTP_PATTERN = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Check:
    """The outcome of checking a code: accepted or not, and whether it was a recovery code."""

    accepted: bool
    recovery: bool = False


def normalise_code(raw: str) -> str:
    """Strip the spaces and hyphens people copy along with a code; upper-case the letters."""
    return re.sub(r"[\s-]", "", raw).upper()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_setup(user: User) -> TOTPDevice:
    """Return the user's device, creating one with a new secret if needed.

    An unconfirmed device whose secret no longer opens (SECRET_KEY changed) gets a new
    secret, because the user has not yet confirmed the old one with a code.
    """
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        return TOTPDevice.objects.create(user=user, sealed_secret=seal(pyotp.random_base32()))
    if device.confirmed_at is None:
        try:
            unseal(device.sealed_secret)
        except UnsealError:
            device.sealed_secret = seal(pyotp.random_base32())
            device.save(update_fields=["sealed_secret"])
    return device


def secret_of(device: TOTPDevice) -> str:
    return unseal(device.sealed_secret)


def provisioning_uri(device: TOTPDevice) -> str:
    """Return the otpauth:// URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret_of(device), digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=device.user.email, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """Render `uri` as an inline SVG QR code, black on white so it scans in dark mode too."""
    code = segno.make(uri, error="m", micro=False)
    return str(code.svg_inline(scale=4, dark="#000000", light="#ffffff", border=4,
                               title="QR code for your authenticator app"))


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the time step, within the allowed drift, whose code is `code`, or None."""
    if not TOTP_PATTERN.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    for candidate in range(step - ALLOWED_DRIFT_STEPS, step + ALLOWED_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def use_totp_code(device: TOTPDevice, code: str) -> bool:
    """Accept `code` once: return False if it is wrong or its step was already used.

    A secret that only a SECRET_KEY_FALLBACKS key opens is sealed again under SECRET_KEY
    when its code is accepted, so the fallback can be removed once every user logged in.
    """
    secret = secret_of(device)
    step = matching_step(secret, normalise_code(code))
    if step is None:
        return False
    fields: dict[str, object] = {"last_used_step": step}
    if not sealed_with_current_key(device.sealed_secret):
        fields["sealed_secret"] = seal(secret)
    # The conditional update is atomic, so two requests with one code cannot both pass.
    updated = TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(**fields)
    if updated:
        device.last_used_step = step
        device.sealed_secret = str(fields.get("sealed_secret", device.sealed_secret))
    return updated == 1


def confirm_setup(device: TOTPDevice, code: str) -> list[str] | None:
    """Turn the device on if `code` is right; return the new recovery codes, or None."""
    with transaction.atomic():
        if not use_totp_code(device, code):
            return None
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        return issue_recovery_codes(device.user)


def disable(user: User) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; return them, as shown to the user."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_digest(code)) for code in codes
        )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; return False if `code` is not one."""
    updated = RecoveryCode.objects.filter(
        user=user, code_hash=_digest(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return updated == 1


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def check_code(user: User, raw: str) -> Check:
    """Check a TOTP code (6 digits) or, for anything else, a recovery code."""
    device = confirmed_device(user)
    if device is None:
        return Check(accepted=False)
    code = normalise_code(raw)
    if not TOTP_PATTERN.fullmatch(code):
        return Check(accepted=use_recovery_code(user, code), recovery=True)
    try:
        return Check(accepted=use_totp_code(device, code))
    except UnsealError as error:
        # Only recovery codes can log this user in until they set up the app again.
        logger.error("TOTP secret of user %s cannot be opened: %s", user.pk, error)
        return Check(accepted=False)


def format_secret(secret: str) -> str:
    """Group a base32 secret in fours, the way people type it into an app."""
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def _new_recovery_code() -> str:
    text = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
    return "-".join(text[index:index + 4] for index in range(0, len(text), 4))


def _digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()
