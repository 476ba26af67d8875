"""`heliograph-admin finger`: serve the status of public pages over finger (RFC 1288)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heliograph.domain.management.commands.serve import port_number, worker_count
from heliograph.public.finger import MAX_CONNECTIONS, REQUEST_TIMEOUT, FingerServer, Limits


def seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds.") from None
    if not 0.1 <= value <= 60:
        raise argparse.ArgumentTypeError(f"{value:g} is out of range: give 0.1 to 60 seconds.")
    return value


class Command(BaseCommand):
    help = ("Answer finger queries (RFC 1288) with the status of public pages: "
            "`finger acme@host` for one page, `finger @host` for the list.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1",
                            help="IP address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
        parser.add_argument("--port", type=port_number, default=79,
                            help="TCP port (default: 79, the finger port, which needs root or "
                                 "CAP_NET_BIND_SERVICE)")
        parser.add_argument("--max-connections", type=worker_count, default=MAX_CONNECTIONS,
                            help="clients served at once; others get a busy line "
                                 f"(default: {MAX_CONNECTIONS})")
        parser.add_argument("--timeout", type=seconds, default=REQUEST_TIMEOUT,
                            help="seconds a client has to send its query "
                                 f"(default: {REQUEST_TIMEOUT:g})")

    def handle(self, *args: Any, **options: Any) -> None:
        limits = Limits(timeout=options["timeout"], connections=options["max_connections"])
        # The signal handlers stop the server on Ctrl-C; this covers a Ctrl-C during start-up.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve(options["host"], options["port"], limits))

    async def serve(self, host: str, port: int, limits: Limits) -> None:
        server = FingerServer(limits)
        try:
            bound = await server.start(host, port)
        except OSError as error:
            await server.close()
            raise CommandError(self.bind_problem(host, port, error)) from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        shown_host = f"[{host}]" if ":" in host else host
        self.stderr.write(f"Answering finger queries on {shown_host} port {bound} (at most "
                          f"{limits.connections} clients at once). Ctrl-C stops it.",
                          style_func=str)
        await stop.wait()
        await server.close()
        self.stderr.write("Stopped the finger server.", style_func=str)

    def bind_problem(self, host: str, port: int, error: OSError) -> str:
        if error.errno == errno.EADDRINUSE:
            return (f"--port: cannot listen on {host} port {port} ({error.strerror}). Stop the "
                    "program that uses it, or choose another port with --port.")
        if error.errno == errno.EACCES:
            return (f"--port: listening on port {port} needs root or CAP_NET_BIND_SERVICE "
                    f"({error.strerror}). Choose a port above 1023, such as --port 7979.")
        return (f"--host: cannot listen on {host} port {port} ({error.strerror or error}). "
                "Give an address of this machine, such as 127.0.0.1 or 0.0.0.0.")
