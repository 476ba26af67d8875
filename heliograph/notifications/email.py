"""The e-mail channel: notices to confirmed subscribers, and the subscription e-mails.

Each notice has a `Message-ID` made from its event and subscriber, so a retried send reuses
it. Later notices about the same incident or maintenance carry `In-Reply-To` and `References`
naming the first one, so mail clients show them as one thread. Every notice carries
`List-Unsubscribe` with an HTTPS (or HTTP) link and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`, so mail clients can unsubscribe with one POST (RFC 8058).

Every e-mail is written in the page's language at the time it is built, with its times in the
page's zone, because a subscriber has no language of their own.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from heliograph.domain.models import IncidentEvent, Maintenance, MaintenanceEvent, Page
from heliograph.domain.queries import page_zone
from heliograph.lib import markdown
from heliograph.notifications.channels import (
    Cancelled,
    Notice,
    PermanentFailure,
    Recipient,
    TemporaryFailure,
)
from heliograph.notifications.models import Delivery, Subscriber
from heliograph.public import presenter
from heliograph.public.routing import PATH_PREFIX
from heliograph.public.timefmt import format_datetime

logger = logging.getLogger(__name__)

NAME = "email"


def page_link(page: Page, tail: str = "") -> str:
    """Return the absolute URL of a public path of `page`, from HELIOGRAPH_BASE_URL."""
    return f"{settings.HELIOGRAPH_BASE_URL.rstrip('/')}{PATH_PREFIX}{page.slug}/{tail}"


def subscription_links(subscriber: Subscriber) -> dict[str, str]:
    base = f"subscription/{subscriber.token}"
    return {
        "manage_url": page_link(subscriber.page, base),
        "confirm_url": page_link(subscriber.page, f"{base}/confirm"),
        "unsubscribe_url": page_link(subscriber.page, f"{base}/unsubscribe"),
    }


def message_id(name: str, subscriber: Subscriber) -> str:
    return f"<{name}.{subscriber.pk}.{subscriber.page.slug}@{settings.HELIOGRAPH_DOMAIN}>"


def sender(page: Page) -> str:
    """Return the From header: the page's title as display name, HELIOGRAPH_FROM_EMAIL's address."""
    display, address = parseaddr(settings.HELIOGRAPH_FROM_EMAIL)
    return formataddr((page.title or display, address))


@dataclass(frozen=True)
class Content:
    subject: str
    context: dict[str, Any]
    # The Message-ID names of this notice and of the first notice of its thread.
    name: str
    thread: str


class EmailChannel:
    name = NAME

    def recipients(self, notice: Notice) -> Iterable[Recipient]:
        """Return the confirmed subscribers who receive `notice`.

        A subscriber to chosen services receives a notice that names one of them, or one
        that names no service at all (a notice about the whole page).
        """
        if not notice.page.subscriptions_enabled:
            return []
        subscribers = Subscriber.objects.filter(page=notice.page, confirmed_at__isnull=False)
        if notice.service_ids:
            subscribers = subscribers.filter(
                Q(all_services=True) | Q(services__in=notice.service_ids)
            ).distinct()
        return [Recipient(str(pk), email) for pk, email in
                subscribers.order_by("pk").values_list("pk", "email")]

    def send(self, delivery: Delivery) -> None:
        session: _Batch | None = getattr(_batches, "current", None)
        if session is None:
            subscriber = _confirmed_subscribers([delivery]).get(delivery.recipient)
        else:
            subscriber = session.subscribers.get(delivery.recipient)
        if subscriber is None:
            raise Cancelled("the subscriber unsubscribed before the message was sent")
        connection = None if session is None else session.connection()
        deliver(notice_message(delivery, subscriber), connection=connection)

    @contextmanager
    def batch(self, deliveries: list[Delivery]) -> Iterator[None]:
        """Share one SMTP connection, and each notice's content, among the sends in the block.

        The subscribers of `deliveries` are read once, when the block starts, so one who
        unsubscribes during the block still receives that message. The connection opens at
        the first send and closes when the block ends. A send that fails with the connection
        in an unknown state closes it, and the next send opens it again, so one failing
        message does not fail the others.
        """
        session = _Batch(_confirmed_subscribers(deliveries))
        _batches.current = session
        try:
            yield
        finally:
            _batches.current = None
            session.close()


# The batch that `EmailChannel.batch` opened on this thread, if any.
_batches = threading.local()


def _confirmed_subscribers(deliveries: list[Delivery]) -> dict[str, Subscriber]:
    """Return the confirmed subscribers that `deliveries` go to, by their delivery's recipient."""
    wanted = Q()
    for delivery in deliveries:
        wanted |= Q(pk=int(delivery.recipient), page_id=delivery.page_id)
    subscribers = Subscriber.objects.select_related("page").filter(
        wanted, confirmed_at__isnull=False)
    return {str(subscriber.pk): subscriber for subscriber in subscribers}


