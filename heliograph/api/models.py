"""Bearer tokens for the management API."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from heliograph.domain.models import Page
from heliograph.domain.validation import check_label

TOKEN_PREFIX = "hg_"  # noqa: S105 (a prefix, not a secret)


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest stored in place of a token.

    Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    """
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of one user, limited to some pages and to reading or writing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the token, shown in lists so a person can tell tokens apart.
    hint = models.CharField(max_length=12)
    pages = models.ManyToManyField(Page, related_name="api_tokens")
    can_write = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.hint}…"

    @classmethod
    def issue(
        cls, user: models.Model, pages: list[Page], *, can_write: bool, name: str = ""
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its raw value, which is not stored anywhere."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=check_label(name),
            token_hash=hash_token(raw),
            hint=raw[:10],
            can_write=can_write,
        )
        token.pages.set(pages)
        return token, raw
