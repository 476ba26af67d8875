"""Linked X and Mastodon accounts of a page, and the posts sent to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from heliograph.accounts.sealing import seal, unseal
from heliograph.domain.models import Page
from heliograph.notifications.models import Delivery


class Network(models.TextChoices):
    X = "x", "X"
    MASTODON = "mastodon", "Mastodon"


class SocialAccount(models.Model):
    """One linked account of a page on one network, with its tokens sealed under SECRET_KEY.

    On X the page's user access token and secret (OAuth 1.0a) are stored, and the application
    keys come from the environment. An X account with no secret holds an OAuth 2.0 user token.
    On Mastodon the instance URL and an access token with the `write:statuses` scope are stored.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="social_accounts")
    network = models.CharField(max_length=16, choices=Network.choices)
    # The Mastodon instance, as https://host; empty for X.
    instance_url = models.URLField(max_length=200, blank=True)
    # The account's name as the console shows it (@name, or @name@host).
    handle = models.CharField(max_length=200, blank=True)
    sealed_token = models.TextField()
    sealed_secret = models.TextField(blank=True)
    # The instance's post length limit, read when the account is linked (Mastodon only).
    max_characters = models.PositiveIntegerField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    # Minutes before a scheduled maintenance starts to post a reminder; None posts none.
    reminder_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "network"], name="social_account_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.page.slug} {self.network} {self.handle}"

    @property
    def token(self) -> str:
        return unseal(self.sealed_token)

    @property
    def secret(self) -> str:
        return unseal(self.sealed_secret) if self.sealed_secret else ""

    def set_tokens(self, token: str, secret: str = "") -> None:
        self.sealed_token = seal(token)
        self.sealed_secret = seal(secret) if secret else ""


class SocialPost(models.Model):
    """The text of one post delivery, as the editor left it, and the network's id once posted."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="social_post")
    text = models.TextField()
    # The id the network gave the post; empty until posted, and for a duplicate X refused.
    post_id = models.CharField(max_length=64, blank=True)
    post_url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.delivery.idempotency_key} {self.post_id}"


class MastodonApp(models.Model):
    """Heliograph's OAuth application on one Mastodon instance, registered on first use.

    An instance accepts only the redirect URI given at registration, so a change of
    HELIOGRAPH_BASE_URL registers a new application.
    """

    instance_url = models.URLField(max_length=200)
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=500)
    sealed_client_secret = models.TextField()
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance_url", "redirect_uri"],
                                    name="mastodon_app_per_instance_and_redirect")
        ]

    def __str__(self) -> str:
        return f"{self.instance_url} {self.client_id}"

    @property
    def client_secret(self) -> str:
        return unseal(self.sealed_client_secret)