class _Batch:
    def __init__(self, subscribers: dict[str, Subscriber]) -> None:
        self.subscribers = subscribers
        self._connection: BaseEmailBackend | None = None
        self._contents: dict[tuple[object, ...], Content] = {}

    def connection(self) -> BaseEmailBackend:
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
        return self._connection

    def content(self, delivery: Delivery) -> Content:
        key = (delivery.page_id, translation.get_language(), delivery.incident_event_id,
               delivery.maintenance_id, delivery.maintenance_event_id)
        if key not in self._contents:
            self._contents[key] = _content(delivery)
        return self._contents[key]

    def close(self) -> None:
        if self._connection is not None:
            _close_quietly(self._connection)
            self._connection = None


def _batched_content(delivery: Delivery) -> Content:
    """Return the content of `delivery`'s notice, built once per batch when inside one."""
    session: _Batch | None = getattr(_batches, "current", None)
    return _content(delivery) if session is None else session.content(delivery)


def notice_message(delivery: Delivery, subscriber: Subscriber) -> EmailMultiAlternatives:
    """Build the e-mail of one delivery, with its threading and unsubscribe headers."""
    with translation.override(subscriber.page.language):
        return _notice_message(delivery, subscriber)


def _notice_message(delivery: Delivery, subscriber: Subscriber) -> EmailMultiAlternatives:
    content = _batched_content(delivery)
    links = subscription_links(subscriber)
    context = content.context | links | {"page": subscriber.page, "subscriber": subscriber}
    headers = {
        "Message-ID": message_id(content.name, subscriber),
        "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{subscriber.page.title} <{subscriber.page.slug}.{settings.HELIOGRAPH_DOMAIN}>",
        "Auto-Submitted": "auto-generated",
    }
    if content.thread != content.name:
        root = message_id(content.thread, subscriber)
        headers |= {"In-Reply-To": root, "References": root}
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=render_to_string("notifications/email/notice.txt", context),
        from_email=sender(subscriber.page),
        to=[subscriber.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string("notifications/email/notice.html", context),
                               "text/html")
    return message


def subscription_message(subscriber: Subscriber, kind: str) -> EmailMultiAlternatives:
    """Build the confirmation e-mail (`kind` "confirm") or the manage-link e-mail ("manage")."""
    with translation.override(subscriber.page.language):
        return _subscription_message(subscriber, kind)


