"""The `x` and `mastodon` notification channels: one post per event on the page's account.

Each channel has one recipient per notice, the page's linked account, and only for incident
events and newly scheduled maintenances. Reminders before a maintenance starts are recorded
by `heliograph.social.reminders`, not from a notice. The text is the one the editor left in the form
(a `SocialPost` made with the event), or else the composed proposal.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import urllib.parse
from collections.abc import Iterable
from typing import Any

import httpx
import requests
import tweepy
from django.utils import timezone
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from requests.adapters import HTTPAdapter

from heliograph.lib import outbound
from heliograph.notifications.channels import (
    Cancelled,
    Kind,
    Notice,
    PermanentFailure,
    Recipient,
    TemporaryFailure,
)
from heliograph.notifications.models import Delivery
from heliograph.social import proposals, reminders
from heliograph.social.models import Network, SocialAccount, SocialPost

logger = logging.getLogger(__name__)

# Seconds each request to X or Mastodon may take before the attempt fails as temporary.
REQUEST_TIMEOUT = 30
X_API_KEY = "HELIOGRAPH_X_API_KEY"
X_API_SECRET = "HELIOGRAPH_X_API_SECRET"  # noqa: S105 - the variable's name, not a secret
# The kinds of notice that are posted. Maintenance events are not.
POSTED_KINDS = (Kind.INCIDENT_EVENT, Kind.MAINTENANCE_SCHEDULED)


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that bounds each request, because tweepy passes no timeout to requests."""

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = REQUEST_TIMEOUT
        return super().send(request, **kwargs)


class _AccountChannel:
    name: str
    network: str

    def __init__(self) -> None:
        # Adapters mounted on each client's `requests` session by URL prefix, after the timeout
        # adapter. Tests use them to point a client at a local server.
        self.adapters: dict[str, HTTPAdapter] = {}

    def recipients(self, notice: Notice) -> Iterable[Recipient]:
        if notice.kind not in POSTED_KINDS:
            return []
        account = SocialAccount.objects.filter(page=notice.page, network=self.network).first()
        if account is None:
            return []
        return [Recipient(str(account.pk), f"{Network(self.network).label} {account.handle}")]

    def session(self) -> requests.Session:
        """Return a `requests` session with the timeout adapter and the mounted adapters."""
        session = requests.Session()
        session.mount("https://", _TimeoutAdapter())
        session.mount("http://", _TimeoutAdapter())
        for prefix, adapter in self.adapters.items():
            session.mount(prefix, adapter)
        return session

    def _prepare(self, delivery: Delivery) -> tuple[SocialAccount, SocialPost]:
        """Return the linked account and the post of `delivery`, making the post if missing."""
        account = SocialAccount.objects.filter(
            pk=int(delivery.recipient), page_id=delivery.page_id, network=self.network
        ).first()
        if account is None:
            raise Cancelled(f"the {Network(self.network).label} account was unlinked")
        if delivery.kind == Kind.MAINTENANCE_REMINDER:
            reminders.check_still_due(delivery)
        post = SocialPost.objects.filter(delivery=delivery).first()
        if post is None:
            try:
                text = proposals.propose_for_delivery(delivery, proposals.network_rules(account))
            except ValueError as error:
                raise PermanentFailure(str(error)) from error
            post = SocialPost.objects.create(delivery=delivery, text=text)
        if post.posted_at is not None:
            # An earlier attempt posted it and stored the id, then its worker stopped.
            raise _AlreadyPosted
        return account, post

    def _store(self, post: SocialPost, post_id: str, url: str) -> None:
        post.post_id, post.post_url, post.posted_at = post_id, url[:500], timezone.now()
        post.save(update_fields=["post_id", "post_url", "posted_at"])


class _AlreadyPosted(Exception):
    pass


