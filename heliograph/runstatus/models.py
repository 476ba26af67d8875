"""Runstatus API credentials, and the signatures of recent writes kept to reject replays."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from heliograph.accounts.sealing import seal, unseal
from heliograph.domain.models import Page
from heliograph.domain.validation import check_label

KEY_PREFIX = "hgrs_"


class Credential(models.Model):
    """A key and secret pair of one user, which signs requests to the Runstatus API.

    The key names the credential in every request; the secret keys the HMAC of each request.
    The server must recompute that HMAC, so the secret is stored sealed under SECRET_KEY
    (`heliograph.accounts.sealing`) instead of hashed.

    With `all_pages`, the credential manages every page on which its user is an editor or an
    owner. Without it, only the pages in `pages`, and an empty `pages` then manages nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runstatus_credentials"
    )
    name = models.CharField(max_length=100, blank=True)
    key = models.CharField(max_length=64, unique=True)
    sealed_secret = models.TextField()
    all_pages = models.BooleanField(default=True)
    pages = models.ManyToManyField(Page, blank=True, related_name="runstatus_credentials")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key

    @classmethod
    def issue(
        cls, user: Any, pages: list[Page] | None, *, name: str = ""
    ) -> tuple[Credential, str]:
        """Create a credential and return it with its secret, which is shown only this once.

        `pages` None manages all the user's pages; a list restricts the credential to it.
        """
        secret = secrets.token_urlsafe(32)
        credential = cls.objects.create(
            user=user,
            name=check_label(name),
            key=KEY_PREFIX + secrets.token_hex(12),
            sealed_secret=seal(secret),
            all_pages=pages is None,
        )
        if pages:
            credential.pages.set(pages)
        return credential, secret

    def secret(self) -> str:
        """Return the secret in clear; raise `UnsealError` when no configured key opens it."""
        return unseal(self.sealed_secret)


class SeenSignature(models.Model):
    """The signature of a write request, kept while its date is inside the allowed skew.

    A request that arrives again with the same signature before `expires_at` is a replay.
    """

    signature = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
