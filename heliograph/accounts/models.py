"""Users, their optional TOTP second factor, and its recovery codes.

A user who signs up through the form starts inactive (`is_active=False`) and becomes active
when they follow the verification link, which also sets `email_verified_at`. Users created
by an operator (`heliograph-admin createuser`, the demo) are active from the start, so they
can log in before they verify their address.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    """A person who signs in with an e-mail address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.email

    @property
    def awaits_verification(self) -> bool:
        """Whether the user signed up and has not followed the verification link yet."""
        return not self.is_active and self.email_verified_at is None


class TOTPDevice(models.Model):
    """A user's authenticator app: its shared secret, sealed with a key from SECRET_KEY.

    The secret cannot be hashed, because checking a code needs the secret itself. It is
    encrypted (see `heliograph.accounts.sealing`) so that a copy of the database alone does not
    let anyone generate codes. A device without `confirmed_at` is being set up: the user has
    seen the secret but has not yet entered a code from it, and login does not ask for codes.
    """

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="totp_device"
    )
    sealed_secret = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The highest 30-second time step whose code was accepted. A code is accepted only for a
    # later step, so an observed code cannot be used again.
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP device of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code that replaces a TOTP code, stored as the SHA-256 of its text."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"
