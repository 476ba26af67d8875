"""Real `heliograph-admin worker` processes sending e-mail to an SMTP sink on 127.0.0.1.

These run the worker the way an operator does: a separate process with its own database
connection and Huey queue, killed with SIGKILL and started again.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.notifications.smtp_sink import SinkHandler, start

ADMIN = Path(sys.executable).with_name("heliograph-admin")
SUBSCRIBERS = 1000
LEASE_SECONDS = 10
# A restarted worker sends what is due at once, and what the killed worker had claimed one
# second after the lease. Without those two sendings the minute's sweep would take up to
# about 70 s.
CATCH_UP_SECONDS = 150
POSTGRES = "postgres://postgres@127.0.0.1:5432"
SENT_LINE = re.compile(r"delivery \d+ \(email\) on page acme sent$", re.MULTILINE)

# A page with SUBSCRIBERS confirmed subscribers, and an incident whose opening records one
# delivery each (and queues a sending task for the worker).
SET_UP = f"""
from heliograph.accounts.models import User
from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.vocab import State, Status
from heliograph.notifications.models import Subscriber
from django.utils import timezone

owner = User.objects.create_user("ops@example.com", "a long passphrase")
actor = Actor.of_user(owner)
page = pages.create_page("acme", title="Acme", owner=owner, actor=actor)
Subscriber.objects.bulk_create(
    Subscriber(page=page, email=f"reader{{n}}@example.com", confirmed_at=timezone.now())
    for n in range({SUBSCRIBERS})
)
incidents.open_incident(page, title="Login errors", text="Some sign-ins fail.",
                        state=State.MAJOR_OUTAGE, status=Status.INVESTIGATING, actor=actor)
"""
STATUSES = (
    "from collections import Counter; from heliograph.notifications.models import Delivery; "
    "print(dict(Counter(Delivery.objects.values_list('status', flat=True))))"
)


def environment(data_dir: Path, smtp_port: int, database_url: str = "") -> dict[str, str]:
    dropped = {"DATABASE_URL", "REDIS_URL", "HELIOGRAPH_TASKS_IMMEDIATE", "DEBUG",
               "PYTEST_XDIST_WORKER"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env |= {
        "HELIOGRAPH_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=5",
        "HELIOGRAPH_FROM_EMAIL": "status@heliograph.test",
        "HELIOGRAPH_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def admin(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(ADMIN), *args], env=env, capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stdout


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen([str(ADMIN), "worker", "--threads", "2"], env=env,
                                stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                start_new_session=True)


def stop(worker: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, how)
        worker.wait(timeout=30)


def wait_until(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def per_recipient(handler: SinkHandler) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = collections.defaultdict(list)
    with handler.lock:
        for received in handler.received:
            ids[received.to[0]].append(str(received.message["Message-ID"]))
    return ids


@pytest.fixture
def sink() -> Iterator[tuple[SinkHandler, int]]:
    handler = SinkHandler()
    controller = start(handler)
    yield handler, controller.port
    controller.stop()


# SQLite in a data directory of its own.
@pytest.mark.own_database
def test_killed_worker_sends_each_once(tmp_path: Path, sink: tuple[SinkHandler, int]) -> None:
    """SIGKILL the worker while it sends 1,000 e-mails, restart it: everyone gets one message.

    The message being sent when the worker dies may arrive twice (the server accepted it, the
    worker died before storing that). Both copies carry the same Message-ID, so the check is
    one distinct Message-ID per subscriber, and the copies are counted.
    """
    handler, port = sink
    env = environment(tmp_path / "data", port)
    admin(env, "migrate", "--verbosity", "0")
    admin(env, "shell", "--command", SET_UP)

    first = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: len(handler.received) >= SUBSCRIBERS // 3, 120,
                   "the first worker to send a third of the e-mails")
    finally:
        stop(first, signal.SIGKILL)
    sent_before_kill = len(handler.received)
    assert sent_before_kill < SUBSCRIBERS, "the worker finished before it was killed"

    second = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: len(per_recipient(handler)) >= SUBSCRIBERS, CATCH_UP_SECONDS,
                   "the restarted worker to reach every subscriber")
        time.sleep(LEASE_SECONDS + 2)
    finally:
        stop(second)

    ids = per_recipient(handler)
    assert len(ids) == SUBSCRIBERS
    assert all(len(set(message_ids)) == 1 for message_ids in ids.values())
    copies = len(handler.received) - SUBSCRIBERS
    # At most the one message in flight in each of the two threads can be repeated.
    assert copies <= 2, copies
    print(f"killed after {sent_before_kill} messages; repeated copies: {copies}")
    assert admin(env, "shell", "--command", STATUSES).strip().splitlines()[-1] == (
        f"{{'sent': {SUBSCRIBERS}}}"
    )


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """Create a throwaway database on the PostgreSQL server at 127.0.0.1:5432."""
    name = f"heliograph_workers_{uuid.uuid4().hex[:8]}"
    try:
        server = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 (user postgres) is not reachable: {error}")
    with server:
        server.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES}/{name}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


# A database of its own on the PostgreSQL server at 127.0.0.1:5432.
@pytest.mark.own_database
def test_two_postgres_workers_never_repeat(
    tmp_path: Path, sink: tuple[SinkHandler, int], postgres_database: str
) -> None:
    """Two workers claim from one PostgreSQL database (SKIP LOCKED): no message is sent twice."""
    handler, port = sink
    env = environment(tmp_path / "data", port, postgres_database)
    admin(env, "migrate", "--verbosity", "0")
    admin(env, "shell", "--command", SET_UP)
    queue_copy = tmp_path / "data-second"
    # Each worker gets its own Huey queue, so both find work through the periodic sweep and
    # the queued task, and claim from the database at the same time.
    shutil.copytree(tmp_path / "data", queue_copy)
    second_env = env | {"HELIOGRAPH_DATA_DIR": str(queue_copy), "LOG_LEVEL": "INFO"}
    env = env | {"LOG_LEVEL": "INFO"}

    workers = [start_worker(env, tmp_path / "one.log"),
               start_worker(second_env, tmp_path / "two.log")]
    try:
        wait_until(lambda: len(handler.received) >= SUBSCRIBERS, CATCH_UP_SECONDS,
                   "two workers to send every e-mail")
        time.sleep(2)
    finally:
        for worker in workers:
            stop(worker)

    ids = per_recipient(handler)
    assert len(ids) == SUBSCRIBERS
    assert len(handler.received) == SUBSCRIBERS
    sent_by = [len(SENT_LINE.findall(log.read_text()))
               for log in (tmp_path / "one.log", tmp_path / "two.log")]
    print(f"deliveries sent by each worker: {sent_by}")
    assert sum(sent_by) == SUBSCRIBERS
    assert min(sent_by) > 0, "one worker sent everything, so the claims never competed"
    assert admin(env, "shell", "--command", STATUSES).strip().splitlines()[-1] == (
        f"{{'sent': {SUBSCRIBERS}}}"
    )
