"""The record of what an import brought in, so that a later run updates instead of duplicating."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from heliograph.domain.models import Page


class Source(models.TextChoices):
    STATUSPAGE = "statuspage", "Statuspage"
    CACHET = "cachet", "Cachet"


class Kind(models.TextChoices):
    GROUP = "group", "component group"
    SERVICE = "service", "component"
    INCIDENT = "incident", "incident"
    INCIDENT_UPDATE = "incident_update", "incident update"
    MAINTENANCE = "maintenance", "maintenance"
    MAINTENANCE_UPDATE = "maintenance_update", "maintenance update"


class ImportedObject(models.Model):
    """One object of the source (an incident, an update, a component) and what it became here.

    `object_id` is the primary key of the Heliograph object of the matching model: a
    ServiceGroup, Service, Incident, IncidentEvent, Maintenance or MaintenanceEvent. It is None
    for a maintenance update that became the maintenance's description rather than an event.
    `applied` contains the values the source gave when they were last applied (long texts as
    hashes). A later run changes only the fields whose source value differs from it, so edits
    made in Heliograph since then are kept unless the source changed the same field.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    # A `Source` and a `Kind`; new values need no migration, so the fields list no choices.
    source = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    external_id = models.CharField(max_length=200)
    object_id = models.BigIntegerField(null=True)
    applied = models.JSONField(default=dict)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "source", "kind", "external_id"], name="imported_object_unique"
            )
        ]
        indexes = [
            models.Index(fields=["page", "source", "kind", "object_id"],
                         name="imported_object_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id} -> {self.object_id}"
