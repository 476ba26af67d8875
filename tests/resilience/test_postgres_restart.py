"""A server and a worker survive a restart of their PostgreSQL server without being restarted.

The test starts its own PostgreSQL cluster on a free port (initdb, pg_ctl), so it runs in both
passes of the suite (SQLite and PostgreSQL) and never restarts the machine's server. Redis is
its own too.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.edge.servers import SET_UP, SLUG
from tests.notifications.smtp_sink import SinkHandler
from tests.resilience.instances import PostgresInstance, database_on
from tests.resilience.processes import (
    admin,
    emails_by_recipient,
    environment,
    serve,
    start_process,
    stop,
    wait_until,
)

FRONT = f"/p/{SLUG}/"
READER = "reader@example.com"
ADD_READER = f"""
from django.utils import timezone
from heliograph.domain.models import Page
from heliograph.notifications.models import Subscriber
Subscriber.objects.create(page=Page.objects.get(slug="{SLUG}"), email="{READER}",
                          confirmed_at=timezone.now())
"""
# Database-reading API requests after the restart: more than the server's 4 threads, so each
# thread's kept connection is used at least once if requests spread over the threads.
READS_AFTER_RESTART = 12


def post_incident(base: str, token: str, service_id: int, title: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/pages/{SLUG}/incidents",
        headers={"Authorization": f"Bearer {token}"},
        json={"title": title, "text": "We are looking into it.", "state": "major_outage",
              "status": "investigating", "services": [service_id]},
        timeout=30,
    )


# The test runs on a PostgreSQL cluster of its own, which it restarts.
@pytest.mark.own_database
def test_restart_survived_without_manual_restart(
    tmp_path: Path, own_postgres: PostgresInstance, own_redis: str,
    sink: tuple[SinkHandler, int],
) -> None:
    handler, smtp_port = sink
    with database_on(own_postgres.server_url, "heliograph_restart") as database_url:
        env = environment(tmp_path / "data", database_url=database_url, redis_url=own_redis,
                          smtp_port=smtp_port)
        admin(env, "migrate", "--verbosity", "0")
        service_id = int(admin(env, "shell", "--command", SET_UP).strip().splitlines()[-1])
        admin(env, "shell", "--command", ADD_READER)
        token = admin(env, "token", "create", "--email", "owner@example.com", "--page", SLUG,
                      "--write").strip().splitlines()[-1]

        server, base = serve(env, tmp_path / "serve.log")
        worker = start_process(env, tmp_path / "worker.log", "worker", "--threads", "2")
        try:
            _check_restart(own_postgres, handler, base, token, service_id)
            # Tasks that ran while the database was down failed and were logged, but the
            # processes themselves kept running.
            assert server.poll() is None
            assert worker.poll() is None
        finally:
            stop(server)
            stop(worker)


def _check_restart(postgres: PostgresInstance, handler: SinkHandler, base: str, token: str,
                   service_id: int) -> None:
    assert httpx.get(base + FRONT, timeout=30).status_code == 200
    created = post_incident(base, token, service_id, "Written before the restart")
    assert created.status_code == 201, created.text
    wait_until(lambda: "Written before the restart" in httpx.get(base + FRONT, timeout=30).text,
               10, "the page to show the first incident")
    wait_until(lambda: len(handler.received) == 1, 30, "the worker to send the first e-mail")

    # The public page is requested all through the restart.
    statuses: list[int | str] = []
    restarted = threading.Event()

    def visit() -> None:
        while not restarted.is_set():
            try:
                statuses.append(httpx.get(base + FRONT, timeout=30).status_code)
            except httpx.HTTPError as error:
                statuses.append(repr(error))
            time.sleep(0.05)

    visitor = threading.Thread(target=visit)
    visitor.start()
    try:
        postgres.pg_ctl("restart", "-m", "fast")
    finally:
        restarted.set()
        visitor.join()
    assert statuses, "no request was made during the restart"
    assert set(statuses) == {200}, statuses

    # Every request after the restart succeeds: no thread uses its connection from before.
    started = time.monotonic()
    created = post_incident(base, token, service_id, "Written after the restart")
    assert created.status_code == 201, created.text
    reads = [httpx.get(f"{base}/api/v1/pages/{SLUG}/incidents", timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
             for _ in range(READS_AFTER_RESTART)]
    assert [response.status_code for response in reads] == [200] * READS_AFTER_RESTART
    assert time.monotonic() - started < 5

    titles = [incident["title"] for incident in reads[-1].json()["items"]]
    assert "Written before the restart" in titles
    assert "Written after the restart" in titles
    wait_until(lambda: "Written after the restart" in httpx.get(base + FRONT, timeout=30).text,
               5, "the page to show the incident written after the restart")

    # The worker sends the second incident's e-mail without waiting for its minute sweep.
    wait_until(lambda: len(handler.received) == 2, 10, "the worker to send the second e-mail")
    assert list(emails_by_recipient(handler)) == [READER]
