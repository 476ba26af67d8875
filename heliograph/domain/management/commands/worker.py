"""`heliograph-admin worker`: run the background jobs.

This is Huey's consumer (`run_huey`): it runs the queued tasks (notifications and other
deferred work) and the periodic tasks, such as the minute-by-minute start and completion of
maintenances that follow their window (heliograph/domain/tasks.py).
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from heliograph.domain.management.commands.serve import worker_count


class Command(BaseCommand):
    help = "Run the background jobs: queued tasks and the periodic tasks (Huey's consumer)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = cast(dict[str, int], settings.HUEY["consumer"])["workers"]
        parser.add_argument(
            "--threads", type=worker_count, default=default,
            help=f"tasks run at once, one thread each (default: HELIOGRAPH_WORKER_THREADS, "
                 f"now {default})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue = "Redis" if settings.REDIS_URL else settings.HUEY.get("filename", "SQLite")
        threads = options["threads"]
        self.stderr.write(
            f"Running the background jobs with {threads} thread{'s' if threads > 1 else ''}, "
            f"queue: {queue}.",
            style_func=str,
        )
        call_command("run_huey", workers=options["threads"], worker_type="thread")
