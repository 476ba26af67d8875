"""`heliograph-admin serve`: run Heliograph under Granian, the production HTTP server.

Granian runs `heliograph.asgi:application` with its ASGI interface: the response cache of
`heliograph.edge` sends stored public responses itself and runs Django's WSGI handler on
8 threads per worker process for everything else. Django alone was fastest under Granian's
WSGI interface with 8 threads (docs/benchmarks.md). With the cache layer, the demo front page
got 330 to 600 times the requests per second of that setup (bench/README.md).
The command collects the static files, checks that the address is free, then replaces its own
process with Granian, so signals (Ctrl-C, SIGTERM from a supervisor) reach the server directly.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.lib.config import env_str
from heliograph.lib.metrics import clear_metrics_directory

GRANIAN_LOG_LEVELS = {"critical", "error", "warning", "warn", "info", "debug"}


def port_number(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        message = f"{raw!r} is not a port number: give 1 to 65535."
        raise argparse.ArgumentTypeError(message) from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range: give 1 to 65535.")
    return port


def worker_count(raw: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        message = f"{raw!r} is not a whole number: give 1 or more."
        raise argparse.ArgumentTypeError(message) from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} is too small: give 1 or more.")
    return count


class Command(BaseCommand):
    help = "Run the production HTTP server (Granian, ASGI) after collecting the static files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1",
                            help="IP address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
        parser.add_argument("--port", type=port_number, default=8000,
                            help="TCP port to listen on (default: 8000)")
        parser.add_argument("--workers", type=worker_count, default=2,
                            help="worker processes, about one per core (default: 2)")
        parser.add_argument("--threads", type=worker_count, default=8,
                            help="requests each worker process handles at once (default: 8)")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port, workers = options["host"], options["port"], options["workers"]
        threads = options["threads"]
        self.check_address(host, port)
        call_command("collectstatic", interactive=False, verbosity=0)
        if settings.HELIOGRAPH_METRICS_DIR:
            # The counts of processes that ended before this start would otherwise be added
            # to every scrape for good.
            clear_metrics_directory(settings.HELIOGRAPH_METRICS_DIR)
        shown_host = f"[{host}]" if ":" in host else host
        self.stderr.write(
            f"Serving Heliograph on http://{shown_host}:{port}/ with {workers} worker "
            f"process{'es' if workers > 1 else ''} of {threads} threads (Granian, ASGI).",
            style_func=str,
        )
        sys.stderr.flush()
        sys.stdout.flush()
        # The ASGI application reads its thread count from the environment.
        os.environ["HELIOGRAPH_WEB_THREADS"] = str(threads)
        # A server logs one JSON object per line unless the operator chose plain lines.
        os.environ.setdefault("HELIOGRAPH_LOG_FORMAT", "json")
        # The arguments are a fixed list plus validated options, not shell text.
        os.execv(sys.executable, granian_command(host, port, workers))  # noqa: S606

    def check_address(self, host: str, port: int) -> None:
        """Reject a host that is not an IP address of this machine, or a port already in use."""
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:
            raise CommandError(
                f"--host: {host!r} is not an IP address. Give one such as 127.0.0.1, 0.0.0.0 "
                "or ::1."
            ) from None
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise CommandError(
                        f"--port: cannot listen on {host} port {port} ({error.strerror}). Stop "
                        "the program that uses it, or choose another port with --port."
                    ) from None
                raise CommandError(
                    f"--host: cannot listen on {host} port {port} ({error.strerror}). Give an "
                    "address of this machine, such as 127.0.0.1 or 0.0.0.0."
                ) from None


def granian_command(host: str, port: int, workers: int) -> list[str]:
    log_level = env_str("LOG_LEVEL", "INFO").lower()
    if log_level not in GRANIAN_LOG_LEVELS:
        log_level = "info"
    return [
        sys.executable, "-m", "granian",
        "--interface", "asgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--no-ws",
        "--respawn-failed-workers",
        "--log-level", log_level,
        "heliograph.asgi:application",
    ]
