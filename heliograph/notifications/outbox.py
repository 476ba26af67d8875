"""Record deliveries in the transaction of the change that causes them.

The domain functions call one of the `record_*` functions inside their own transaction, so a
delivery exists exactly when its event does. Sending happens later, in the worker
(`heliograph.notifications.sending`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone

from heliograph.domain.models import IncidentEvent, Maintenance, MaintenanceEvent
from heliograph.notifications import channels
from heliograph.notifications.channels import Kind, Notice
from heliograph.notifications.models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

# How long the worker keeps retrying a delivery before marking it failed.
GIVE_UP_AFTER = dt.timedelta(hours=24)
# Tasks queued per recorded notice. Each claims and sends batches until none is due, so up to
# this many worker threads, over all worker processes, send at once.
SENDING_TASKS = 16


def record_incident_event(event: IncidentEvent) -> int:
    """Record the deliveries of a new incident event (including the first and the closing one)."""
    incident = event.incident
    if event.services_override:
        service_ids = frozenset(event.services.values_list("pk", flat=True))
    else:
        service_ids = frozenset(incident.services.values_list("pk", flat=True))
    notice = Notice(page=incident.page, kind=Kind.INCIDENT_EVENT, service_ids=service_ids,
                    incident_event=event)
    return _record(notice, source=f"incident_event:{event.pk}",
                   incident=incident, incident_event=event)


def record_maintenance_scheduled(maintenance: Maintenance) -> int:
    """Record the deliveries that announce a newly scheduled maintenance."""
    notice = Notice(
        page=maintenance.page, kind=Kind.MAINTENANCE_SCHEDULED,
        service_ids=frozenset(maintenance.services.values_list("pk", flat=True)),
        maintenance=maintenance,
    )
    return _record(notice, source=f"maintenance:{maintenance.pk}", maintenance=maintenance)


def record_maintenance_event(event: MaintenanceEvent) -> int:
    """Record the deliveries of a new maintenance event, posted by an editor or the worker."""
    maintenance = event.maintenance
    notice = Notice(
        page=maintenance.page, kind=Kind.MAINTENANCE_EVENT,
        service_ids=frozenset(maintenance.services.values_list("pk", flat=True)),
        maintenance=maintenance, maintenance_event=event,
    )
    return _record(notice, source=f"maintenance_event:{event.pk}", maintenance=maintenance,
                   maintenance_event=event)


def _record(notice: Notice, *, source: str, **links: object) -> int:
    """Add one pending delivery per channel and recipient, and send them once the caller commits.

    Return the number of deliveries; an already recorded one is not added again.

    Must run inside the caller's transaction: if it rolls back, so do the deliveries.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("deliveries are recorded inside the transaction of their event")
    now = timezone.now()
    rows = [
        (channel.name, recipient.key, recipient.label[:320],
         f"{source}:{channel.name}:{recipient.key}")
        for channel in channels.registered()
        for recipient in {r.key: r for r in channel.recipients(notice)}.values()
    ]
    if not rows:
        return 0
    shared = {
        "page": notice.page, "kind": notice.kind, "status": DeliveryStatus.PENDING,
        "due_at": now, "created_at": now, "give_up_at": now + GIVE_UP_AFTER,
        "attempt_count": 0, "claim_token": "", "last_error": "", **links,
    }
    _insert_pending(rows, shared)
    logger.info("recorded %d deliveries for %s on page %s", len(rows), source,
                notice.page.slug)
    transaction.on_commit(enqueue_sending)
    return len(rows)


def _insert_pending(rows: list[tuple[str, str, str, str]], shared: dict[str, object]) -> None:
    """Insert deliveries in one statement, skipping idempotency keys that exist.

    Each row is (channel, recipient, recipient_label, idempotency_key), and `shared` sets the
    other fields, the same for every row. Building a model instance per row and letting
    `bulk_create` prepare every value took 13 seconds for 11,000 rows under cProfile, so the
    shared values are prepared once here and the rows are passed as plain strings. One statement
    with thousands of placeholders is avoided too, because psycopg took seconds to parse it.
    """
    connection = transaction.get_connection()
    shared_fields = [_field(name) for name in shared]
    shared_values = [
        field.get_db_prep_save(value.pk if isinstance(value, Model) else value, connection)
        for field, value in zip(shared_fields, shared.values(), strict=True)
    ]
    columns = [_field(name).column for name in
               ("channel", "recipient", "recipient_label", "idempotency_key")]
    columns += [field.column for field in shared_fields]
    quote = connection.ops.quote_name
    # The table and column names come from the model, quoted; every value is a parameter.
    # ON CONFLICT DO NOTHING (PostgreSQL, and SQLite since 3.24) keeps a second recording of
    # the same notice from adding a duplicate.
    head = (f"INSERT INTO {quote(Delivery._meta.db_table)} "
            f"({', '.join(quote(column) for column in columns)}) ")
    shared_placeholders = ", ".join(["%s"] * len(shared_values))
    # One statement on PostgreSQL, with the varying values as four arrays: 11,000 single-row
    # statements took seconds there, even pipelined.
    unnested = (head + f"SELECT u.c, u.r, u.l, u.k, {shared_placeholders} "  # noqa: S608
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS u(c, r, l, k) "
                "ON CONFLICT DO NOTHING")
    single_row = (head + f"VALUES (%s, %s, %s, %s, {shared_placeholders}) "
                  "ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(unnested, [*shared_values, *arrays])
        else:
            cursor.executemany(single_row, [(*row, *shared_values) for row in rows])


def _field(name: str) -> Field[object, object]:
    field = Delivery._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def enqueue_sending() -> None:
    """Queue `SENDING_TASKS` tasks that send the due deliveries side by side.

    A task that finds nothing due ends at once. The periodic sweep sends any delivery that
    the tasks miss.
    """
    # Imported here because the tasks module imports Huey's Django integration.
    from heliograph.notifications.tasks import send_deliveries

    for _ in range(SENDING_TASKS):
        send_deliveries()
