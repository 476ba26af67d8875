"""Claim due deliveries and send them: the worker's side of the outbox.

A claim is a conditional update inside a short transaction. On PostgreSQL the candidates are
read with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers take different rows; on
SQLite the write transaction (`BEGIN IMMEDIATE`) already admits one claimer at a time. Each
claim carries a lease: a worker killed while sending leaves its deliveries in `sending`, and
another worker takes them again once the lease has expired.

NOTE: a delivery is sent at least once. It is sent twice when a worker dies between the
channel's send and the commit that marks it sent, or when a send outlasts the lease. An e-mail
copy then has the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from heliograph.notifications import channels
from heliograph.notifications.channels import Cancelled, PermanentFailure, TemporaryFailure
from heliograph.notifications.models import Attempt, AttemptOutcome, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

# Deliveries per claim. A batch shares one SMTP connection, so a larger batch opens fewer
# connections, but the lease must cover the whole batch.
CLAIM_BATCH = 25
# Retry delays double from BACKOFF_BASE up to BACKOFF_MAX. Each is drawn at random from the
# upper half of that value ("equal jitter"), so deliveries that failed together spread out.
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
ERROR_MAX = 2000


@dataclass(frozen=True)
class Claim:
    token: str
    deliveries: list[Delivery]


def due_filter(now: dt.datetime) -> Q:
    """Match deliveries to send now: pending and due, or sending with an expired lease.

    An expired lease is taken again only before the give-up time, so a delivery whose send
    kills the worker every time is not retried for ever.
    """
    pending = Q(status=DeliveryStatus.PENDING, due_at__lte=now)
    abandoned = Q(status=DeliveryStatus.SENDING, lease_until__lte=now, give_up_at__gt=now)
    return pending | abandoned


def lease() -> dt.timedelta:
    """Return how long a claim is held (HELIOGRAPH_DELIVERY_LEASE_SECONDS).

    A channel's send must time out well within it.
    """
    return dt.timedelta(seconds=settings.HELIOGRAPH_DELIVERY_LEASE_SECONDS)


def claim_due(limit: int = CLAIM_BATCH, now: dt.datetime | None = None) -> Claim:
    """Take up to `limit` due deliveries for this worker, oldest due first."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    _fail_abandoned(now)
    with transaction.atomic():
        candidates = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due_filter(now))
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not candidates:
            return Claim(token, [])
        # The repeated due filter makes the update conditional: a row another worker claimed
        # since it was read no longer matches.
        Delivery.objects.filter(due_filter(now), pk__in=candidates).update(
            status=DeliveryStatus.SENDING, lease_until=now + lease(), claim_token=token
        )
    claimed = list(
        Delivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING)
        .select_related("page")
        .order_by("due_at", "id")
    )
    return Claim(token, claimed)


def _fail_abandoned(now: dt.datetime) -> None:
    """Mark failed the deliveries whose worker stopped while sending them after the give-up time."""
    failed = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, lease_until__lte=now, give_up_at__lte=now
    ).update(status=DeliveryStatus.FAILED, failed_at=now, lease_until=None, claim_token="",
             last_error="The worker stopped while sending it, and its retry period is over.")
    if failed:
        logger.warning("marked %d deliveries failed: their worker stopped while sending them "
                       "after their give-up time", failed)


def backoff(attempt_count: int) -> dt.timedelta:
    """Return the delay before retry number `attempt_count` (1 for the first retry)."""
    ceiling = min(BACKOFF_BASE * (1 << min(attempt_count - 1, 30)), BACKOFF_MAX)
    jitter: float = random.uniform(0.5, 1.0)  # noqa: S311 - spreads retries, not a secret
    return ceiling * jitter


def send_one(delivery: Delivery, token: str) -> str:
    """Send a claimed delivery once, store the attempt, and return the attempt's outcome.

    1. Call the channel's `send`, timing it.
    2. Store the attempt and move the delivery to sent, to pending with a later `due_at`, or
       to failed, but only while this worker's claim still holds.
    """
    channel = channels.get(delivery.channel)
    started = timezone.now()
    clock = time.monotonic()
    error = ""
    ending: str | None = None
    not_before: dt.datetime | None = None
    try:
        if channel is None:
            raise PermanentFailure(f"the channel {delivery.channel!r} is not available")
        channel.send(delivery)
    except Cancelled as reason:
        error, ending = _describe(reason), AttemptOutcome.CANCELLED
    except PermanentFailure as failure:
        error, ending = _describe(failure), AttemptOutcome.FAILED
    except TemporaryFailure as failure:
        error, not_before = _describe(failure), failure.retry_at
    except Exception as failure:
        # Any other error (a timeout, a refused connection, a bug) is treated as temporary.
        error = _describe(failure)
    duration_ms = round((time.monotonic() - clock) * 1000)
    return _finish(delivery, token, started=started, duration_ms=duration_ms, error=error,
                   ending=ending, not_before=not_before)


