"""The webhook channel: notices as HTTP POST requests to subscribers' URLs.

Every request goes through the outgoing-address guard (`heliograph.lib.outbound`). A JSON
request carries `X-Heliograph-Signature: t=UNIX_TIME,v1=HEX`, where HEX is the HMAC-SHA256 of
`UNIX_TIME.BODY` under the subscriber's secret. A 2xx reply is success. A 408, a 429, a 5xx,
a timeout or a network error is temporary, so the outbox retries it. Any other reply and a
rejected address are permanent, and `DISABLE_AFTER` permanent failures in a row disable the
subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.errors import InvalidValue
from heliograph.domain.models import Page, Service
from heliograph.lib import outbound
from heliograph.notifications import webhook_payloads
from heliograph.notifications.channels import (
    Cancelled,
    Notice,
    PermanentFailure,
    Recipient,
    TemporaryFailure,
)
from heliograph.notifications.models import Delivery, WebhookFlavour, WebhookSubscriber
from heliograph.notifications.subscribers import check_services

logger = logging.getLogger(__name__)

NAME = "webhook"
DISABLE_AFTER = 5
SIGNATURE_HEADER = "X-Heliograph-Signature"
USER_AGENT = "Heliograph-Webhook/1"
TIMEOUT = httpx.Timeout(10.0)
# Bounds on one send, redirects included: the response bytes read, and the seconds spent.
# A receiver that replies with an endless or dripping body cannot hold a worker thread or
# fill its memory. Only the start of a failed reply is kept, for the error shown.
MAX_RESPONSE_BYTES = 64 * 1024
SEND_DEADLINE_SECONDS = 30.0
_TEMPORARY_STATUSES = {408, 429}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def request_body(subscriber: WebhookSubscriber, delivery: Delivery) -> bytes:
    """Encode the body of `delivery` in the subscriber's flavour."""
    update = webhook_payloads.update_of(delivery)
    if subscriber.flavour == WebhookFlavour.SLACK:
        payload = webhook_payloads.slack_body(update)
    elif subscriber.flavour == WebhookFlavour.DISCORD:
        payload = webhook_payloads.discord_body(update)
    else:
        payload = webhook_payloads.json_body(update, delivery.idempotency_key)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookChannel:
    name = NAME

    def recipients(self, notice: Notice) -> Iterable[Recipient]:
        """Return the enabled webhook subscribers of the services that `notice` concerns."""
        subscribers = WebhookSubscriber.objects.filter(page=notice.page,
                                                       disabled_at__isnull=True)
        if notice.service_ids:
            subscribers = subscribers.filter(
                Q(all_services=True) | Q(services__in=notice.service_ids)
            ).distinct()
        return [Recipient(str(pk), url) for pk, url in
                subscribers.order_by("pk").values_list("pk", "url")]

    def send(self, delivery: Delivery) -> None:
        subscriber = WebhookSubscriber.objects.filter(
            pk=int(delivery.recipient), page_id=delivery.page_id
        ).first()
        if subscriber is None:
            raise Cancelled("the webhook subscriber was removed before the request was sent")
        if subscriber.disabled_at is not None:
            raise Cancelled(f"the webhook subscriber is disabled: {subscriber.disabled_reason}")
        body = request_body(subscriber, delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Heliograph-Event": delivery.kind,
            "X-Heliograph-Delivery": delivery.idempotency_key,
        }
        if subscriber.flavour == WebhookFlavour.JSON:
            headers[SIGNATURE_HEADER] = sign(subscriber.secret, int(time.time()), body)
        try:
            post(subscriber, body, headers)
        except PermanentFailure as failure:
            record_permanent_failure(subscriber, str(failure))
            raise
        mark_working(subscriber)

    @contextmanager
    def batch(self, deliveries: list[Delivery]) -> Iterator[None]:
        """Share one guarded client among the requests in the block.

        The guard still vets every request and redirect. The client keeps no connection
        alive between requests (see `outbound.GuardedTransport`), so sharing it saves making
        a client and its TLS context per request, not the connection.
        """
        with outbound.guarded_client(timeout=TIMEOUT) as client:
            _batches.client = client
            try:
                yield
            finally:
                _batches.client = None


# The guarded client that `WebhookChannel.batch` opened on this thread, if any.
_batches = threading.local()


