"""Fan-out of one notice: bulk recording in the event's transaction, and batched sending."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from heliograph.domain import incidents
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Page
from heliograph.domain.vocab import State, Status
from heliograph.notifications import outbox, sending
from heliograph.notifications.models import (
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Subscriber,
)
from tests.notifications.smtp_sink import SinkHandler

pytestmark = pytest.mark.django_db


def add_subscribers(page: Page, count: int) -> list[Subscriber]:
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [Subscriber(page=page, email=f"reader{n}@example.com", confirmed_at=now)
         for n in range(count)]
    )
    return list(Subscriber.objects.filter(page=page).order_by("pk"))


def open_one(page: Page, actor: Actor) -> Incident:
    return incidents.open_incident(page, title="Database down", text="Looking into it.",
                                   state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                                   services=[], actor=actor)


def test_bulk_recording_fills_every_field(page: Page, actor: Actor) -> None:
    subscribers = add_subscribers(page, 3)
    before = timezone.now()

    incident = open_one(page, actor)

    event = incident.events.get()
    deliveries = list(Delivery.objects.order_by("pk"))
    assert [d.recipient for d in deliveries] == [str(s.pk) for s in subscribers]
    assert [d.recipient_label for d in deliveries] == [s.email for s in subscribers]
    for delivery in deliveries:
        assert delivery.channel == "email"
        assert delivery.page_id == page.pk
        assert delivery.incident_id == incident.pk
        assert delivery.incident_event_id == event.pk
        assert delivery.maintenance_id is None
        assert delivery.kind == "incident.event"
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempt_count == 0
        assert delivery.claim_token == ""
        assert delivery.lease_until is None
        assert delivery.sent_at is None
        assert before <= delivery.due_at <= timezone.now()
        assert delivery.created_at == delivery.due_at
        assert delivery.give_up_at == delivery.due_at + outbox.GIVE_UP_AFTER
        assert delivery.idempotency_key == (
            f"incident_event:{event.pk}:email:{delivery.recipient}")


def test_bulk_recording_is_one_statement(page: Page, actor: Actor) -> None:
    add_subscribers(page, 1_200)

    with CaptureQueriesContext(connection) as queries:
        open_one(page, actor)

    delivery_inserts = [q for q in queries.captured_queries
                        if 'INSERT INTO "notifications_delivery"' in q["sql"]]
    assert len(delivery_inserts) == 1
    assert Delivery.objects.count() == 1_200
    assert Delivery.objects.values("recipient").distinct().count() == 1_200


def test_rollback_leaves_no_delivery(page: Page, actor: Actor) -> None:
    add_subscribers(page, 600)

    with pytest.raises(RuntimeError), transaction.atomic():
        open_one(page, actor)
        assert Delivery.objects.count() == 600
        raise RuntimeError("the request failed after the event was posted")

    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_commit_queues_parallel_sending_tasks(
    page: Page, actor: Actor, django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from heliograph.notifications import tasks

    queued: list[str] = []
    monkeypatch.setattr(tasks, "send_deliveries", lambda: queued.append("send"))
    add_subscribers(page, 2)

    with django_capture_on_commit_callbacks(execute=True):
        open_one(page, actor)

    assert len(queued) == outbox.SENDING_TASKS


class CountingSink(SinkHandler):
    """An SMTP sink that also stores the client address and port of each message's connection."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__(replies=replies)
        self.peers: list[object] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def counting_sink(smtp_sink: SinkHandler, settings: Any) -> CountingSink:
    """An SMTP sink on 127.0.0.1 that counts connections, with Django's SMTP backend on it."""
    from tests.notifications.smtp_sink import start

    handler = CountingSink(replies=[])
    controller = start(handler)
    settings.EMAIL_PORT = controller.port
    yield handler  # type: ignore[misc]
    controller.stop()


def received_by(handler: SinkHandler) -> Counter[str]:
    return Counter(address for message in handler.received for address in message.to)