def _finish(delivery: Delivery, token: str, *, started: dt.datetime, duration_ms: int,
            error: str, ending: str | None, not_before: dt.datetime | None = None) -> str:
    """Store the attempt; `ending` is a failed or cancelled outcome that is never retried.

    A retry waits for the backoff delay, or until `not_before` when that is later.
    """
    now = timezone.now()
    attempt_count = delivery.attempt_count + 1
    changes: dict[str, object] = {"attempt_count": F("attempt_count") + 1, "lease_until": None,
                                  "claim_token": "", "last_error": error}
    if not error:
        outcome = AttemptOutcome.SENT
        changes |= {"status": DeliveryStatus.SENT, "sent_at": now}
    elif ending == AttemptOutcome.CANCELLED:
        outcome = AttemptOutcome.CANCELLED
        changes |= {"status": DeliveryStatus.CANCELLED}
    else:
        retry_at = now + backoff(attempt_count)
        if not_before is not None and not_before > retry_at:
            retry_at = not_before
        if ending == AttemptOutcome.FAILED or retry_at > delivery.give_up_at:
            outcome = AttemptOutcome.FAILED
            changes |= {"status": DeliveryStatus.FAILED, "failed_at": now}
        else:
            outcome = AttemptOutcome.RETRY
            changes |= {"status": DeliveryStatus.PENDING, "due_at": retry_at}
    with transaction.atomic():
        claim_held = Delivery.objects.filter(
            pk=delivery.pk, claim_token=token, status=DeliveryStatus.SENDING
        ).update(**changes)
        if claim_held:
            Attempt.objects.create(delivery_id=delivery.pk, started_at=started, outcome=outcome,
                                   error=error, duration_ms=duration_ms)
    _log(delivery, outcome, error, attempt_count, claim_held=bool(claim_held))
    return outcome


def _log(delivery: Delivery, outcome: str, error: str, attempt_count: int, *,
         claim_held: bool) -> None:
    if not claim_held:
        logger.error("delivery %s (%s) on page %s finished after its lease expired, so its "
                     "outcome (%s) was dropped and another worker may send it again",
                     delivery.pk, delivery.channel, delivery.page.slug, outcome)
    elif outcome == AttemptOutcome.SENT:
        logger.info("delivery %s (%s) on page %s sent", delivery.pk, delivery.channel,
                    delivery.page.slug)
    else:
        logger.warning("delivery %s (%s) on page %s attempt %d failed (%s): %s", delivery.pk,
                       delivery.channel, delivery.page.slug, attempt_count, outcome, error)


def _describe(failure: BaseException) -> str:
    text = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    return text[:ERROR_MAX]


def send_due(max_deliveries: int | None = None) -> int:
    """Claim and send due deliveries batch by batch until none is due; return how many ran."""
    count = 0
    while max_deliveries is None or count < max_deliveries:
        limit = CLAIM_BATCH if max_deliveries is None else min(CLAIM_BATCH,
                                                               max_deliveries - count)
        claim = claim_due(limit)
        if not claim.deliveries:
            break
        count += send_claim(claim)
    return count


def send_claim(claim: Claim) -> int:
    """Send the deliveries of `claim`, each channel's inside one batch; return how many ran.

    A channel with a `batch(deliveries)` context manager shares what it opens there (one
    SMTP connection, the subscribers read at once) among the sends of the batch. Once less
    than half of the lease is left, the deliveries not yet sent are released for another
    claim, so a slow batch does not outlast its lease.
    """
    release_at = time.monotonic() + lease().total_seconds() / 2
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in claim.deliveries:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    count = 0
    for name, deliveries in by_channel.items():
        with _channel_batch(channels.get(name), deliveries):
            for delivery in deliveries:
                if time.monotonic() > release_at:
                    release(claim)
                    return count
                send_one(delivery, claim.token)
                count += 1
    return count


def _channel_batch(channel: channels.Channel | None,
                   deliveries: list[Delivery]) -> AbstractContextManager[object]:
    opener = getattr(channel, "batch", None)
    return opener(deliveries) if opener is not None else nullcontext()


def release(claim: Claim) -> int:
    """Make the deliveries of `claim` that are still being sent due again; return how many."""
    released = Delivery.objects.filter(
        claim_token=claim.token, status=DeliveryStatus.SENDING
    ).update(status=DeliveryStatus.PENDING, lease_until=None, claim_token="")
    if released:
        logger.warning("released %d claimed deliveries unsent: half of their lease had passed",
                       released)
    return released


def retry(delivery: Delivery, *, now: dt.datetime | None = None) -> bool:
    """Make a failed delivery due again, with a new give-up time; return whether it was failed."""
    from heliograph.notifications.outbox import GIVE_UP_AFTER, enqueue_sending

    now = now or timezone.now()
    changed = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, due_at=now, give_up_at=now + GIVE_UP_AFTER,
        failed_at=None,
    )
    if changed:
        logger.info("delivery %s on page %s queued again by hand", delivery.pk,
                    delivery.page.slug)
        transaction.on_commit(enqueue_sending)
    return bool(changed)
