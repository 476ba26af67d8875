"""`heliograph-admin import statuspage|cachet --page SLUG PATH...`: bring a page over.

The command reads every path first. When one is unreadable or of an unknown shape, it stops
with one line naming the file and the field. Then it imports everything in one transaction and
prints what it created, updated, left unchanged and skipped, with the reasons. See
docs/importing.md.
"""

from __future__ import annotations

import argparse
import zoneinfo
from collections.abc import Callable
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from heliograph.domain.audit import Actor
from heliograph.domain.errors import DomainError
from heliograph.domain.management.commands._common import find_user, option_error
from heliograph.domain.models import Page
from heliograph.domain.validation import check_slug, time_zone_names
from heliograph.importers.apply import KIND_LABELS, OUTCOMES, Report
from heliograph.importers.models import Source
from heliograph.importers.records import InputError, SourceBatch
from heliograph.importers.run import import_batch, read_source

SOURCE_NAMES = {Source.STATUSPAGE: "Statuspage", Source.CACHET: "Cachet"}
# Domain field names and the options of `import` that carry them.
CREATE_OPTIONS = {"slug": "--page", "title": "--title", "time_zone": "--time-zone"}
LISTED_LINES = 20


def zone_name(raw: str) -> str:
    if raw not in time_zone_names():
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a known IANA time zone name: use a name such as 'UTC' or "
            "'Europe/Berlin'.")
    return raw


