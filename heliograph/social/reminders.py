"""Reminder posts shortly before a maintenance starts, on the accounts that ask for them.

The worker's periodic job (`heliograph.social.tasks.record_reminders`, every minute) records
one delivery per maintenance start and account once the reminder time has passed. The
delivery's idempotency key is unique, so several workers running the job at once, or a job
repeated after downtime, record it once. A reminder is posted only while the maintenance has
not started: the job skips one that has, and the channel cancels a recorded reminder that
is sent too late.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from heliograph.domain.models import Maintenance
from heliograph.domain.vocab import MaintenanceStatus
from heliograph.notifications.channels import Cancelled, Kind
from heliograph.notifications.models import Delivery
from heliograph.notifications.outbox import enqueue_sending
from heliograph.social.models import Network, SocialAccount

logger = logging.getLogger(__name__)

# The maximum lead time an account may set: one week, in minutes.
REMINDER_MINUTES_MAX = 7 * 24 * 60


def reminder_key(maintenance: Maintenance, account: SocialAccount) -> str:
    """Return the idempotency key of a reminder; a new start time gets a new reminder."""
    start = int(maintenance.starts_at.timestamp())
    return f"maintenance_reminder:{maintenance.pk}:{start}:{account.network}:{account.pk}"


def due_maintenances(account: SocialAccount, now: dt.datetime) -> list[Maintenance]:
    """Return the maintenances of the account's page whose reminder is due at `now`.

    A maintenance scheduled less than the lead time before its start gets no reminder,
    because its announcement was posted within that time.
    """
    if not account.reminder_minutes:
        return []
    lead = dt.timedelta(minutes=account.reminder_minutes)
    return list(
        Maintenance.objects.filter(
            page_id=account.page_id, status=MaintenanceStatus.SCHEDULED,
            starts_at__gt=now, starts_at__lte=now + lead,
            created_at__lt=F("starts_at") - lead,
        ).select_related("page")
    )


def record_due_reminders(now: dt.datetime | None = None) -> int:
    """Record the reminder deliveries that are due; return how many were new."""
    now = now or timezone.now()
    recorded = 0
    accounts = SocialAccount.objects.filter(reminder_minutes__gt=0).select_related("page")
    for account in accounts:
        deliveries = [
            Delivery(
                page_id=account.page_id, channel=account.network, recipient=str(account.pk),
                recipient_label=f"{Network(account.network).label} {account.handle}"[:320],
                kind=Kind.MAINTENANCE_REMINDER, maintenance=maintenance,
                idempotency_key=reminder_key(maintenance, account), due_at=now,
                created_at=now, give_up_at=maintenance.starts_at,
            )
            for maintenance in due_maintenances(account, now)
        ]
        if not deliveries:
            continue
        keys = [delivery.idempotency_key for delivery in deliveries]
        with transaction.atomic():
            known = set(Delivery.objects.filter(idempotency_key__in=keys)
                        .values_list("idempotency_key", flat=True))
            # ignore_conflicts keeps a reminder that another worker recorded meanwhile single.
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            new = len(set(keys) - known)
            if new:
                transaction.on_commit(enqueue_sending)
        if new:
            logger.info("recorded %d maintenance reminders for the %s account of page %s",
                        new, account.network, account.page.slug)
        recorded += new
    return recorded


def check_still_due(delivery: Delivery, now: dt.datetime | None = None) -> None:
    """Raise `Cancelled` for a reminder whose maintenance has started or is gone."""
    now = now or timezone.now()
    maintenance = (Maintenance.objects.filter(pk=delivery.maintenance_id).first()
                   if delivery.maintenance_id is not None else None)
    if maintenance is None:
        raise Cancelled("the maintenance was deleted before its reminder was posted")
    if maintenance.status != MaintenanceStatus.SCHEDULED or maintenance.starts_at <= now:
        raise Cancelled("the maintenance had started before its reminder could be posted")
