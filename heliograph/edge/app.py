"""A thin ASGI application in front of Django that serves stored public responses.

A GET or HEAD for a public path is looked up by scheme, host, path and query string. A stored
response is served without Django while its page's version is unchanged (see `versions`) and
before its expiry. Otherwise the request goes to Django without its Accept-Encoding and
conditional headers. A 200 that a public view labelled (see `marking`) is then stored with
its gzip and brotli variants. Everything else passes through to Django unchanged, except a
server error of Django for a public path: the previous render of that address is sent in its
place when there is one, and a 503 when the database does not respond and there is none.

A response is stored only when Django sent no Set-Cookie, no `Cache-Control: private` or
`no-store`, and no Vary other than Accept-Encoding, so it is the same for every visitor.
Requests with an Authorization header are never served from or stored in the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any

from heliograph.edge.marking import LABEL_HEADER
from heliograph.edge.store import Entry, Headers, LocalStore, SharedStore, build_entry
from heliograph.edge.versions import VERSIONS, VersionMap
from heliograph.lib.metrics import count_public_cache

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LABEL = LABEL_HEADER.lower().encode()
RENDER_HEADER = b"x-heliograph-edge-render"
# Paths that never hold a public page view: the layer passes them through untouched.
PASS_PREFIXES = ("/static/", "/media/", "/api/v1/", "/console/", "/accounts/", "/metrics",
                 "/healthz", "/readyz")
# Request headers removed before Django renders a response to store.
RENDER_DROPS = {b"accept-encoding", b"if-none-match", b"if-modified-since", b"if-match",
                b"if-unmodified-since", b"if-range", b"range", RENDER_HEADER}
# Response headers that the layer sets itself on every stored response.
OWN_HEADERS = {b"content-length", b"content-encoding", b"etag", b"last-modified", b"vary",
               b"cache-control", b"date", b"server", LABEL}
# Response headers that belong to one request and are never stored.
REQUEST_HEADERS = {b"x-request-id"}
# Cache-Control of stored responses whose view set none, and the stale-while-revalidate window
# added to every one, in seconds. A CDN in front reuses a response for MAX_AGE seconds and
# serves it stale for up to STALE_SECONDS while it revalidates.
MAX_AGE = 5
STALE_SECONDS = 30
# How long a request waits for another request's render of the same address, in seconds.
RENDER_WAIT_SECONDS = 10.0
# Responses to longer addresses (host, path and query string) are not stored. Public links
# are far shorter; a long random query string would only push useful entries out.
MAX_STORED_ADDRESS = 2048
# The Retry-After of a 503 sent while the database does not respond, in seconds.
UNAVAILABLE_RETRY_SECONDS = 5


class EdgeApplication:
    """Serve stored public responses, and pass every other request to `inner`."""

    def __init__(self, inner: ASGIApp, *, local: LocalStore, shared: SharedStore | None = None,
                 versions: VersionMap = VERSIONS,
                 pass_prefixes: tuple[str, ...] = PASS_PREFIXES,
                 proxy_header: bytes = b"x-forwarded-proto") -> None:
        self.inner = inner
        self.proxy_header = proxy_header
        self.local = local
        self.shared = shared
        self.versions = versions
        self.pass_prefixes = pass_prefixes
        self._renders: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if (scope["type"] != "http" or scope["method"] not in {"GET", "HEAD"}
                or scope["path"].startswith(self.pass_prefixes)):
            await self.inner(scope, receive, send)
            return
        headers = _header_map(scope)
        if b"authorization" in headers:
            await self.inner(scope, receive, send)
            return
        await self._serve(scope, receive, send, headers)

    async def _serve(self, scope: Scope, receive: Receive, send: Send,
                     headers: dict[bytes, bytes]) -> None:
        address_length = (len(headers.get(b"host", b"")) + len(scope["path"])
                          + len(scope.get("query_string", b"")))
        if address_length > MAX_STORED_ADDRESS:
            count_public_cache("miss")
            await self.inner(scope, receive, send)
            return
        key = _cache_key(scope, headers, self.proxy_header)
        entry = await self._lookup(key)
        versions = await self.versions.current()
        if entry is not None and versions is None:
            # The database does not respond, so Django could not render either: the last
            # render is the best this process has.
            count_public_cache("stale")
            await _send_entry(entry, scope, headers, send)
            return
        if entry is not None and versions is not None and _is_fresh(entry, versions):
            count_public_cache("hit")
            await _send_entry(entry, scope, headers, send)
            return

        # Sent instead of a server error from Django, which may meet a database that stopped
        # after the versions were read.
        fallback = entry
        waiting = self._renders.get(key)
        if waiting is not None:
            # Another request is rendering this address. Waiting for it, rather than sending
            # the previous render, means no request gets content older than one it could
            # have seen before.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiting.wait(), RENDER_WAIT_SECONDS)
            entry = self.local.get(key)
            fallback = entry
            versions = await self.versions.current()
            if entry is not None and versions is not None and _is_fresh(entry, versions):
                count_public_cache("hit")
                await _send_entry(entry, scope, headers, send)
                return

        count_public_cache("miss")
        done = asyncio.Event()
        self._renders.setdefault(key, done)
        try:
            await self._render(key, scope, receive, send, headers, fallback=fallback,
                               database_down=versions is None)
        finally:
            if self._renders.get(key) is done:
                del self._renders[key]
            done.set()

    async def _lookup(self, key: str) -> Entry | None:
        entry = self.local.get(key)
        if entry is None and self.shared is not None:
            entry = await self.shared.get(key)
            if entry is not None:
                self.local.put(key, entry)
        return entry

    async def _render(self, key: str, scope: Scope, receive: Receive, send: Send,
                      headers: dict[bytes, bytes], *, fallback: Entry | None = None,
                      database_down: bool = False) -> None:
        inner_scope = dict(scope)
        inner_scope["method"] = "GET"
        inner_scope["headers"] = [
            (name, value) for name, value in scope["headers"]
            if name.lower() not in RENDER_DROPS
        ] + [(RENDER_HEADER, b"1")]
        captured = _Capture()
        await self.inner(inner_scope, receive, captured.send)

        entry = _entry_from(captured)
        if entry is None:
            status = captured.start["status"] if captured.start is not None else 500
            if status >= 500 and fallback is not None:
                count_public_cache("stale")
                await _send_entry(fallback, scope, headers, send)
                return
            if status >= 500 and database_down:
                await _send_unavailable(scope, send)
                return
            self.local.discard(key)
            await captured.replay(send, head=scope["method"] == "HEAD")
            return
        self.local.put(key, entry)
        if self.shared is not None:
            await self.shared.put(key, entry)
        await _send_entry(entry, scope, headers, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # The application behind the layer handles HTTP only, so the layer completes the
        # lifespan events itself.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


class _Capture:
    """The messages of one response from Django, held back until the layer decides."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.other: list[Message] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
        else:
            self.other.append(message)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    async def replay(self, send: Send, *, head: bool) -> None:
        if self.start is None:
            return
        start = dict(self.start)
        start["headers"] = [(name, value) for name, value in self.start["headers"]
                            if name.lower() != LABEL]
        await send(start)
        await send({"type": "http.response.body", "body": b"" if head else self.body})