class Command(BaseCommand):
    help = "Import components, incidents and maintenances from Statuspage or Cachet JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sources = parser.add_subparsers(dest="source", required=True,
                                        metavar="{statuspage,cachet}")
        statuspage = sources.add_parser(
            "statuspage", help="import Statuspage public API v2 JSON",
            description="Import Statuspage public API v2 JSON: summary.json, incidents.json, "
                        "scheduled-maintenances.json, components.json, single-incident files, "
                        "folders of them, or a page's base URL such as "
                        "https://www.githubstatus.com.",
        )
        cachet = sources.add_parser(
            "cachet", help="import Cachet 2.x API JSON",
            description="Import Cachet 2.x API JSON (components, component groups, incidents "
                        "with their updates, schedules): files, folders of them, or a Cachet "
                        "installation's base URL.",
        )
        cachet.add_argument(
            "--source-time-zone", type=zone_name, default="UTC", metavar="ZONE",
            help="the time zone of Cachet's times, which carry no UTC offset: Cachet's "
                 "APP_TIMEZONE (default: UTC)")
        for sub in (statuspage, cachet):
            self._common_arguments(sub)

    def _common_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH",
                            help="a JSON file, a folder of JSON files, or a base URL")
        parser.add_argument("--page", required=True, metavar="SLUG",
                            help="the Heliograph page to import into")
        parser.add_argument("--owner", metavar="EMAIL",
                            help="create the page, owned by this existing user, if it does "
                                 "not exist")
        parser.add_argument("--title", help="the title of a page created by --owner (default: "
                                            "the source page's name)")
        parser.add_argument("--time-zone", type=zone_name, metavar="ZONE",
                            help="the time zone of a page created by --owner (default: the "
                                 "source page's, else UTC)")
        parser.add_argument("--keep-html", action="store_true",
                            help="keep HTML tags in texts as they are, instead of turning "
                                 "<strong>, <a>, <br> and lists into Markdown")
        parser.add_argument("--dry-run", action="store_true",
                            help="show what the import would do, and save nothing")
        parser.add_argument("--list-all", action="store_true",
                            help=f"list every skipped object and note, not only the first "
                                 f"{LISTED_LINES}")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Source(options["source"])
        page, create = self._target(options)
        zone = zoneinfo.ZoneInfo(options.get("source_time_zone") or "UTC")
        try:
            batch = read_source(source, options["paths"], source_zone=zone)
        except InputError as error:
            raise CommandError(str(error)) from None
        actor = Actor.system(f"heliograph-admin import {source}")
        terminal = self.stdout.isatty()
        try:
            if terminal:
                page, report = self._import_with_progress(batch, page, create, actor, options)
            else:
                page, report = import_batch(batch, page=page, create=create, actor=actor,
                                            keep_html=options["keep_html"],
                                            dry_run=options["dry_run"])
        except DomainError as error:
            raise option_error(error, CREATE_OPTIONS) from None
        except OperationalError as error:
            # SQLite's busy timeout ran out while another write, such as another import,
            # kept the database locked.
            if "locked" not in str(error):
                raise
            raise CommandError("the database is locked by another write that is still "
                               "running, such as another import: try again when it has "
                               "finished. Nothing was imported.") from None
        self._print_report(source, batch, page, report, dry_run=options["dry_run"],
                           list_all=options["list_all"] or options["verbosity"] > 1)

    def _target(self, options: dict[str, Any]) -> tuple[Page | None, dict[str, Any] | None]:
        slug = options["page"].strip().lower()
        page = Page.objects.filter(slug=slug).first()
        if page is not None:
            return page, None
        if not options["owner"]:
            raise CommandError(
                f"--page: no page has the slug {slug!r}. Create it with `heliograph-admin page "
                "create`, or add --owner EMAIL to create it with the import."
            )
        try:
            check_slug(slug, field="slug")
        except DomainError as error:
            raise option_error(error, CREATE_OPTIONS) from None
        owner = find_user(options["owner"], option="--owner")
        return None, {"slug": slug, "owner": owner, "title": options["title"],
                      "time_zone": options["time_zone"]}

    def _import_with_progress(self, batch: SourceBatch, page: Page | None,
                              create: dict[str, Any] | None, actor: Actor,
                              options: dict[str, Any]) -> tuple[Page, Report]:
        # Django's wrapper adds line endings to every write, so rich draws on the stream inside.
        console = Console(file=cast(IO[str], self.stdout._out), force_terminal=True)
        columns = (TextColumn("Importing"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            def start(total: int) -> Callable[[], None]:
                task = progress.add_task("import", total=total)
                return lambda: progress.advance(task)

            return import_batch(batch, page=page, create=create, actor=actor,
                                keep_html=options["keep_html"], dry_run=options["dry_run"],
                                progress=start)

    def _print_report(self, source: Source, batch: SourceBatch, page: Page, report: Report, *,
                      dry_run: bool, list_all: bool) -> None:
        write = self.stdout.write
        files = len(batch.files)
        file_count = f"{files} file{'s' if files != 1 else ''}"
        if dry_run:
            write(f"Dry run: nothing was saved. Importing {SOURCE_NAMES[source]} data from "
                  f"{file_count} into page {page.slug!r} would do this:")
        else:
            write(f"Imported {SOURCE_NAMES[source]} data from {file_count} into page {page.slug!r} "
                  f"({page.title}):")
        width = max(len(label) for label in KIND_LABELS.values())
        write("  " + " " * width + "".join(f"{outcome:>11}" for outcome in OUTCOMES))
        for kind, label in KIND_LABELS.items():
            counts = report.counts[kind]
            write(f"  {label:<{width}}" + "".join(f"{counts[outcome]:>11}"
                                                   for outcome in OUTCOMES))
        self._list("Skipped", report.skipped, list_all)
        self._list("Notes", report.notes, list_all)
        if not report.changed() and not dry_run:
            write("Nothing changed: the page already matches the source.")

    def _list(self, title: str, lines: list[str], list_all: bool) -> None:
        if not lines:
            return
        self.stdout.write(f"{title} ({len(lines)}):")
        listed = lines if list_all else lines[:LISTED_LINES]
        for line in listed:
            self.stdout.write(f"  - {line}")
        if len(listed) < len(lines):
            self.stdout.write(f"  … and {len(lines) - len(listed)} more: add --list-all to "
                              "list them all.")
