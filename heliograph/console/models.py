"""Records the console keeps for itself, apart from the domain's data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from heliograph.domain.models import Role


class FormSubmission(models.Model):
    """One accepted submission of a console form, to recognise the same POST sent again.

    A form carries a one-time token; a submission is the token together with a digest of the
    submitted fields. A double click or a browser's resend repeats both and hits the unique
    constraint, while the same stale form sent again with other input is a new submission.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    # Where the first submission led, so that a repeat is sent to the same place.
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "digest"], name="form_submission_unique")
        ]


class Invitation(models.Model):
    """An offer, sent by e-mail, to join a page with a role.

    The link in the e-mail is signed and names the invitation and its `nonce`. A new
    invitation to the same address revokes the open one, so only the latest link works.
    """

    page = models.ForeignKey("domain.Page", on_delete=models.CASCADE, related_name="invitations")
    # Stored in lower case; accepting needs an account with this address.
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=Role.choices)
    nonce = models.CharField(max_length=32)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role}) on {self.page_id}"

    @property
    def is_open(self) -> bool:
        """Return whether the invitation is neither accepted nor revoked (it may have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
