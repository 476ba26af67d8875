"""Two workers fan an incident out to e-mail and webhook subscribers; one is killed midway.

The workers share a PostgreSQL database and a Redis queue. The database is a new one on the
server DATABASE_URL names when that is PostgreSQL, and otherwise on a PostgreSQL cluster the
tests start themselves, so the test runs in both passes of the suite. Redis is its own.

A delivery is sent at least once (see heliograph/notifications/sending.py). The only repeat
allowed is the send that a killed worker's thread had completed but not yet stored. So each
recipient gets at most two copies, both with the same Message-ID or X-Heliograph-Delivery id,
and there are at most as many repeats as the killed worker had threads.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.notifications.smtp_sink import SinkHandler
from tests.resilience.instances import database_on, machine_postgres
from tests.resilience.processes import (
    HookReceiver,
    admin,
    emails_by_recipient,
    environment,
    start_process,
    stop,
    wait_until,
)

EMAIL_SUBSCRIBERS = 400
WEBHOOK_SUBSCRIBERS = 30
DELIVERIES = EMAIL_SUBSCRIBERS + WEBHOOK_SUBSCRIBERS
THREADS = 2
LEASE_SECONDS = 10
# Deliveries the killed worker had claimed wait for their lease to expire; the worker started
# after the kill sends again one second after that. Without that sending, the minute's sweep
# would take up to about 70 s.
CATCH_UP_SECONDS = 120
SENT_LINE = re.compile(r"delivery \d+ \((?:email|webhook)\) on page acme sent$", re.MULTILINE)
READY_LINE = "Huey consumer started"

# The page, its subscribers and the incident. Opening the incident records one delivery per
# subscriber and queues one sending task. Three more are queued, so that each thread of the
# two workers takes one and both workers send at the same time.
SET_UP = """
from django.utils import timezone
from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.vocab import State, Status
from heliograph.notifications import webhooks
from heliograph.notifications.models import Subscriber
from heliograph.notifications.tasks import send_deliveries

owner = User.objects.create_user("ops@example.com", "a long passphrase")
actor = Actor.of_user(owner)
page = pages.create_page("acme", title="Acme", owner=owner, actor=actor)
Subscriber.objects.bulk_create(
    Subscriber(page=page, email=f"reader{{n}}@example.com", confirmed_at=timezone.now())
    for n in range({emails})
)
for n in range({hooks}):
    webhooks.add_webhook(page, url=f"{url}/{{n}}", flavour="json", services=None,
                         actor=actor)
incidents.open_incident(page, title="Login errors", text="Some sign-ins fail.",
                        state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING, actor=actor)
for _ in range(3):
    send_deliveries()
"""


@pytest.fixture
def fanout_database(request: pytest.FixtureRequest) -> Iterator[str]:
    machine = machine_postgres()
    if machine is not None:
        server_url, name = machine
        base_name = f"{name}_resilience"
    else:
        instance = request.getfixturevalue("own_postgres")
        server_url, base_name = instance.server_url, "heliograph_resilience"
    with database_on(server_url, base_name) as url:
        yield url


def sent_count(log: Path) -> int:
    return len(SENT_LINE.findall(log.read_text()))


def delivery_statuses(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM notifications_delivery GROUP BY status").fetchall()
    return {status: count for status, count in rows}


def test_killed_worker_loses_and_repeats_nothing(
    tmp_path: Path, fanout_database: str, own_redis: str, sink: tuple[SinkHandler, int],
    hooks: HookReceiver,
) -> None:
    handler, smtp_port = sink
    env = environment(tmp_path / "data", database_url=fanout_database, redis_url=own_redis,
                      smtp_port=smtp_port)
    env["HELIOGRAPH_DELIVERY_LEASE_SECONDS"] = str(LEASE_SECONDS)
    admin(env, "migrate", "--verbosity", "0")

    logs = [tmp_path / "first.log", tmp_path / "second.log", tmp_path / "third.log"]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs[:2]:
            workers.append(start_process(env, log, "worker", "--threads", str(THREADS)))
        wait_until(lambda: all(READY_LINE in log.read_text() for log in logs[:2]), 60,
                   "both workers to start")
        admin(env, "shell", "--command",
              SET_UP.format(emails=EMAIL_SUBSCRIBERS, hooks=WEBHOOK_SUBSCRIBERS, url=hooks.url))

        wait_until(lambda: sent_count(logs[0]) > 0 and sent_count(logs[1]) > 0
                   and len(handler.received) >= EMAIL_SUBSCRIBERS // 4, 60,
                   "both workers to be sending")
        stop(workers[0], signal.SIGKILL)
        received_at_kill = len(handler.received)
        assert received_at_kill < EMAIL_SUBSCRIBERS, "the fan-out ended before the kill"

        workers.append(start_process(env, logs[2], "worker", "--threads", str(THREADS)))
        waited = wait_until(lambda: delivery_statuses(fanout_database) == {"sent": DELIVERIES},
                            CATCH_UP_SECONDS, "every delivery to be sent")
    finally:
        for worker in workers:
            stop(worker)

    emails = emails_by_recipient(handler)
    webhook_calls = hooks.copies()
    print(f"killed after {received_at_kill} e-mails; every delivery sent {waited:.1f} s later")

    # Nothing is lost: every subscriber got the notice.
    assert sorted(emails) == sorted(f"reader{n}@example.com" for n in range(EMAIL_SUBSCRIBERS))
    assert sorted(webhook_calls) == sorted(f"/hook/{n}" for n in range(WEBHOOK_SUBSCRIBERS))

    # A repeat is a copy of the same message, and there are at most THREADS of them.
    copies = [*emails.values(), *webhook_calls.values()]
    assert all(len(set(ids)) == 1 for ids in copies)
    assert max(len(ids) for ids in copies) <= 2
    repeats = sum(len(ids) - 1 for ids in copies)
    print(f"repeated copies: {repeats}")
    assert repeats <= THREADS

    # Each delivery has exactly one stored attempt: the killed worker's unfinished sends left
    # none, and no delivery was finished twice.
    with psycopg.connect(fanout_database, connect_timeout=5) as connection:
        attempts = connection.execute(
            "SELECT outcome, count(*) FROM notifications_attempt GROUP BY outcome").fetchall()
    assert attempts == [("sent", DELIVERIES)]
