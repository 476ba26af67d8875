"""The outbox: one `Delivery` per channel and recipient of a notice, and its attempts."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from heliograph.domain.models import (
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The recipient went away (an unsubscribed address) before the delivery was sent.
    CANCELLED = "cancelled", "Cancelled"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed, given up"
    CANCELLED = "cancelled", "Cancelled, recipient gone"


class Delivery(models.Model):
    """One message to one recipient on one channel, recorded with the change that causes it.

    The worker claims a delivery by setting `status` to sending with a lease (`lease_until`,
    `claim_token`). A claim whose lease has expired belongs to a worker that died, so another
    worker takes it again.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=32)
    # The channel's own identifier of the recipient (for e-mail, the subscriber's id).
    recipient = models.CharField(max_length=255)
    # How the console shows the recipient (an e-mail address, a URL), as it was when recorded.
    recipient_label = models.CharField(max_length=320, blank=True)
    # Unique per (event, channel, recipient), so recording the same notice twice adds nothing.
    idempotency_key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=32)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    incident_event = models.ForeignKey(
        IncidentEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    maintenance = models.ForeignKey(
        Maintenance, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    maintenance_event = models.ForeignKey(
        MaintenanceEvent, on_delete=models.CASCADE, null=True, blank=True,
        related_name="deliveries",
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # After this time a failed attempt is not retried and the delivery is marked failed.
    give_up_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_due"),
            models.Index(fields=["page", "status", "-created_at"], name="delivery_page_status"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class Attempt(models.Model):
    """One try at sending a delivery: when, how it ended, the error, and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["started_at", "id"]


class Subscriber(models.Model):
    """An e-mail address that receives a page's notices, for all its services or chosen ones.

    A visitor's subscription counts once the link sent to the address is followed
    (`confirmed_at`). `token` is the secret in the confirmation, manage and unsubscribe links.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField(max_length=254)
    all_services = models.BooleanField(default=True)
    services = models.ManyToManyField(Service, blank=True, related_name="subscribers")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "page", name="subscriber_unique_email")
        ]

    def __str__(self) -> str:
        return self.email


class WebhookFlavour(models.TextChoices):
    JSON = "json", "Heliograph JSON, signed"
    SLACK = "slack", "Slack incoming webhook"
    DISCORD = "discord", "Discord webhook"


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_hex(32)}"


class WebhookSubscriber(models.Model):
    """A URL that receives a page's notices as HTTP POST requests, in one of three body formats.

    `secret` signs the JSON flavour's requests; the API and console show it once, when the
    subscriber is added. After `DISABLE_AFTER` permanent failures in a row the subscriber is
    disabled (`disabled_at`, `disabled_reason`) and receives nothing until it is added again.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="webhook_subscribers")
    url = models.URLField(max_length=2000)
    flavour = models.CharField(max_length=16, choices=WebhookFlavour.choices,
                               default=WebhookFlavour.JSON)
    all_services = models.BooleanField(default=True)
    services = models.ManyToManyField(Service, blank=True, related_name="webhook_subscribers")
    secret = models.CharField(max_length=80, default=new_webhook_secret)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_failure = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url