def _header_map(scope: Scope) -> dict[bytes, bytes]:
    """Return the request headers by lower-case name; repeated headers are joined by commas."""
    result: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        name = name.lower()
        result[name] = result[name] + b"," + value if name in result else value
    return result


def _cache_key(scope: Scope, headers: dict[bytes, bytes],
               proxy_header: bytes = b"x-forwarded-proto") -> str:
    """Return the address of a response: everything Django reads to route and render it.

    `proxy_header` is the request header that tells Django the balancer ended TLS
    (HELIOGRAPH_PROXY_SSL_HEADER). Django sends Strict-Transport-Security and absolute links
    by it, so a request that sets it must never be answered with a render made without it.
    """
    host = headers.get(b"host", b"").decode("latin-1").lower()
    forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin-1").lower()
    proxied = ""
    if proxy_header != b"x-forwarded-proto":
        proxied = headers.get(proxy_header, b"").decode("latin-1").lower()
    query = scope.get("query_string", b"").decode("latin-1")
    # JSON keeps the parts apart: a path or query containing the separator cannot make the
    # address of another path.
    return json.dumps([scope.get("scheme", "http"), forwarded, proxied, host, scope["path"],
                       query])


def proxy_ssl_header() -> bytes:
    """Return the lower-case name of the header of SECURE_PROXY_SSL_HEADER, or the default."""
    from django.conf import settings

    configured = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not configured:
        return b"x-forwarded-proto"
    meta_name = str(configured[0]).removeprefix("HTTP_")
    return meta_name.lower().replace("_", "-").encode("latin-1")


def _is_fresh(entry: Entry, versions: dict[int, int]) -> bool:
    return versions.get(entry.page_id) == entry.version and time.time() < entry.expires


