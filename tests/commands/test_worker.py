"""Tests of `heliograph-admin worker`, Huey's consumer for Heliograph's background jobs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings
from huey.contrib.djhuey import HUEY

from heliograph.domain.management.commands.worker import queue_catch_up
from heliograph.domain.tasks import advance_maintenances
from heliograph.notifications.tasks import send_deliveries
from tests.commands.conftest import ADMIN, Run, admin_environment

# A page whose maintenances follow their window, with one whose window began an hour ago, and
# the periodic task put on the queue, as the consumer's scheduler does once a minute.
SET_UP = """
import datetime as dt
from django.utils import timezone
from heliograph.accounts.models import User
from heliograph.domain import maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.tasks import advance_maintenances

owner = User.objects.create_user("ops@example.com", "a long passphrase")
actor = Actor.of_user(owner)
page = pages.create_page("acme", title="Acme", owner=owner, auto_maintenance=True, actor=actor)
now = timezone.now()
maintenances.schedule_maintenance(
    page, title="Upgrade", description="", starts_at=now - dt.timedelta(hours=1),
    ends_at=now + dt.timedelta(hours=1), actor=actor,
)
advance_maintenances()
"""
STATUS = (
    "from heliograph.domain.models import Maintenance; "
    "print(Maintenance.objects.get().status)"
)


def maintenance_status(admin: Run) -> str:
    result = admin("shell", "--command", STATUS)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_worker_runs_queued_maintenance_task(admin: Run, data_dir: Path) -> None:
    set_up = admin("shell", "--command", SET_UP)
    assert set_up.returncode == 0, set_up.stderr
    assert maintenance_status(admin) == "scheduled"

    worker = subprocess.Popen(
        [str(ADMIN), "worker", "--threads", "1"], env=admin_environment(data_dir),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = "scheduled"
        while status == "scheduled" and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
            status = maintenance_status(admin)
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        _, errors = worker.communicate(timeout=30)

    assert status == "in_progress"
    assert "Running the background jobs with 1 thread," in errors


def test_worker_rejects_zero_threads(admin: Run) -> None:
    result = admin("worker", "--threads", "0")

    assert result.returncode == 2
    assert "argument --threads: 0 is too small" in result.stderr


def test_maintenance_task_runs_every_minute() -> None:
    for minute in (0, 1, 59):
        due = HUEY.read_periodic(dt.datetime(2026, 3, 29, 1, minute))

        assert advance_maintenances.task_class in [type(task) for task in due], minute


def test_start_queues_two_sendings() -> None:
    before = {task.id for task in HUEY.pending()}
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    queue_catch_up()

    # A task with a delay waits in the queue too, until the consumer reads its `eta`.
    queued = [task for task in HUEY.pending()
              if task.id not in before and type(task) is send_deliveries.task_class]
    now = [task for task in queued if task.eta is None]
    later = [task for task in queued if task.eta is not None]
    assert len(now) >= 1
    assert len(later) == 1
    # Huey keeps the time a task is due in UTC, without a zone.
    delay = (later[0].eta - started).total_seconds()
    lease = settings.HELIOGRAPH_DELIVERY_LEASE_SECONDS
    assert lease < delay < lease + 5
