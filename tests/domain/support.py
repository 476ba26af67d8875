"""Helpers of the domain tests: a record of a page's rows, failing writes, local times."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from heliograph.domain.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    Maintenance,
    MaintenanceEvent,
    Page,
    Service,
)

# A Tuesday, away from any DST change in the zones the tests use.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def local_time(zone: str, year: int, month: int, day: int, hour: int = 0,
               minute: int = 0) -> dt.datetime:
    """Return the UTC instant of a wall-clock time in the named zone."""
    local = dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def footprint(page: Page) -> dict[str, Any]:
    """Return the rows on a page and its version, to show that a rejected call changed nothing."""
    return {
        "incidents": list(
            Incident.objects.filter(page=page)
            .order_by("pk")
            .values_list("pk", "title", "state", "status", "closed_at", "latest_event")
        ),
        "incident_events": IncidentEvent.objects.filter(incident__page=page).count(),
        "maintenances": list(
            Maintenance.objects.filter(page=page)
            .order_by("pk")
            .values_list("pk", "status", "starts_at", "ends_at")
        ),
        "maintenance_events": MaintenanceEvent.objects.filter(maintenance__page=page).count(),
        "services": list(
            Service.objects.filter(page=page).order_by("pk").values_list("name", "start_date")
        ),
        "audit_entries": AuditEntry.objects.filter(page=page).count(),
        "version": Page.objects.values_list("version", flat=True).get(pk=page.pk),
    }


def audited(action: str, object_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the before and after of the one audit entry of `action` on `object_id`."""
    entry = AuditEntry.objects.get(action=action, object_id=object_id)
    return entry.before or {}, entry.after or {}


@contextmanager
def failing_inserts(table: str) -> Iterator[None]:
    """Make the database itself reject every insert into `table` until the block ends.

    A trigger is the database failing for real, halfway through a domain function's
    transaction, without patching any of our code.
    """
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION reject_insert() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'insert rejected by test trigger'; END $$",
            f"CREATE TRIGGER reject_insert BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reject_insert()",
        ]
        drop = [f"DROP TRIGGER reject_insert ON {table}", "DROP FUNCTION reject_insert()"]
    else:
        create = [
            f"CREATE TRIGGER reject_insert BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'insert rejected by test trigger'); END"
        ]
        drop = ["DROP TRIGGER reject_insert"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)