def test_batch_shares_one_connection(
    page: Page, actor: Actor, counting_sink: CountingSink
) -> None:
    subscribers = add_subscribers(page, 6)
    counting_sink.replies[:] = ["250 OK", "250 OK", "451 4.3.0 Try again later"]
    open_one(page, actor)

    assert sending.send_due() == 6

    failed = subscribers[2]
    assert len(set(counting_sink.peers)) == 1
    assert received_by(counting_sink) == Counter(
        {s.email: 1 for s in subscribers if s.pk != failed.pk})
    retried = Delivery.objects.get(recipient=str(failed.pk))
    assert retried.status == DeliveryStatus.PENDING
    assert retried.attempt_count == 1
    assert "451" in retried.last_error
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 5

    with time_machine.travel(retried.due_at + dt.timedelta(seconds=1)):
        assert sending.send_due() == 1

    assert received_by(counting_sink) == Counter({s.email: 1 for s in subscribers})
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 6
    outcomes = Counter(Attempt.objects.values_list("outcome", flat=True))
    assert outcomes == Counter({AttemptOutcome.SENT: 6, AttemptOutcome.RETRY: 1})


def test_dropped_connection_reconnects(
    page: Page, actor: Actor, counting_sink: CountingSink
) -> None:
    subscribers = add_subscribers(page, 5)
    counting_sink.replies[:] = ["250 OK", "close"]
    open_one(page, actor)

    assert sending.send_due() == 5

    dropped = subscribers[1]
    assert len(set(counting_sink.peers)) == 2
    assert received_by(counting_sink) == Counter(
        {s.email: 1 for s in subscribers if s.pk != dropped.pk})
    retried = Delivery.objects.get(recipient=str(dropped.pk))
    assert retried.status == DeliveryStatus.PENDING
    assert retried.attempt_count == 1

    with time_machine.travel(retried.due_at + dt.timedelta(seconds=1)):
        assert sending.send_due() == 1

    assert received_by(counting_sink) == Counter({s.email: 1 for s in subscribers})


def test_batches_of_claim_size(page: Page, actor: Actor, counting_sink: CountingSink) -> None:
    subscribers = add_subscribers(page, sending.CLAIM_BATCH + 3)
    open_one(page, actor)

    assert sending.send_due() == len(subscribers)

    assert len(set(counting_sink.peers)) == 2
    assert received_by(counting_sink) == Counter({s.email: 1 for s in subscribers})


def test_slow_batch_releases_rest(
    page: Page, actor: Actor, counting_sink: CountingSink, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past half of the lease, the unsent rest of a claim goes back to pending, unsent."""
    add_subscribers(page, 4)
    open_one(page, actor)
    monkeypatch.setattr(sending, "lease", lambda: dt.timedelta(seconds=0.2))
    send_one = sending.send_one

    def slow_send_one(delivery: Delivery, token: str) -> str:
        outcome = send_one(delivery, token)
        time.sleep(0.15)
        return outcome

    monkeypatch.setattr(sending, "send_one", slow_send_one)

    claim = sending.claim_due()
    assert sending.send_claim(claim) == 1

    assert len(counting_sink.received) == 1
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == Counter({DeliveryStatus.SENT: 1, DeliveryStatus.PENDING: 3})
    assert not Delivery.objects.exclude(claim_token="").exists()
    assert Attempt.objects.count() == 1


def test_webhook_batch_shares_guarded_client(
    page: Page, actor: Actor, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from heliograph.lib import outbound
    from heliograph.notifications import webhooks
    from heliograph.notifications.models import WebhookSubscriber
    from tests.notifications.test_webhooks import HookReceiver

    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    receiver = HookReceiver()
    receiver.statuses = [200, 503, 200, 200]
    clients: list[object] = []
    make_client = outbound.guarded_client

    def counting_client(**options: Any) -> Any:
        clients.append(options)
        return make_client(**options)

    monkeypatch.setattr(outbound, "guarded_client", counting_client)
    try:
        for n in range(4):
            webhooks.add_webhook(page, url=f"{receiver.url}/{n}", flavour="json",
                                 services=None, actor=actor)
        open_one(page, actor)

        assert sending.send_due() == 4
    finally:
        receiver.close()

    assert len(clients) == 1
    assert sorted(r["path"] for r in receiver.received) == [f"/hook/{n}" for n in range(4)]
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == Counter({DeliveryStatus.SENT: 3, DeliveryStatus.PENDING: 1})
    assert WebhookSubscriber.objects.filter(consecutive_failures=0).count() == 4
