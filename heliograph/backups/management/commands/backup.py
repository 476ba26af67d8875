"""`heliograph-admin backup DIR`: a consistent snapshot of the installation, taken while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.backups.manifest import BackupError
from heliograph.backups.operations import take_backup


class Command(BaseCommand):
    help = ("Write a consistent backup of the database, the uploads and the generated secret "
            "key into a new directory, while the server keeps running.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR",
                            help="new or empty directory to write the backup into")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            manifest = take_backup(directory)
        except BackupError as error:
            raise CommandError(f"DIR: {error}") from None
        total = sum(entry["size"] for entry in manifest.files)
        self.stdout.write(
            f"Backed up the {manifest.engine} database and the uploads: {len(manifest.files)} "
            f"files, {total} bytes, to {directory} at {manifest.created_at}."
        )
        if manifest.key_file_included:
            self.stdout.write("The backup contains the generated secret key: keep it as "
                              "private as the database.")
