"""Pages that the worker exports again after each change, and where."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from heliograph.domain.models import Page


class ExportTarget(models.Model):
    """A page followed by the worker: each change re-exports it into `directory`."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="export_target")
    # Absolute path of the exported site; a symbolic link to the latest complete export.
    directory = models.CharField(max_length=4096)
    # The page version that the latest finished export started from; 0 before the first.
    exported_version = models.PositiveBigIntegerField(default=0)
    exported_at = models.DateTimeField(null=True, blank=True)
    # A worker that exports the page holds the claim until it finishes or the time passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.page_id} -> {self.directory}"
