"""A server whose Redis stops keeps serving public pages from the database."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.edge.servers import SLUG, Site, free_port, wait_for

FRONT = f"/p/{SLUG}/"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test only, on a free port, stopped by its process id."""
    port = free_port()
    server = subprocess.Popen(
        ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield server, url
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
        server.wait()


def test_stopped_redis_falls_back_to_database(
    acme_site: Site, own_redis: tuple[subprocess.Popen[bytes], str]
) -> None:
    server, url = own_redis
    base = acme_site.serve(extra={"REDIS_URL": url})
    warm = httpx.get(base + FRONT, timeout=30)
    stored = redis.Redis.from_url(url).keys("*edge*")

    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    # The change is written by a process that does not use Redis, on the same database.
    acme_site.shell(
        "from heliograph.domain import pages; from heliograph.domain.audit import Actor; "
        "from heliograph.domain.models import Page; "
        "pages.update_page(Page.objects.get(slug='acme'), {'title': 'Acme Offline Mode'}, "
        "actor=Actor.system('test'))"
    )
    delay = wait_for(base + FRONT, "Acme Offline Mode", timeout=10)
    statuses = [httpx.get(base + path, timeout=30).status_code
                for path in (FRONT, FRONT, f"{FRONT}history", f"{FRONT}api/v2/summary.json")]

    assert warm.status_code == 200
    assert stored, "the server stored no response in Redis while it ran"
    assert delay < 2.0
    assert statuses == [200, 200, 200, 200]
