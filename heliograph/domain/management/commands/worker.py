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
        queue_catch_up()
        call_command("run_huey", workers=options["threads"], worker_type="thread")


def queue_catch_up() -> None:
    """Queue a sending of the due deliveries now, and another once a lease has run out.

    After a restart, what was recorded while no worker ran goes out at once instead of at
    the next minute's sweep, and what a worker that died had claimed goes out as soon as its
    claim lapses.
    """
    from heliograph.notifications.tasks import send_deliveries

    send_deliveries()
    send_deliveries.schedule(delay=settings.HELIOGRAPH_DELIVERY_LEASE_SECONDS + 1)
