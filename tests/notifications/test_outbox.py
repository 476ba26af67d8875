"""Recording deliveries in the transaction of the incident or maintenance change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import transaction
from django.utils import timezone

from heliograph.domain import incidents, maintenances
from heliograph.domain.audit import Actor
from heliograph.domain.errors import RuleViolation
from heliograph.domain.incidents import PastEvent
from heliograph.domain.models import AuditEntry, Incident, Page, Service
from heliograph.domain.vocab import MaintenanceStatus, State, Status
from heliograph.notifications import outbox
from heliograph.notifications.channels import Kind
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.notifications.conftest import ScriptedChannel

pytestmark = pytest.mark.django_db


def open_one(page: Page, actor: Actor, **fields: object) -> Incident:
    return incidents.open_incident(
        page, title="API errors", text="We are looking into it.",
        state=State.PARTIAL_OUTAGE, status=Status.INVESTIGATING, actor=actor,
        **fields,  # type: ignore[arg-type]
    )


def schedule(page: Page, actor: Actor) -> object:
    start = timezone.now() + dt.timedelta(days=1)
    return maintenances.schedule_maintenance(
        page, title="Database upgrade", description="", starts_at=start,
        ends_at=start + dt.timedelta(hours=1), actor=actor,
    )


def test_open_incident_records_delivery_per_recipient(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    incident = open_one(page, actor)

    deliveries = list(Delivery.objects.order_by("recipient"))
    assert [d.recipient for d in deliveries] == ["ann", "bob"]
    assert [d.recipient_label for d in deliveries] == ["ann@example.com", "bob@example.com"]
    event = incident.latest_event
    assert event is not None
    for delivery in deliveries:
        assert delivery.channel == "scripted"
        assert delivery.kind == Kind.INCIDENT_EVENT
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.incident_id == incident.pk
        assert delivery.incident_event_id == event.pk
        assert delivery.page_id == page.pk
        assert delivery.give_up_at - delivery.created_at == outbox.GIVE_UP_AFTER
    assert deliveries[0].idempotency_key == f"incident_event:{event.pk}:scripted:ann"


def test_open_incident_keeps_audit_entry(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    version = Page.objects.get(pk=page.pk).version

    open_one(page, actor)

    assert AuditEntry.objects.filter(action="incident.open").count() == 1
    assert Page.objects.get(pk=page.pk).version == version + 1


def test_notice_names_incident_services(
    page: Page, actor: Actor, scripted: ScriptedChannel, add_service: Callable[..., Service]
) -> None:
    api, web = add_service("API"), add_service("Web")
    incident = open_one(page, actor, services=[api])
    incidents.post_event(incident, text="Web is slow too.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.IDENTIFIED, services=[web], actor=actor)
    incidents.post_event(incident, text="Still slow.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.MONITORING, actor=actor)

    assert [n.service_ids for n in scripted.notices] == [
        frozenset({api.pk}), frozenset({web.pk}), frozenset({api.pk}),
    ]


def test_post_and_close_record_deliveries(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    incident = open_one(page, actor)
    update = incidents.post_event(incident, text="Found it.", state=State.PARTIAL_OUTAGE,
                                  status=Status.IDENTIFIED, actor=actor)
    closing = incidents.close_incident(incident, actor=actor)

    assert Delivery.objects.filter(incident_event=update).count() == 2
    assert Delivery.objects.filter(incident_event=closing).count() == 2
    assert Delivery.objects.filter(incident=incident).count() == 6


def test_rejected_event_records_nothing(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    incident = open_one(page, actor)
    incidents.close_incident(incident, actor=actor)

    with pytest.raises(RuleViolation):
        incidents.post_event(incident, text="Again.", state=State.PARTIAL_OUTAGE,
                             status=Status.IDENTIFIED, actor=actor)

    assert Delivery.objects.count() == 4


def test_failing_recipients_roll_back_event(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    """The deliveries and the event share one transaction: neither exists without the other."""

    def broken(notice: object) -> list[str]:
        raise RuntimeError("subscriber lookup failed")

    scripted.recipients = broken  # type: ignore[method-assign]

    with pytest.raises(RuntimeError):
        open_one(page, actor)

    assert Incident.objects.count() == 0
    assert AuditEntry.objects.filter(action="incident.open").count() == 0
    assert Delivery.objects.count() == 0


def test_backfill_and_text_edit_record_nothing(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    now = timezone.now()
    incident = incidents.backfill_incident(
        page, title="Old outage", services=[], actor=actor, events=[
            PastEvent(at=now - dt.timedelta(hours=2), status=Status.INVESTIGATING, text="Down.",
                      state=State.MAJOR_OUTAGE),
            PastEvent(at=now - dt.timedelta(hours=1), status=Status.RESOLVED, text="Fixed."),
        ],
    )
    event = incident.events.first()
    assert event is not None
    incidents.edit_event_text(event, text="Down for everyone.", actor=actor)

    assert Delivery.objects.count() == 0


def test_maintenance_changes_record_deliveries(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    maintenance = schedule(page, actor)
    started = maintenances.post_event(maintenance, text="Starting.",  # type: ignore[arg-type]
                                      actor=actor)
    completed = maintenances.close_maintenance(maintenance, actor=actor)  # type: ignore[arg-type]

    kinds = sorted(Delivery.objects.values_list("kind", flat=True))
    assert kinds == [Kind.MAINTENANCE_EVENT] * 4 + [Kind.MAINTENANCE_SCHEDULED] * 2
    assert Delivery.objects.filter(maintenance_event=started).count() == 2
    assert Delivery.objects.filter(maintenance_event=completed).count() == 2
    assert Delivery.objects.filter(maintenance=maintenance).count() == 6


def test_automatic_start_records_deliveries(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    maintenance = schedule(page, actor)
    maintenances.update_maintenance(maintenance, auto_transition=True,  # type: ignore[arg-type]
                                    actor=actor)

    events = maintenances.advance_due_maintenances(timezone.now() + dt.timedelta(days=1, minutes=1))

    assert [e.status for e in events] == [MaintenanceStatus.IN_PROGRESS]
    assert Delivery.objects.filter(maintenance_event=events[0]).count() == 2


def test_recording_twice_adds_nothing(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    incident = open_one(page, actor)
    event = incident.latest_event
    assert event is not None

    with transaction.atomic():
        outbox.record_incident_event(event)

    assert Delivery.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_recording_outside_transaction_raises(
    page: Page, actor: Actor, scripted: ScriptedChannel
) -> None:
    incident = open_one(page, actor)
    assert incident.latest_event is not None

    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.record_incident_event(incident.latest_event)


def test_commit_queues_sending(
    page: Page, actor: Actor, scripted: ScriptedChannel,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[attr-defined]
        open_one(page, actor)

    assert outbox.enqueue_sending in callbacks


def test_no_recipients_queues_nothing(
    page: Page, actor: Actor, scripted: ScriptedChannel,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    scripted.people = []
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[attr-defined]
        open_one(page, actor)

    assert Delivery.objects.count() == 0
    assert outbox.enqueue_sending not in callbacks
