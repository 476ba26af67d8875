"""A finger server (RFC 1288) that reports the status of public pages.

`finger acme@status.example.com` prints the page's title, its overall state, each service
and its state, the open incidents and the public URL; `/W` before the name (`finger -l`)
adds each incident's latest update and the maintenances. An empty query lists the public
pages. Private pages are neither listed nor described: a query for one gets the same line
as a page that does not exist.

A client gets `REQUEST_TIMEOUT` seconds to send its query line, of at most
`MAX_REQUEST_BYTES`, and at most `MAX_CONNECTIONS` clients are served at once: a slow or
hostile client cannot hold the server. Forwarding (`name@host1@host2`) is refused, so the
server never opens a connection of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import textwrap
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connections

from heliograph.domain.models import Page
from heliograph.domain.queries import PageStatus, page_status
from heliograph.domain.vocab import DisplayState, MaintenanceStatus, State, Status
from heliograph.lib.urls import public_url
from heliograph.public.timefmt import zone_abbreviation

logger = logging.getLogger(__name__)

# RFC 1288 queries are a user name and a few flags; 512 bytes leaves room for long host names.
MAX_REQUEST_BYTES = 512
# Seconds a client has to send its whole query line.
REQUEST_TIMEOUT = 5.0
MAX_CONNECTIONS = 64
# Threads that read the database, each with its own database connection.
DATABASE_THREADS = 4
# The maximum number of pages an empty query lists.
MAX_LISTED_PAGES = 500
LINE_WIDTH = 78

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_BUSY = "The server is busy: try again in a few seconds."


@dataclass(frozen=True)
class Limits:
    request_bytes: int = MAX_REQUEST_BYTES
    timeout: float = REQUEST_TIMEOUT
    connections: int = MAX_CONNECTIONS


@dataclass(frozen=True)
class Query:
    name: str
    verbose: bool


class QueryError(Exception):
    """A query rejected with one line of explanation instead of a status."""


def parse_query(raw: bytes) -> Query:
    """Read one query line: `[/W ][name][@host]`, ending with CRLF or LF.

    A single `@host` is this server's own name, which the finger program sends when asked
    to forward (`finger name@host@thishost`); a longer chain is refused.
    """
    line = raw.removesuffix(b"\n").removesuffix(b"\r")
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        raise QueryError("The query is not ASCII text: send a page name, such as acme, "
                         "followed by CRLF.") from None
    if any(not char.isprintable() for char in text):
        raise QueryError("The query contains control characters: send a page name, such as "
                         "acme, followed by CRLF.")
    words = text.split()
    verbose = bool(words) and words[0].upper() == "/W"
    if verbose:
        words = words[1:]
    if len(words) > 1:
        raise QueryError("Ask for one page at a time, such as: finger acme@host")
    name = words[0] if words else ""
    if name.count("@") > 1:
        raise QueryError("This server does not forward queries to other hosts.")
    name = name.partition("@")[0].lower()
    return Query(name=name, verbose=verbose)


def response_lines(query: Query) -> list[str]:
    """Return the response to `query`, read from the database, as lines."""
    if not query.name:
        return list_pages(verbose=query.verbose)
    page = None
    if _SLUG.fullmatch(query.name):
        page = Page.objects.filter(slug=query.name, is_private=False).first()
    if page is None:
        return [f"No public status page is named {query.name[:63]!r} here."]
    return describe_page(page_status(page), verbose=query.verbose)


def list_pages(*, verbose: bool) -> list[str]:
    pages = list(Page.objects.filter(is_private=False).order_by("slug")[: MAX_LISTED_PAGES + 1])
    if not pages:
        return ["This server has no public status pages."]
    lines = ["Public status pages on this server:"]
    width = max(len(page.slug) for page in pages[:MAX_LISTED_PAGES])
    for page in pages[:MAX_LISTED_PAGES]:
        line = f"  {page.slug.ljust(width)}  {page.title}"
        lines.append(f"{line}  {public_url(page)}" if verbose else line)
    if len(pages) > MAX_LISTED_PAGES:
        lines.append(f"  ... and more; only the first {MAX_LISTED_PAGES} are listed.")
    lines.append("Ask for one by its name, such as: finger " + pages[0].slug + "@host")
    return lines


def describe_page(status: PageStatus, *, verbose: bool) -> list[str]:
    # NOTE: the response is in English whatever the page's language, because finger clients
    # send no language preference.
    page = status.page
    zone = zoneinfo.ZoneInfo(page.time_zone)
    overall = DisplayState(status.banner.state).label
    lines = [f"{page.title} ({page.slug})", f"Status: {overall} - {status.banner.message}"]

    if status.services:
        lines.append("Services:")
        width = max(len(item.service.name) for item in status.services)
        for item in status.services:
            group = f" ({item.service.group.name})" if item.service.group else ""
            name = item.service.name.ljust(width)
            lines.append(f"  {name}  {DisplayState(item.state).label}{group}")

    if status.open_incidents:
        lines.append("Open incidents:")
        for incident in status.open_incidents:
            lines.append(f"  #{incident.pk} {incident.title}: {State(incident.state).label}, "
                         f"{Status(incident.status).label}, since "
                         f"{_local(incident.opened_at, zone)}")
            if verbose and incident.latest_event is not None:
                lines += _wrapped(incident.latest_event.text, indent="    ")

    maintenances = status.active_maintenances + status.upcoming_maintenances
    if verbose and maintenances:
        lines.append("Maintenances:")
        for maintenance in maintenances:
            lines.append(f"  #{maintenance.pk} {maintenance.title}: "
                         f"{MaintenanceStatus(maintenance.status).label}, "
                         f"{_local(maintenance.starts_at, zone)} to "
                         f"{_local(maintenance.ends_at, zone)}")

    lines.append(f"Times in {page.time_zone}.")
    lines.append(f"Public page: {public_url(page)}")
    return lines


def _local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


def _wrapped(text: str, *, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        lines += textwrap.wrap(clean(paragraph), LINE_WIDTH, initial_indent=indent,
                               subsequent_indent=indent) or []
    return lines


# Control and format characters (ANSI escapes, bidi overrides) and Unicode line separators.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean(text: str) -> str:
    """Remove the characters that could move the cursor or reorder a reader's terminal."""
    return "".join(char for char in text if unicodedata.category(char) not in _REMOVED_CATEGORIES)


