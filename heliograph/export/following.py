"""Export followed pages again after each change, once per change however many workers run.

A change to a page sends `page_changed` after its transaction commits. For a followed page
that schedules `reexport` a few seconds later, so a burst of changes costs one export. Each
worker that runs the task claims the page's `ExportTarget` with a conditional UPDATE. Only one
claim succeeds at a time, and the others return at once. After its export, the claimant
releases the claim and looks again: a change made while it was exporting is exported next,
by it or by the task that the change scheduled. A claim that outlives a crashed worker expires
after CLAIM_SECONDS, and the minute-by-minute sweep exports any page still behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import Path
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from heliograph.domain.models import Page
from heliograph.export.models import ExportTarget
from heliograph.export.site import ExportError, export_page

logger = logging.getLogger(__name__)

# Changes within this many seconds of each other share one export.
DEBOUNCE_SECONDS = 2
# A worker's claim on a page lasts this long; an export of a large page takes seconds.
CLAIM_SECONDS = 600


def schedule_reexport(sender: Any, page_id: int, **kwargs: Any) -> None:
    """Schedule a re-export of a followed page; connected to `page_changed`."""
    if not ExportTarget.objects.filter(page_id=page_id).exists():
        return
    from heliograph.export.tasks import reexport

    reexport.schedule(args=(page_id,), delay=DEBOUNCE_SECONDS)


def follow(page: Page, directory: Path) -> ExportTarget:
    """Record that the worker re-exports `page` into `directory` after each change."""
    target, _created = ExportTarget.objects.update_or_create(
        page=page, defaults={"directory": str(directory), "last_error": ""},
    )
    return target


def stop_following(page: Page) -> bool:
    """Stop re-exporting `page`; return whether it was followed."""
    deleted, _ = ExportTarget.objects.filter(page=page).delete()
    return deleted > 0


def _claim(target: ExportTarget, now: dt.datetime) -> str | None:
    token = secrets.token_hex(8)
    claimed = (
        ExportTarget.objects.filter(pk=target.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS), claim_token=token)
    )
    return token if claimed else None


def reexport_if_changed(page_id: int) -> int:
    """Export a followed page while its version is ahead of the export; return how many ran.

    Returns 0 when the page is not followed, is up to date, or another worker holds the claim.
    """
    count = 0
    while True:
        target = ExportTarget.objects.select_related("page").filter(page_id=page_id).first()
        if target is None or target.exported_version >= target.page.version:
            return count
        token = _claim(target, timezone.now())
        if token is None:
            return count
        # The version is read after the claim and before rendering, so the export shows this
        # version or a newer one, never an older one.
        page = Page.objects.get(pk=page_id)
        try:
            result = export_page(page, Path(target.directory))
        except (ExportError, OSError) as error:
            logger.error("export of page %s to %s failed: %s", page.slug, target.directory,
                         error)
            ExportTarget.objects.filter(pk=target.pk, claim_token=token).update(
                last_error=str(error)[:2000], claimed_until=None, claim_token="",
            )
            return count
        ExportTarget.objects.filter(pk=target.pk, claim_token=token).update(
            exported_version=result.page_version, exported_at=timezone.now(), last_error="",
            claimed_until=None, claim_token="",
        )
        count += 1


def behind_page_ids() -> list[int]:
    """Return the followed pages whose export is older than their current version."""
    return list(
        ExportTarget.objects.filter(exported_version__lt=F("page__version"))
        .values_list("page_id", flat=True)
    )