def _subscription_message(subscriber: Subscriber, kind: str) -> EmailMultiAlternatives:
    context = subscription_links(subscriber) | {"page": subscriber.page, "kind": kind,
                                                "page_url": page_link(subscriber.page)}
    if kind == "confirm":
        subject = gettext("Confirm your subscription to %(page)s status") % {
            "page": subscriber.page.title}
    else:
        subject = gettext("Your subscription to %(page)s status") % {
            "page": subscriber.page.title}
    return EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/subscription.txt", context),
        from_email=sender(subscriber.page),
        to=[subscriber.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def deliver(message: EmailMultiAlternatives, connection: BaseEmailBackend | None = None) -> None:
    """Send `message` over SMTP, raising `PermanentFailure` on a 5xx reply, else `TemporaryFailure`.

    Without `connection`, the message has a connection of its own. A shared `connection` stays
    open after a refused sender, recipient or message, because smtplib resets the SMTP
    session then. Any other error closes it, and its next use opens it again. The connection
    uses EMAIL_TIMEOUT, which stays well below the worker's lease.
    """
    try:
        if connection is None:
            with get_connection(fail_silently=False) as own:
                own.send_messages([message])
        else:
            _send_on(connection, message)
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        failure = _reply_text(code, reply)
        if 500 <= code < 600:
            raise PermanentFailure(f"recipient rejected: {failure}") from None
        raise TemporaryFailure(f"recipient rejected: {failure}") from None
    except smtplib.SMTPResponseException as error:
        failure = _reply_text(error.smtp_code, error.smtp_error)
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure(failure) from None
        raise TemporaryFailure(failure) from None
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from None


def _send_on(connection: BaseEmailBackend, message: EmailMultiAlternatives) -> None:
    try:
        # Opened here, `send_messages` leaves the connection open after the message.
        connection.open()
        connection.send_messages([message])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
        raise
    except BaseException:
        _close_quietly(connection)
        raise


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError) as error:
        logger.info("closing the SMTP connection failed: %s", error)


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}"


def _content(delivery: Delivery) -> Content:
    page = delivery.page
    zone = page_zone(page)
    if delivery.incident_event_id is not None:
        event = IncidentEvent.objects.select_related("incident").get(pk=delivery.incident_event_id)
        return _incident_content(page, event, zone)
    maintenance = Maintenance.objects.get(pk=delivery.maintenance_id or 0)
    event_pk = delivery.maintenance_event_id
    step = None if event_pk is None else MaintenanceEvent.objects.get(pk=event_pk)
    return _maintenance_content(page, maintenance, step, zone)


def _incident_content(page: Page, event: IncidentEvent, zone: Any) -> Content:
    incident = event.incident
    first = incident.events.order_by("at", "id").values_list("pk", flat=True).first()
    status = presenter.label(event.status)
    services = (event.services if event.services_override else incident.services)
    return Content(
        subject=f"[{page.title}] {incident.title}: {status}",
        context={
            "title": incident.title,
            "heading": status,
            "state": presenter.label(event.state),
            "when": format_datetime(event.at, zone),
            "text": event.text,
            "text_html": markdown.render(event.text),
            "services": list(services.values_list("name", flat=True)),
            "link": page_link(page, f"incidents/{incident.pk}"),
        },
        name=f"incident-event.{event.pk}",
        thread=f"incident-event.{first}",
    )


def _maintenance_content(page: Page, maintenance: Maintenance, event: MaintenanceEvent | None,
                         zone: Any) -> Content:
    window = gettext("%(start)s to %(end)s") % {
        "start": format_datetime(maintenance.starts_at, zone),
        "end": format_datetime(maintenance.ends_at, zone),
    }
    if event is None:
        heading, text, when = gettext("Scheduled maintenance"), maintenance.description, window
        name = f"maintenance.{maintenance.pk}"
    else:
        heading = presenter.label(event.status)
        text, when = event.text, format_datetime(event.at, zone)
        name = f"maintenance-event.{event.pk}"
    return Content(
        subject=f"[{page.title}] {maintenance.title}: {heading}",
        context={
            "title": maintenance.title,
            "heading": heading,
            "state": "",
            "when": when,
            "window": window,
            "text": text,
            "text_html": markdown.render(text) if text else "",
            "services": list(maintenance.services.values_list("name", flat=True)),
            "link": page_link(page, f"maintenances/{maintenance.pk}"),
        },
        name=name,
        thread=f"maintenance.{maintenance.pk}",
    )
