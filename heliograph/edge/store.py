"""Stored public responses: in this process (LRU, bounded in bytes), and in Redis if set."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import brotli

logger = logging.getLogger(__name__)

Headers = list[tuple[bytes, bytes]]

# Content types worth compressing; images other than SVG are compressed already.
COMPRESSIBLE = (b"text/", b"application/json", b"application/xml", b"application/atom+xml",
                b"application/rss+xml", b"image/svg+xml", b"application/javascript")
# Bodies shorter than this are sent as they are: compression would not pay for its headers.
MIN_COMPRESS_BYTES = 200
GZIP_LEVEL = 6
BROTLI_QUALITY = 9
# Redis is skipped for this many seconds after a command fails or times out.
SHARED_RETRY_SECONDS = 5.0
SHARED_TIMEOUT_SECONDS = 0.25


@dataclass
class Entry:
    """One rendered public response, with its variants and validators."""

    page_id: int
    version: int
    # Wall-clock times (seconds since the epoch).
    rendered: float
    expires: float
    status: int
    # Headers from Django, without those the layer sets itself (see app.OWN_HEADERS).
    headers: Headers
    cache_control: bytes
    # Content coding ("identity", "gzip", "br") to body bytes and to strong ETag.
    bodies: dict[str, bytes]
    etags: dict[str, bytes] = field(default_factory=dict)
    # The view's own ETag (opaque part), which a client may hold from the body or an earlier
    # response of the same render.
    view_etag: bytes = b""

    @functools.cached_property
    def last_modified(self) -> bytes:
        """The Last-Modified header value: when the entry was rendered."""
        return formatdate(int(self.rendered), usegmt=True).encode()

    @property
    def size(self) -> int:
        """Bytes held: bodies, headers and tags, plus a fixed allowance for the objects."""
        return (sum(len(body) for body in self.bodies.values())
                + sum(len(name) + len(value) + 64 for name, value in self.headers)
                + sum(len(tag) for tag in self.etags.values())
                + len(self.cache_control) + len(self.view_etag) + 1024)

    def matches(self, tags: list[bytes]) -> bool:
        """Return whether one of `tags` (If-None-Match, without W/) names this render."""
        own = {tag.strip(b'"') for tag in self.etags.values()}
        if self.view_etag:
            own.add(self.view_etag)
        return any(tag == b"*" or tag.strip(b'"') in own for tag in tags)


def build_entry(*, page_id: int, version: int, expires: float, status: int, headers: Headers,
                cache_control: bytes, body: bytes, content_type: bytes,
                view_etag: bytes) -> Entry:
    """Return an entry with gzip and brotli variants compressed once, and strong ETags."""
    bodies = {"identity": body}
    base = content_type.split(b";")[0].strip().lower()
    if len(body) >= MIN_COMPRESS_BYTES and base.startswith(COMPRESSIBLE):
        bodies["gzip"] = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        bodies["br"] = brotli.compress(body, quality=BROTLI_QUALITY)
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    # A strong tag names exact bytes, so each coding gets its own.
    etags = {coding: f'"{digest}{"" if coding == "identity" else "-" + coding}"'.encode()
             for coding in bodies}
    return Entry(page_id=page_id, version=version, rendered=time.time(), expires=expires,
                 status=status, headers=headers, cache_control=cache_control, bodies=bodies,
                 etags=etags, view_etag=view_etag)


class LocalStore:
    """Entries in this process, dropping the least recently used beyond `max_bytes`.

    The size of an entry counts its address too: a query string can be longer than a badge.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        self.discard(key)
        size = _held(key, entry)
        if size > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += size
        while self.bytes > self.max_bytes:
            dropped_key, dropped = self._entries.popitem(last=False)
            self.bytes -= _held(dropped_key, dropped)

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= _held(key, old)

    def __len__(self) -> int:
        return len(self._entries)


def _held(key: str, entry: Entry) -> int:
    # The address as a Python string takes up to four bytes per character (non-Latin paths).
    return entry.size + 4 * len(key) + 100


def encode_entry(entry: Entry) -> bytes:
    """Serialise an entry as one JSON line of metadata followed by the bodies (no pickle)."""
    codings = list(entry.bodies)
    meta: dict[str, Any] = {
        "page_id": entry.page_id, "version": entry.version, "rendered": entry.rendered,
        "expires": entry.expires, "status": entry.status,
        "headers": [[name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in entry.headers],
        "cache_control": entry.cache_control.decode("latin-1"),
        "codings": [[coding, len(entry.bodies[coding])] for coding in codings],
        "etags": {coding: tag.decode("latin-1") for coding, tag in entry.etags.items()},
        "view_etag": entry.view_etag.decode("latin-1"),
    }
    return json.dumps(meta).encode() + b"\n" + b"".join(entry.bodies[c] for c in codings)


def decode_entry(data: bytes) -> Entry:
    """Read back what `encode_entry` wrote; raise ValueError on anything else."""
    line, _, rest = data.partition(b"\n")
    try:
        meta = json.loads(line)
        bodies: dict[str, bytes] = {}
        offset = 0
        for coding, length in meta["codings"]:
            bodies[str(coding)] = rest[offset:offset + int(length)]
            offset += int(length)
        if offset != len(rest):
            raise ValueError("the bodies do not add up to the stored length")
        return Entry(
            page_id=int(meta["page_id"]), version=int(meta["version"]),
            rendered=float(meta["rendered"]), expires=float(meta["expires"]),
            status=int(meta["status"]),
            headers=[(name.encode("latin-1"), value.encode("latin-1"))
                     for name, value in meta["headers"]],
            cache_control=meta["cache_control"].encode("latin-1"), bodies=bodies,
            etags={coding: tag.encode("latin-1") for coding, tag in meta["etags"].items()},
            view_etag=meta["view_etag"].encode("latin-1"),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a stored response: {error}") from None


class SharedStore:
    """Entries in Redis, shared by every process; a failing Redis is skipped for a while.

    NOTE: every stored render is written, so requests for many distinct addresses fill Redis
    for up to a minute; with the memory limit of docs/deploy.md that can evict other cached
    values (the sign-in rate-limit counters). No cap on the bytes written per second exists.
    """

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._down_until = 0.0

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio

            self._client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=SHARED_TIMEOUT_SECONDS,
                socket_connect_timeout=SHARED_TIMEOUT_SECONDS,
            )
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}:edge:{hashlib.sha256(key.encode()).hexdigest()}"

    async def get(self, key: str) -> Entry | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            data = await self._redis().get(self._key(key))
        except Exception as error:  # any client or network error
            self._failed("read", error)
            return None
        if data is None:
            return None
        try:
            return decode_entry(data)
        except ValueError as error:
            logger.warning("Ignoring an unreadable stored response in Redis: %s", error)
            return None

    async def put(self, key: str, entry: Entry) -> None:
        if time.monotonic() < self._down_until:
            return
        seconds = max(1, int(entry.expires - time.time()) + 1)
        try:
            await self._redis().set(self._key(key), encode_entry(entry), ex=seconds)
        except Exception as error:  # any client or network error
            self._failed("write", error)

    def _failed(self, action: str, error: Exception) -> None:
        self._down_until = time.monotonic() + SHARED_RETRY_SECONDS
        logger.warning("Redis %s of a public response failed (%s); using this process's cache "
                       "only for %.0f s.", action, error, SHARED_RETRY_SECONDS)
