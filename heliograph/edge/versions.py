"""The version of every page, as this process last read it from the database.

Every change to a page's content bumps `Page.version` in the transaction of the change (see
`heliograph.domain.audit.touch`). A stored public response records the version it was
rendered from, and is served only while that is still the page's version here.

The map is read with one query for all pages. A request uses a map up to REFRESH_SECONDS old
as it is. An older map is refreshed in the background, and one older than MAX_AGE_SECONDS is
refreshed before the request goes on. A change committed by another process is therefore
served by this one within MAX_AGE_SECONDS plus one query. A change committed by this process
expires the map at once (`expire`, on the `page_changed` signal), so its next request reads
the new versions.

A read that has not returned within READ_TIMEOUT_SECONDS (a database that hangs, or a table
locked by a migration) counts as failed: requests stop waiting for it, and the layer serves
what it has stored until a read succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 0.1
MAX_AGE_SECONDS = 0.25
READ_TIMEOUT_SECONDS = 1.0
# A failed read is logged at most once per this many seconds.
ERROR_LOG_SECONDS = 30.0

PageVersions = dict[int, int]


def read_versions() -> PageVersions:
    """Return {page id: version} for every page, in one query.

    NOTE: the query reads one row per page, several times a second per web process. That is
    cheap for hundreds of pages; with many thousands, a version counter in Redis may be needed.
    """
    from heliograph.domain.models import Page

    try:
        return dict(Page.objects.values_list("pk", "version"))
    except DatabaseError:
        # A broken connection (a restarted server) is replaced on the next read.
        connection.close()
        raise


class VersionMap:
    """This process's copy of every page's version, refreshed on demand from the database."""

    def __init__(self) -> None:
        self.versions: PageVersions = {}
        self.read_at = float("-inf")
        self.generation = 0
        self._last_error_log = float("-inf")
        self._refresh: asyncio.Future[PageVersions | None] | None = None
        self._refresh_generation = 0
        self._refresh_started = 0.0
        # One thread keeps one database connection for the reads.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-versions")
        self._lock = threading.Lock()

    def expire(self) -> None:
        """Make the next lookup read the versions again (after a change in this process)."""
        with self._lock:
            self.generation += 1
            self.read_at = float("-inf")

    async def current(self) -> PageVersions | None:
        """Return the versions, or None when they cannot be read recently enough."""
        age = time.monotonic() - self.read_at
        if age <= REFRESH_SECONDS:
            return self.versions
        refresh = self._start_refresh()
        if age <= MAX_AGE_SECONDS:
            return self.versions
        waited = time.monotonic() - self._refresh_started
        if waited >= READ_TIMEOUT_SECONDS:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(refresh),
                                          READ_TIMEOUT_SECONDS - waited)
        except TimeoutError:
            self._log_failure(f"timed out after {READ_TIMEOUT_SECONDS:g} s")
            return None

    def _start_refresh(self) -> asyncio.Future[PageVersions | None]:
        # A read that started before the last `expire` may miss that change: start another.
        if (self._refresh is None or self._refresh.done()
                or self._refresh_generation != self.generation):
            self._refresh_generation = self.generation
            self._refresh_started = time.monotonic()
            self._refresh = asyncio.ensure_future(self._read())
        return self._refresh

    async def _read(self) -> PageVersions | None:
        started = time.monotonic()
        generation = self.generation
        loop = asyncio.get_running_loop()
        try:
            versions = await loop.run_in_executor(self._executor, read_versions)
        except DatabaseError as error:
            self._log_failure(str(error))
            return None
        with self._lock:
            self.versions = versions
            # A change committed while the query ran may be missing from its result, so the
            # map stays expired and the next request reads again.
            if generation == self.generation:
                self.read_at = started
        return versions

    def _log_failure(self, reason: str) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_SECONDS:
            self._last_error_log = now
            logger.warning("Reading page versions failed (%s); stored public responses are "
                           "served as they are, and others rendered by Django, until the "
                           "database responds.", reason)


VERSIONS = VersionMap()
