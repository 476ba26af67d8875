"""A server whose PostgreSQL database stops responding keeps serving stored public pages.

The test closes the site's own database to connections (ALLOW_CONNECTIONS false) and ends its
sessions, which is what the server sees when PostgreSQL stops; other databases of the same
PostgreSQL server are not touched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
import httpx
import psycopg
import pytest

from tests.edge.servers import SLUG, Site, _postgres_connect, wait_for

FRONT = f"/p/{SLUG}/"

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")),
    reason="closes a PostgreSQL database to connections",
)


@contextmanager
def database_closed(site: Site) -> Iterator[None]:
    name = dj_database_url.parse(site.environment["DATABASE_URL"])["NAME"]
    connect = _postgres_connect()
    assert connect is not None
    with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
        connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s", [name])
    try:
        yield
    finally:
        with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
            connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def test_stored_pages_served_while_database_down(acme_site: Site) -> None:
    base = acme_site.serve()
    stored = {path: httpx.get(base + path, timeout=30)
              for path in (FRONT, f"{FRONT}api/v2/summary.json", f"{FRONT}history.atom")}
    assert all(response.status_code == 200 for response in stored.values())

    with database_closed(acme_site):
        time.sleep(0.5)
        for path, before in stored.items():
            started = time.monotonic()
            during = httpx.get(base + path, timeout=30)
            assert during.status_code == 200, (path, during.text[:300])
            assert during.content == before.content
            assert time.monotonic() - started < 2.0
        unstored = httpx.get(f"{base}{FRONT}history", timeout=30)
        assert unstored.status_code == 503
        assert unstored.headers["retry-after"] == "5"
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        assert 'heliograph_public_cache_total{result="stale"}' in metrics

    # Once the database responds again, a change is served within seconds.
    acme_site.open_incident(base, "Back after the database")
    assert wait_for(base + FRONT, "Back after the database", timeout=5) < 5


def test_stored_pages_served_while_page_table_locked(acme_site: Site) -> None:
    """A lock that holds every read of the pages (a migration, say) does not hold visitors."""
    base = acme_site.serve()
    before = httpx.get(base + FRONT, timeout=30)
    assert before.status_code == 200
    name = dj_database_url.parse(acme_site.environment["DATABASE_URL"])["NAME"]
    connect = _postgres_connect()
    assert connect is not None

    with psycopg.connect(**{**connect, "dbname": name}) as locker:  # type: ignore[arg-type]
        locker.autocommit = False
        locker.execute("LOCK TABLE domain_page IN ACCESS EXCLUSIVE MODE")
        time.sleep(0.5)
        timings = []
        for _ in range(5):
            started = time.monotonic()
            during = httpx.get(base + FRONT, timeout=30)
            timings.append(time.monotonic() - started)
            assert during.status_code == 200
            assert during.content == before.content
        locker.rollback()

    assert max(timings) < 2.0, timings
    # Only the first request waits for the read, and no longer than its time limit.
    assert sorted(timings)[-2] < 0.5, timings