def encode(lines: Iterable[str]) -> bytes:
    """Return the lines as UTF-8 with CRLF endings, each cleaned of control characters."""
    return "".join(clean(line) + "\r\n" for line in lines).encode("utf-8")


class FingerServer:
    """The asyncio server. `respond` turns a query line into the response's lines."""

    def __init__(self, limits: Limits = Limits(),
                 respond: Callable[[bytes], list[str]] | None = None) -> None:
        self.limits = limits
        self.respond = respond or respond_from_database
        self.executor = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="finger-db")
        self.open_connections = 0
        self.refused = 0
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on `host` and `port` (0 picks a free one); return the port."""
        # The reader's buffer limit bounds the query line: readuntil raises
        # LimitOverrunError when no line ending arrives within that many bytes.
        self.server = await asyncio.start_server(self.handle, host, port,
                                                 limit=self.limits.request_bytes)
        bound: int = self.server.sockets[0].getsockname()[1]
        return bound

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.open_connections += 1
        try:
            if self.open_connections > self.limits.connections:
                self.refused += 1
                # Logged once per 100 refusals, so that a flood does not flood the log too.
                if self.refused % 100 == 1:
                    logger.warning("finger: refused %s and %d other connections so far: "
                                   "%d are open, the maximum", peer, self.refused - 1,
                                   self.limits.connections)
                await self._send(writer, [_BUSY])
                return
            lines = await self._response(reader, peer)
            await self._send(writer, lines)
        except (ConnectionError, asyncio.IncompleteReadError):
            logger.debug("finger: %s closed the connection early", peer)
        finally:
            self.open_connections -= 1
            writer.close()

    async def _response(self, reader: asyncio.StreamReader, peer: object) -> list[str]:
        try:
            raw = await asyncio.wait_for(self._read_line(reader), self.limits.timeout)
        except TimeoutError:
            logger.debug("finger: %s sent no complete query within %.1f s", peer,
                         self.limits.timeout)
            return [f"No query received within {self.limits.timeout:g} seconds."]
        if raw is None:
            return [f"The query is longer than {self.limits.request_bytes} bytes: send a page "
                    "name, such as acme."]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.respond, raw)

    async def _read_line(self, reader: asyncio.StreamReader) -> bytes | None:
        """Return the query line with its line ending, or None when it is too long."""
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            return None
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise
            # The client closed its side without a line ending: answer what it sent.
            line = error.partial
        return None if len(line) > self.limits.request_bytes else line

    async def _send(self, writer: asyncio.StreamWriter, lines: list[str]) -> None:
        writer.write(encode(lines))
        try:
            await asyncio.wait_for(writer.drain(), self.limits.timeout)
        except TimeoutError:
            logger.debug("finger: a client did not read the response within %.1f s",
                         self.limits.timeout)
            writer.transport.abort()


def respond_from_database(raw: bytes) -> list[str]:
    """Return the response to one query line; runs in a database thread."""
    try:
        return response_lines(parse_query(raw))
    except QueryError as error:
        return [str(error)]
    except Exception:
        logger.exception("finger: failed to respond to the query %r", raw[:80])
        return ["The server failed to respond; the error has been logged."]
    finally:
        # The thread's connection is closed after each query, so that a stopped server
        # leaves no session open, at the cost of one connection per query.
        connections.close_all()