def _entry_from(captured: _Capture) -> Entry | None:
    """Return the entry to store for a captured response, or None when it must not be stored."""
    if captured.start is None or captured.other or captured.start["status"] != 200:
        return None
    label = b""
    content_type = b""
    view_etag = b""
    cache_control = b""
    headers: Headers = []
    for name, value in captured.start["headers"]:
        name = name.lower()
        if name == LABEL:
            label = value
        elif name == b"set-cookie":
            return None
        elif name == b"vary":
            varies = {part.strip().lower() for part in value.split(b",")}
            if varies - {b"accept-encoding"}:
                return None
        elif name == b"cache-control":
            cache_control = value
        elif name == b"etag":
            view_etag = value.removeprefix(b"W/").strip(b'"')
        elif name == b"content-encoding":
            return None
        if name == b"content-type":
            content_type = value
        if name not in OWN_HEADERS and name not in REQUEST_HEADERS:
            headers.append((name, value))
    if not label or b"private" in cache_control or b"no-store" in cache_control:
        return None
    try:
        page_id, version, expires = label.split()
        return build_entry(
            page_id=int(page_id), version=int(version), expires=float(expires),
            status=200, headers=headers, cache_control=_public_cache_control(cache_control),
            body=captured.body, content_type=content_type, view_etag=view_etag,
        )
    except ValueError:
        logger.error("Ignoring a malformed %s header: %r", LABEL_HEADER, label)
        return None


def _public_cache_control(original: bytes) -> bytes:
    """Return the Cache-Control of a stored response: the view's, or a short public one.

    A view that requires revalidation (`no-cache`) keeps its header. Otherwise the response gets
    stale-while-revalidate, and MAX_AGE when the view set no max-age.
    """
    if not original:
        return f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE_SECONDS}".encode()
    if b"no-cache" in original or b"stale-while-revalidate" in original:
        return original
    return original + f", stale-while-revalidate={STALE_SECONDS}".encode()


def _choose_coding(entry: Entry, accept_encoding: bytes) -> str:
    """Return the coding of the entry that the client prefers by q-value; br wins a tie.

    A coding the client gives `q=0`, directly or through `*;q=0`, is never chosen. When the
    client accepts none of br and gzip, the body is sent as it is.
    """
    accepted: dict[str, float] = {}
    for part in accept_encoding.decode("latin-1").lower().split(","):
        name, *params = part.split(";")
        quality = 1.0
        for param in params:
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
                if not 0.0 <= quality <= 1.0:
                    quality = 0.0
        if name.strip():
            accepted[name.strip()] = quality
    best, best_quality = "identity", 0.0
    for coding in ("br", "gzip"):
        quality = accepted.get(coding, accepted.get("*", 0.0))
        if coding in entry.bodies and quality > best_quality:
            best, best_quality = coding, quality
    return best


def _not_modified(entry: Entry, headers: dict[bytes, bytes]) -> bool:
    """Apply If-None-Match, or If-Modified-Since when there is no If-None-Match."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")]
        return entry.matches(tags)
    if_modified_since = headers.get(b"if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since.decode("latin-1")).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    # A date later than now was not sent by this server: it is ignored, as invalid.
    if since > time.time():
        return False
    # NOTE: Last-Modified counts whole seconds. Two renders of one address with different
    # content in the same second share it, so a client that sends only If-Modified-Since
    # may keep the first until the next render (at most MAX_LIFETIME_SECONDS later).
    # Clients that send If-None-Match are not affected: each render has its own ETag.
    return int(entry.rendered) <= since


async def _send_entry(entry: Entry, scope: Scope, headers: dict[bytes, bytes],
                      send: Send) -> None:
    coding = _choose_coding(entry, headers.get(b"accept-encoding", b""))
    body = entry.bodies[coding]
    common: Headers = [
        (b"etag", entry.etags[coding]),
        (b"last-modified", entry.last_modified),
        (b"cache-control", entry.cache_control),
    ]
    if len(entry.bodies) > 1:
        common.append((b"vary", b"Accept-Encoding"))
    if _not_modified(entry, headers):
        # The 304 repeats the stored headers too, so that CORS headers reach scripts.
        await send({"type": "http.response.start", "status": 304,
                    "headers": [*entry.headers, *common]})
        await send({"type": "http.response.body", "body": b""})
        return
    response_headers = [*entry.headers, *common, (b"content-length", str(len(body)).encode())]
    if coding != "identity":
        response_headers.append((b"content-encoding", coding.encode()))
    await send({"type": "http.response.start", "status": entry.status,
                "headers": response_headers})
    await send({"type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else body})


async def _send_unavailable(scope: Scope, send: Send) -> None:
    """Send 503 for a public address with nothing stored while the database is down."""
    from django.utils.translation import gettext

    body = gettext("This status page is unavailable for a moment because its database does "
                   "not respond. Try again in a few seconds.").encode() + b"\n"
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(UNAVAILABLE_RETRY_SECONDS).encode()),
        (b"cache-control", b"no-store"),
    ]})
    await send({"type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else body})


def build_application(inner: ASGIApp) -> EdgeApplication:
    """Return the layer in front of `inner`, with stores sized and placed by the settings."""
    from django.conf import settings

    local = LocalStore(max_bytes=settings.HELIOGRAPH_EDGE_CACHE_MB * 1024 * 1024)
    shared = None
    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "heliograph")
        shared = SharedStore(settings.REDIS_URL, prefix)
    return EdgeApplication(inner, local=local, shared=shared, proxy_header=proxy_ssl_header())
