"""`heliograph-admin figures rebuild`: store the per-day outage figures again from the events."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heliograph.domain import day_figures
from heliograph.domain.management.commands._common import find_page
from heliograph.domain.models import Page


class Command(BaseCommand):
    help = (
        "Rebuild the table of per-day outage figures from the incidents and their events, "
        "for one page or all. Run it after an upgrade that adds the table, or after changing "
        "incidents outside Heliograph's own functions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{rebuild}")
        rebuild = actions.add_parser("rebuild", help="store every finished day again",
                                     description="Store every finished day again.")
        rebuild.add_argument("--page", metavar="SLUG", help="only this page (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["page"]:
            pages = [find_page(options["page"], option="--page")]
        else:
            pages = list(Page.objects.order_by("slug"))
        for page in pages:
            through = day_figures.rebuild(page)
            self.stdout.write(f"Page {page.slug}: figures stored up to {through.isoformat()}.")