class _BoundedStream(httpx.SyncByteStream):
    """A response body that ends after `MAX_RESPONSE_BYTES` and times out at `deadline`."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: float) -> None:
        self.inner = inner
        self.deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout(
                    f"the reply took longer than {SEND_DEADLINE_SECONDS:g} seconds"
                )
            chunk = chunk[:MAX_RESPONSE_BYTES - received]
            received += len(chunk)
            yield chunk
            if received >= MAX_RESPONSE_BYTES:
                return

    def close(self) -> None:
        self.inner.close()


def _bound_response(deadline: float) -> Callable[[httpx.Response], None]:
    def bound(response: httpx.Response) -> None:
        # httpx reads the body of every redirect it follows, so each response is bounded
        # here, before that read. Without Content-Encoding the bytes are not decompressed,
        # so a small compressed body cannot expand in memory.
        response.headers.pop("Content-Encoding", None)
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _BoundedStream(response.stream, deadline)
    return bound


def post(subscriber: WebhookSubscriber, body: bytes, headers: dict[str, str]) -> None:
    """POST `body` to the subscriber's URL and classify the outcome as success or failure.

    NOTE: the deadline is checked while a body is read. A receiver that sends its status
    line and headers one byte at a time, each within the 10-second read timeout, can still
    hold the request longer.
    """
    deadline = time.monotonic() + SEND_DEADLINE_SECONDS
    headers = {**headers, "Accept-Encoding": "identity"}
    hooks = {"response": [_bound_response(deadline)]}
    shared: httpx.Client | None = getattr(_batches, "client", None)
    try:
        with (nullcontext(shared) if shared is not None else
              outbound.guarded_client(timeout=TIMEOUT)) as client:
            client.event_hooks = hooks
            with client.stream("POST", subscriber.url, content=body,
                               headers=headers) as response:
                status = response.status_code
                reason_phrase = response.reason_phrase
                # The body of a success is not read: only a failure's start is shown.
                reply_text = "" if 200 <= status < 300 else response.read()[:200].decode(
                    "utf-8", "replace")
    except outbound.OutboundRejected as error:
        raise PermanentFailure(f"address rejected: {error}") from None
    except httpx.TooManyRedirects:
        raise PermanentFailure(f"more than {outbound.MAX_REDIRECTS} redirects") from None
    except httpx.UnsupportedProtocol as error:
        raise PermanentFailure(f"redirect to an unsupported URL: {error}") from None
    except httpx.HTTPError as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from None
    if 200 <= status < 300:
        return
    reply = f"HTTP {status} {reason_phrase}: {reply_text}".rstrip(": ")
    if status >= 500 or status in _TEMPORARY_STATUSES:
        raise TemporaryFailure(reply)
    raise PermanentFailure(reply)


def record_permanent_failure(subscriber: WebhookSubscriber, reason: str) -> None:
    """Count a permanent failure; the `DISABLE_AFTER`-th in a row disables the subscriber."""
    # NOTE: only permanent failures count. A receiver that times out or answers 5xx until the
    # outbox gives up after 24 hours is never disabled, and each notice keeps retrying.
    with transaction.atomic():
        WebhookSubscriber.objects.filter(pk=subscriber.pk).update(
            consecutive_failures=F("consecutive_failures") + 1, last_failure=reason[:2000]
        )
        subscriber.refresh_from_db(fields=["consecutive_failures", "disabled_at"])
        if subscriber.consecutive_failures >= DISABLE_AFTER and subscriber.disabled_at is None:
            disabled_reason = (f"Disabled after {subscriber.consecutive_failures} permanent "
                               f"failures in a row; the last one: {reason}")[:2000]
            WebhookSubscriber.objects.filter(pk=subscriber.pk).update(
                disabled_at=timezone.now(), disabled_reason=disabled_reason
            )
            logger.warning("webhook subscriber %s of page %s disabled: %s", subscriber.pk,
                           subscriber.page_id, reason)


def mark_working(subscriber: WebhookSubscriber) -> None:
    if subscriber.consecutive_failures:
        WebhookSubscriber.objects.filter(pk=subscriber.pk).update(consecutive_failures=0)


def check_url(url: str) -> str:
    """Return `url` trimmed; reject one that the guard would never send to.

    Only the URL's form is checked here. Its host is resolved and checked on every send,
    because DNS answers change.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidValue("required", "Enter the webhook URL.", field="url")
    if len(url) > 2000:
        raise InvalidValue("too_long", "The URL is longer than 2,000 characters.", field="url")
    try:
        parsed = outbound.check_url(url)
    except outbound.OutboundRejected as error:
        raise InvalidValue("invalid_url", f"{url[:100]!r} cannot be used: {error}.",
                           field="url") from None
    literal = outbound.literal_address(parsed.host)
    if literal is not None:
        reason = outbound.rejection(literal, outbound.allowed_networks())
        if reason is not None:
            raise InvalidValue("address_rejected", f"{url[:100]!r} cannot be used: {reason}.",
                               field="url")
    return url


def add_webhook(page: Page, *, url: str, flavour: str,
                services: Iterable[int | Service] | None, actor: Actor) -> WebhookSubscriber:
    """Add a webhook subscriber for all services (`services` None) or chosen ones."""
    url = check_url(url)
    if flavour not in WebhookFlavour.values:
        raise InvalidValue("invalid_flavour",
                           f"{flavour!r} is not a webhook flavour: use json, slack or discord.",
                           field="flavour")
    chosen = check_services(page, services)
    with transaction.atomic():
        subscriber = WebhookSubscriber.objects.create(page=page, url=url, flavour=flavour,
                                                      all_services=chosen is None)
        subscriber.services.set(chosen or [])
        audit.record(page, actor, "webhook.add", subscriber, after=_snapshot(subscriber))
    return subscriber


def remove_webhook(subscriber: WebhookSubscriber, *, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(subscriber.page, actor, "webhook.remove", subscriber,
                     before=_snapshot(subscriber))
        subscriber.delete()


def _snapshot(subscriber: WebhookSubscriber) -> dict[str, object]:
    # The secret stays out of the audit log.
    return {"url": subscriber.url, "flavour": subscriber.flavour,
            "all_services": subscriber.all_services,
            "services": sorted(subscriber.services.values_list("pk", flat=True))}