class XChannel(_AccountChannel):
    name = "x"
    network = Network.X

    def client(self, account: SocialAccount) -> tuple[tweepy.Client, bool]:
        """Return a tweepy client for `account`, and whether it signs with OAuth 1.0a."""
        if account.secret:
            key, secret = os.environ.get(X_API_KEY, ""), os.environ.get(X_API_SECRET, "")
            if not key or not secret:
                raise PermanentFailure(
                    f"{X_API_KEY} and {X_API_SECRET} must be set to post with an OAuth 1.0a "
                    "user token: set them to the X app's API key and secret"
                )
            client = tweepy.Client(consumer_key=key, consumer_secret=secret,
                                   access_token=account.token,
                                   access_token_secret=account.secret)
            user_auth = True
        else:
            # An OAuth 2.0 user access token goes in the Authorization header as a bearer token.
            client = tweepy.Client(bearer_token=account.token)
            user_auth = False
        client.session = self.session()
        return client, user_auth

    def send(self, delivery: Delivery) -> None:
        try:
            account, post = self._prepare(delivery)
        except _AlreadyPosted:
            return
        client, user_auth = self.client(account)
        try:
            response = client.create_tweet(text=post.text, user_auth=user_auth)
        except tweepy.TooManyRequests as error:
            raise TemporaryFailure(f"X rate limit: {_x_messages(error)}",
                                   retry_at=_reset_time(error.response)) from error
        except tweepy.Forbidden as error:
            if any("duplicate" in message.lower() for message in error.api_messages):
                # X rejects a text the account already posted. That happens when an earlier
                # attempt was posted but its worker stopped before storing the id, so the post
                # is on the timeline and the delivery counts as sent, with no id.
                logger.warning("X rejected delivery %s as duplicate content, so it counts as "
                               "posted", delivery.pk)
                self._store(post, "", "")
                return
            raise PermanentFailure(f"X rejected the post (403): {_x_messages(error)}") from error
        except (tweepy.BadRequest, tweepy.Unauthorized, tweepy.NotFound) as error:
            raise PermanentFailure(
                f"X rejected the post ({error.response.status_code}): {_x_messages(error)}"
            ) from error
        except tweepy.TwitterServerError as error:
            raise TemporaryFailure(
                f"X failed ({error.response.status_code}): {_x_messages(error)}"
            ) from error
        except tweepy.HTTPException as error:
            raise PermanentFailure(
                f"X rejected the post ({error.response.status_code}): {_x_messages(error)}"
            ) from error
        data = response.data if isinstance(response, tweepy.Response) else None
        post_id = str((data or {}).get("id", ""))
        url = f"https://x.com/i/web/status/{post_id}" if post_id else ""
        self._store(post, post_id, url)


def _x_messages(error: tweepy.HTTPException) -> str:
    return "; ".join(error.api_messages) or error.response.reason or "no details"


def _reset_time(response: requests.Response | None) -> dt.datetime | None:
    """Return the time in a rate limit reset header, given in seconds since the epoch."""
    if response is None:
        return None
    value = response.headers.get("x-rate-limit-reset", "")
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


class MastodonChannel(_AccountChannel):
    name = "mastodon"
    network = Network.MASTODON

    def client(self, account: SocialAccount) -> Mastodon:
        return Mastodon(access_token=account.token, api_base_url=account.instance_url,
                        request_timeout=REQUEST_TIMEOUT, ratelimit_method="throw",
                        version_check_mode="none", session=self.session())

    def send(self, delivery: Delivery) -> None:
        try:
            account, post = self._prepare(delivery)
        except _AlreadyPosted:
            return
        vet_instance(account.instance_url)
        client = self.client(account)
        try:
            # The instance returns the status it already made for a repeated idempotency key,
            # so a retry after a lost response does not post twice.
            status = client.status_post(post.text, visibility="public",
                                        idempotency_key=delivery.idempotency_key)
        except MastodonRatelimitError as error:
            reset = getattr(client, "ratelimit_reset", None)
            retry_at = (dt.datetime.fromtimestamp(reset, tz=dt.UTC)
                        if isinstance(reset, int | float) else None)
            raise TemporaryFailure(f"Mastodon rate limit: {error}", retry_at=retry_at) from error
        except (MastodonNetworkError, MastodonServerError) as error:
            raise TemporaryFailure(f"Mastodon failed: {error}") from error
        except (MastodonUnauthorizedError, MastodonNotFoundError) as error:
            raise PermanentFailure(f"Mastodon rejected the access token: {error}") from error
        except MastodonAPIError as error:
            raise PermanentFailure(f"Mastodon rejected the post: {error}") from error
        self._store(post, str(status.get("id", "")), str(status.get("url") or ""))


def vet_instance(instance_url: str) -> None:
    """Raise PermanentFailure when the instance's host resolves to an address the guard rejects.

    A page owner enters the instance address, so it gets the webhook URLs' address guard:
    loopback, private, link-local and metadata addresses are rejected unless
    HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS lists their network.

    NOTE: Mastodon.py resolves the host again when it connects, so a DNS answer that changes
    between the two lookups is not caught. Webhook requests connect to the vetted address.
    """
    parts = urllib.parse.urlsplit(instance_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        outbound.vet_host(parts.hostname or "", port, resolver=outbound.system_resolver,
                          allowed=outbound.allowed_networks())
    except outbound.OutboundRejected as error:
        raise PermanentFailure(f"instance address rejected: {error}") from None
    except httpx.ConnectError as error:
        raise TemporaryFailure(f"Mastodon instance not reachable: {error}") from None
