"""`heliograph-admin restore DIR`: bring a backup back into an empty installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.backups.manifest import BackupError
from heliograph.backups.operations import restore_backup


class Command(BaseCommand):
    help = ("Restore a backup written by `heliograph-admin backup` into this installation, "
            "after checking its checksums. Stop the server and the worker first.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="directory of the backup")
        parser.add_argument("--force", action="store_true",
                            help="replace the data of an installation that already has pages "
                                 "or users")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            restored = restore_backup(directory, force=options["force"])
        except BackupError as error:
            raise CommandError(f"DIR: {error}") from None
        manifest = restored.manifest
        self.stdout.write(f"Restored the backup taken at {manifest.created_at} by Heliograph "
                          f"{manifest.heliograph_version} from {directory}.")
        if restored.pending_migrations:
            self.stdout.write(f"The backup predates {len(restored.pending_migrations)} "
                              "migrations of this version: run `heliograph-admin migrate` now.")
        if not restored.key_file_restored:
            self.stdout.write(
                "Set SECRET_KEY (or SECRET_KEY_FALLBACKS) to the key of the backed-up "
                "installation: without it, two-factor logins, linked social accounts and "
                "Runstatus credentials cannot be used."
            )
