"""Signed, expiring tokens of the e-mail verification links.

A token names the user, the path to open after verification (checked again when the link
is used), and a digest of the account's state (password hash, address, activity and
verification time). Signing a new password at a second sign-up, or verifying
the address, changes that state, so every earlier link stops working.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from heliograph.accounts.models import User

SALT = "heliograph.accounts.verify-email"
MAX_AGE = dt.timedelta(days=3)


class InvalidLink(Exception):
    """A verification link that cannot be used; `expired` is True when it is too old."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class Verification:
    user: User
    next_path: str


def make_verification_token(user: User, next_path: str = "") -> str:
    return signing.dumps({"user": user.pk, "state": _state(user), "next": next_path}, salt=SALT)


def read_verification_token(token: str) -> Verification:
    """Return the pending sign-up that `token` verifies, or raise InvalidLink."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink(expired=True) from None
    except signing.BadSignature:
        raise InvalidLink(expired=False) from None

    user = User.objects.filter(pk=payload.get("user")).first()
    state = str(payload.get("state", ""))
    if user is None or not user.awaits_verification:
        raise InvalidLink(expired=False)
    if not constant_time_compare(state, _state(user)):
        raise InvalidLink(expired=False)
    return Verification(user, str(payload.get("next") or ""))


def _state(user: User) -> str:
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    value = f"{user.password}|{user.email}|{user.is_active}|{verified}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:32]
