"""Subscribe, confirm, change, unsubscribe, add and remove e-mail subscribers.

A visitor's request gets the same response whether the address is new, waiting for
confirmation or already confirmed, so the form does not reveal who subscribes. Each case sends
one e-mail to the address (a confirmation link, or a link to manage the subscription), which
only the owner of the address reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from heliograph.accounts import ratelimit
from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.common import resolve_services
from heliograph.domain.errors import Conflict, InvalidValue, RuleViolation
from heliograph.domain.models import Page, Service
from heliograph.notifications.models import Subscriber

logger = logging.getLogger(__name__)

# Subscription e-mails (confirmation and manage links) to one address, per page.
MAIL_PER_SUBSCRIBER = ratelimit.Limit("subscribe-recipient", max_count=3, seconds=60 * 60)
# Subscription requests from one client address (one IPv6 /64), across pages.
REQUESTS_PER_CLIENT = ratelimit.Limit("subscribe-client", max_count=10, seconds=60 * 60)


def check_email(email: str, *, field: str = "email") -> str:
    """Return the address trimmed, with its domain in lower case; reject an invalid one."""
    email = (email or "").strip()
    if not email:
        raise InvalidValue("required", gettext("Enter an e-mail address."), field=field)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidValue("invalid_email",
                           gettext("%(email)s is not a valid e-mail address: check it for "
                                   "typos.") % {"email": repr(email[:100])},
                           field=field) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_services(page: Page, services: Iterable[int | Service] | None) -> list[Service] | None:
    """Return the chosen services, or None for all of them; an empty choice is rejected."""
    if services is None:
        return None
    chosen = resolve_services(page, services)
    if not chosen:
        raise InvalidValue("no_services",
                           gettext("Choose at least one service, or all services."),
                           field="services")
    return chosen


def request_subscription(page: Page, *, email: str,
                         services: Iterable[int | Service] | None) -> None:
    """Handle a visitor's subscription request and queue the e-mail it calls for.

    1. A new address becomes an unconfirmed subscriber with the chosen services.
    2. An unconfirmed one takes the new choice and gets the confirmation link again.
    3. A confirmed one keeps its choice and gets a link to manage it.
    """
    if not page.subscriptions_enabled:
        raise RuleViolation("subscriptions_disabled", "This page does not take subscriptions.")
    email = check_email(email)
    chosen = check_services(page, services)
    with transaction.atomic():
        subscriber = (Subscriber.objects.select_for_update()
                      .filter(page=page, email__iexact=email).first())
        if subscriber is None:
            subscriber = Subscriber.objects.create(page=page, email=email,
                                                   all_services=chosen is None)
            _set_services(subscriber, chosen)
        elif subscriber.confirmed_at is None:
            subscriber.all_services = chosen is None
            subscriber.save(update_fields=["all_services"])
            _set_services(subscriber, chosen)
        kind = "manage" if subscriber.confirmed_at is not None else "confirm"
        _queue_mail(subscriber, kind)


def confirm(subscriber: Subscriber) -> bool:
    """Confirm a subscription from its e-mailed link; return whether it was unconfirmed."""
    changed = Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    if changed:
        logger.info("subscriber %s of page %s confirmed", subscriber.pk, subscriber.page.slug)
    subscriber.refresh_from_db(fields=["confirmed_at"])
    return bool(changed)


def change_services(subscriber: Subscriber, services: Iterable[int | Service] | None) -> None:
    """Replace a subscriber's choice: chosen services, or None for all of them."""
    chosen = check_services(subscriber.page, services)
    with transaction.atomic():
        subscriber.all_services = chosen is None
        subscriber.save(update_fields=["all_services"])
        _set_services(subscriber, chosen)


def unsubscribe(subscriber: Subscriber) -> None:
    """Delete a subscriber; deliveries still waiting for it are cancelled when claimed."""
    logger.info("subscriber %s of page %s unsubscribed", subscriber.pk, subscriber.page.slug)
    subscriber.delete()


def add_subscriber(page: Page, *, email: str, services: Iterable[int | Service] | None,
                   actor: Actor) -> Subscriber:
    """Add a confirmed subscriber on an editor's word, without a confirmation e-mail."""
    email = check_email(email, field="address")
    chosen = check_services(page, services)
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(page=page, email=email,
                                                   all_services=chosen is None,
                                                   confirmed_at=timezone.now())
            _set_services(subscriber, chosen)
            audit.record(page, actor, "subscriber.add", subscriber,
                         after=_snapshot(subscriber))
    except IntegrityError:
        raise Conflict("subscriber_exists",
                       f"{email} already subscribes to this page: remove it first to change it.",
                       field="address") from None
    return subscriber


def remove_subscriber(subscriber: Subscriber, *, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(subscriber.page, actor, "subscriber.remove", subscriber,
                     before=_snapshot(subscriber))
        subscriber.delete()


def _set_services(subscriber: Subscriber, chosen: list[Service] | None) -> None:
    subscriber.services.set(chosen or [])


def _snapshot(subscriber: Subscriber) -> dict[str, object]:
    return {"email": subscriber.email, "all_services": subscriber.all_services,
            "services": sorted(subscriber.services.values_list("pk", flat=True))}


def _queue_mail(subscriber: Subscriber, kind: str) -> None:
    """Queue the confirmation or manage e-mail once the transaction commits, within limits."""
    subject = f"{subscriber.page_id}:{subscriber.email.lower()}"
    if ratelimit.blocked(MAIL_PER_SUBSCRIBER, subject):
        logger.warning("not sending the %s e-mail to subscriber %s of page %s: limit reached",
                       kind, subscriber.pk, subscriber.page.slug)
        return
    ratelimit.record(MAIL_PER_SUBSCRIBER, subject)
    # Imported here because the tasks module imports Huey's Django integration.
    from heliograph.notifications.tasks import send_subscription_mail

    subscriber_id = subscriber.pk
    transaction.on_commit(lambda: send_subscription_mail(subscriber_id, kind))
