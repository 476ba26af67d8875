"""Read a source and import it into a page in one transaction: the entry point of the importers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.validation import time_zone_names
from heliograph.importers.apply import Importer, Report
from heliograph.importers.cachet import read_cachet
from heliograph.importers.fetch import Fetcher
from heliograph.importers.models import Source
from heliograph.importers.records import SourceBatch
from heliograph.importers.statuspage import read_statuspage


def read_source(source: str, paths: Sequence[str], *, source_zone: zoneinfo.ZoneInfo | None = None,
                now: dt.datetime | None = None, fetcher: Fetcher | None = None) -> SourceBatch:
    """Read and check every path; raise InputError, before anything is written, on bad input."""
    if source == Source.STATUSPAGE:
        return read_statuspage(paths, fetcher=fetcher)
    return read_cachet(paths, source_zone=source_zone or zoneinfo.ZoneInfo("UTC"),
                       now=now or timezone.now(), fetcher=fetcher)


def import_batch(
    batch: SourceBatch,
    *,
    page: Page | None,
    actor: Actor,
    create: dict[str, Any] | None = None,
    keep_html: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], Callable[[], None]] | None = None,
) -> tuple[Page, Report]:
    """Import `batch` into `page`, or into a page made from `create`, in one transaction.

    `create` contains `slug`, `owner` and optionally `title` and `time_zone`; the title and zone
    default to the source page's. `progress`, given the number of objects, returns the
    function to call after each one. With `dry_run` everything is rolled back at the end.
    """
    with transaction.atomic():
        if page is None:
            assert create is not None
            page = create_page_for(batch, actor=actor, **create)
        else:
            # Imports into one page run one after the other: the second waits here, then
            # finds what the first recorded. (SQLite runs one write transaction at a time.)
            Page.objects.select_for_update().filter(pk=page.pk).exists()
        importer = Importer(page, batch, actor=actor, keep_html=keep_html)
        if progress is not None:
            importer.advance = progress(importer.total())
        report = importer.run()
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        page.refresh_from_db()
    return page, report


def create_page_for(batch: SourceBatch, *, slug: str, owner: Any, actor: Actor,
                    title: str | None = None, time_zone: str | None = None) -> Page:
    """Create the page an import goes into, named and zoned like the source page by default."""
    zone = time_zone
    if zone is None:
        zone = batch.page_time_zone if batch.page_time_zone in time_zone_names() else "UTC"
    return pages.create_page(slug, title=title or batch.page_name or slug, owner=owner,
                             time_zone=zone, actor=actor)
