"""`heliograph-admin export --page SLUG DIR`: write a page's public site as static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.domain.management.commands._common import find_page
from heliograph.export import following
from heliograph.export.site import ExportError, export_page


class Command(BaseCommand):
    help = (
        "Write the public site of a page (pages, assets, JSON, feeds, calendar, badges) as "
        "static files in DIR, replacing any earlier export in one step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--page", required=True, metavar="SLUG", help="the page to export")
        parser.add_argument("directory", nargs="?", metavar="DIR",
                            help="directory of the export; it becomes a symbolic link to the "
                                 "latest complete export")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--follow", action="store_true",
                          help="also have the worker export the page into DIR again after "
                               "each change")
        mode.add_argument("--stop-following", action="store_true",
                          help="stop the worker's exports of the page (DIR is not needed)")

    def handle(self, *args: Any, **options: Any) -> None:
        page = find_page(options["page"], option="--page")
        if options["stop_following"]:
            if following.stop_following(page):
                self.stdout.write(f"The worker no longer exports page {page.slug}.")
            else:
                self.stdout.write(f"Page {page.slug} was not followed; nothing changed.")
            return

        if not options["directory"]:
            raise CommandError("DIR: missing. Give the directory to export into, such as "
                               f"`heliograph-admin export --page {page.slug} /srv/status`.")
        directory = Path(options["directory"]).absolute()
        try:
            result = export_page(page, directory)
        except ExportError as error:
            raise CommandError(str(error)) from error
        if options["follow"]:
            target = following.follow(page, directory)
            target.exported_version = result.page_version
            target.save(update_fields=["exported_version"])
        self.stdout.write(
            f"Exported page {page.slug} (version {result.page_version}): "
            f"{len(result.files)} files in {directory}."
        )
        if options["follow"]:
            self.stdout.write("The worker exports the page again after each change.")
