"""Measure the fan-out of one incident event to many e-mail and webhook subscribers.

Creates a page with 10,000 confirmed e-mail subscribers and 1,000 webhook subscribers in a
fresh data directory, starts an SMTP sink (aiosmtpd) and a webhook receiver on 127.0.0.1, and
real `heliograph-admin worker` processes. It then opens an incident, which records one delivery
per subscriber, and counts at the sinks until every message has arrived or the time limit
passes. It prints the time to record the deliveries, the time until the last message arrived,
the messages per second, and any message missing or received twice.

    .venv/bin/python bench/fanout.py
    .venv/bin/python bench/fanout.py --workers 2 --threads 8 --emails 10000 --webhooks 1000
    .venv/bin/python bench/fanout.py --redis redis://127.0.0.1:6379/9 \\
        --postgres postgres://postgres@127.0.0.1:5432/bench_fanout

Target: everything delivered within 60 seconds, nothing twice.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ADMIN = REPO / ".venv" / "bin" / "heliograph-admin"


class Counts:
    """Messages received per recipient, shared by the sink threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_recipient: collections.Counter[str] = collections.Counter()
        self.last_at = 0.0

    def add(self, recipient: str) -> None:
        with self.lock:
            self.by_recipient[recipient] += 1
            self.last_at = time.perf_counter()

    def total(self) -> int:
        with self.lock:
            return sum(self.by_recipient.values())


class SmtpSink:
    """An aiosmtpd handler that counts each recipient of each message."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            self.counts.add(f"mail:{recipient.lower()}")
        return "250 OK"


def webhook_receiver(counts: Counts) -> ThreadingHTTPServer:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            counts.add(f"hook:{self.path}")
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=10_000, help="e-mail subscribers")
    parser.add_argument("--webhooks", type=int, default=1_000, help="webhook subscribers")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads per worker process (default 8)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the last message (default 120)")
    parser.add_argument("--redis", metavar="URL", help="REDIS_URL for the task queue")
    parser.add_argument("--postgres", metavar="URL",
                        help="DATABASE_URL of an empty PostgreSQL database to use")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    counts = Counts()

    from aiosmtpd.controller import Controller

    smtp_port = free_port()
    smtp = Controller(SmtpSink(counts), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    receiver = webhook_receiver(counts)
    hook_port = receiver.server_address[1]

    data_dir = tempfile.mkdtemp(prefix="heliograph-fanout-")
    env = {
        **os.environ,
        "HELIOGRAPH_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "WARNING",
    }
    for name, value in (("REDIS_URL", options.redis), ("DATABASE_URL", options.postgres)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    os.environ.update(env)
    for name in ("REDIS_URL", "DATABASE_URL"):
        if name not in env:
            os.environ.pop(name, None)

    import django

    sys.path.insert(0, str(REPO))
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    page, services = create_subscribers(options, hook_port)

    workers = [subprocess.Popen([str(ADMIN), "worker", "--threads", str(options.threads)],
                                env=env, cwd=data_dir, stderr=subprocess.DEVNULL)
               for _ in range(options.workers)]
    try:
        time.sleep(3)  # the consumers start and begin polling the queue
        report = fan_out(options, page, services, counts)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        smtp.stop()
        receiver.shutdown()
    print_report(options, report, counts)
    return 0 if report["complete"] and not report["twice"] else 1


def create_subscribers(options: argparse.Namespace, hook_port: int) -> tuple[Any, list[Any]]:
    from django.utils import timezone

    from heliograph.accounts.models import User
    from heliograph.domain import pages
    from heliograph.domain.audit import Actor
    from heliograph.notifications.models import Subscriber, WebhookSubscriber

    user = User.objects.create_user("bench@example.com", "bench password 1234")
    actor = Actor.of_user(user)
    page = pages.create_page("fanout", title="Fan-out bench", owner=user, actor=actor)
    services = [pages.add_service(page, name=f"Service {n}", actor=actor) for n in range(3)]
    now = timezone.now()
    Subscriber.objects.bulk_create([
        Subscriber(page=page, email=f"reader{n}@example.com", confirmed_at=now)
        for n in range(options.emails)
    ], batch_size=2000)
    WebhookSubscriber.objects.bulk_create([
        WebhookSubscriber(page=page, url=f"http://127.0.0.1:{hook_port}/hook/{n}")
        for n in range(options.webhooks)
    ], batch_size=2000)
    return page, services


def fan_out(options: argparse.Namespace, page: Any, services: list[Any],
            counts: Counts) -> dict[str, Any]:
    from heliograph.domain import incidents
    from heliograph.domain.audit import Actor
    from heliograph.domain.vocab import State, Status
    from heliograph.notifications.models import Delivery

    expected = options.emails + options.webhooks
    started = time.perf_counter()
    incidents.open_incident(page, title="Database down", text="We are looking into it.",
                            state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING,
                            services=services[:1], actor=Actor.system("bench"))
    recorded = time.perf_counter()
    deadline = started + options.timeout
    while counts.total() < expected and time.perf_counter() < deadline:
        time.sleep(0.2)
    # Wait a little longer for messages sent twice, which would arrive after the last one.
    time.sleep(2)
    statuses = collections.Counter(Delivery.objects.values_list("status", flat=True))
    with counts.lock:
        received = dict(counts.by_recipient)
        last_at = counts.last_at
    return {
        "expected": expected,
        "record_seconds": recorded - started,
        "total_seconds": (last_at or time.perf_counter()) - started,
        "received": sum(received.values()),
        "distinct": len(received),
        "twice": sum(1 for count in received.values() if count > 1),
        "complete": len(received) == expected,
        "statuses": dict(statuses),
    }


def print_report(options: argparse.Namespace, report: dict[str, Any], counts: Counts) -> None:
    seconds = report["total_seconds"]
    rate = report["received"] / seconds if seconds > 0 else 0.0
    print(f"Fan-out of one incident event: {options.emails} e-mail and {options.webhooks} "
          f"webhook subscribers, {options.workers} workers x {options.threads} threads, "
          f"queue {'Redis' if options.redis else 'SQLite'}, "
          f"database {'PostgreSQL' if options.postgres else 'SQLite'}.")
    print(f"  deliveries recorded (in the event's transaction): {report['record_seconds']:.1f} s")
    print(f"  last message received after:                      {seconds:.1f} s")
    print(f"  messages received: {report['received']} of {report['expected']} "
          f"({report['distinct']} distinct), {rate:.0f} per second")
    print(f"  received twice: {report['twice']}; missing: "
          f"{report['expected'] - report['distinct']}")
    print(f"  delivery rows by status: {report['statuses']}")
    within = report["complete"] and seconds <= 60
    print(f"  target (all within 60 s, none twice): "
          f"{'met' if within and not report['twice'] else 'missed'}")


if __name__ == "__main__":
    sys.exit(main())
