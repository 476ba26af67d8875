"""Requests crafted to get a wrong variant, a wrong 304, or memory out of the ASGI layer."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from typing import Any

import pytest
from django.db import OperationalError

from heliograph.domain.audit import touch
from heliograph.domain.models import Page
from heliograph.edge import versions as versions_module
from heliograph.edge.app import EdgeApplication
from heliograph.edge.store import LocalStore, build_entry
from heliograph.edge.versions import VersionMap
from tests.edge import aio
from tests.edge.test_layer import Origin, acme, layer, request

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["acme"]


def test_if_modified_since_in_future_ignored(acme: Page) -> None:
    app = layer(Origin(acme, []))
    request(app)
    future = formatdate(time.time() + 86_400, usegmt=True).encode()
    now = formatdate(time.time(), usegmt=True).encode()

    ahead = request(app, (b"if-modified-since", future))
    current = request(app, (b"if-modified-since", now))

    assert ahead[0] == 200
    assert ahead[2].startswith(b"<p>status")
    assert current[0] == 304


@pytest.mark.parametrize(("accept", "coding"), [
    (b"gzip;q=0.5;level=1", b"gzip"),
    (b"gzip; q=0.8 , br;q=0.2", b"gzip"),
    (b"br;q=0, gzip", b"gzip"),
    (b"br;q=0, gzip;q=0, *", None),
    (b"*;q=0", None),
    (b"gzip;q=0.000", None),
    (b"gzip;q=nonsense", None),
    (b"*", b"br"),
    (b"GZIP, BR", b"br"),
])
def test_coding_follows_q_values(acme: Page, accept: bytes, coding: bytes | None) -> None:
    app = layer(Origin(acme, []))

    status, headers, body = request(app, (b"accept-encoding", accept))

    assert status == 200
    assert headers.get(b"content-encoding") == coding
    if coding is None:
        assert body.startswith(b"<p>status")


class EchoOrigin(Origin):
    """Answers with the value of one request header in the body, as a scheme-aware view."""

    def __init__(self, page: Page, header: bytes) -> None:
        super().__init__(page, [])
        self.header = header

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen = dict(scope["headers"]).get(self.header, b"-")
        self.calls.append(dict(scope["headers"]))
        label = f"{self.page.pk} {self.page.version} 9999999999".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/html; charset=utf-8"), (b"x-heliograph-edge", label),
        ]})
        await send({"type": "http.response.body", "body": b"<p>" + seen * 50})


def test_proxy_tls_header_separates_variants(acme: Page) -> None:
    origin = EchoOrigin(acme, b"x-forwarded-ssl")
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=VersionMap(),
                          proxy_header=b"x-forwarded-ssl")

    plain = request(app)
    secure = request(app, (b"x-forwarded-ssl", b"on"))
    plain_again = request(app)

    assert len(origin.calls) == 2
    assert b"on" not in plain[2]
    assert b"on" in secure[2]
    assert plain_again[2] == plain[2]


def test_long_addresses_count_against_budget(acme: Page) -> None:
    store = LocalStore(max_bytes=200_000)
    entry = build_entry(page_id=acme.pk, version=acme.version, expires=time.time() + 60,
                        status=200, headers=[(b"content-type", b"image/svg+xml")],
                        cache_control=b"public", body=b"<svg/>", content_type=b"image/svg+xml",
                        view_etag=b"")

    for number in range(200):
        store.put(f"http||127.0.0.1|/p/acme/badge.svg|{number}={'x' * 8_000}", entry)

    held = len(store) * (8_000 + entry.size)
    assert store.bytes <= 200_000
    assert held <= 200_000


def test_hung_version_read_serves_stored(acme: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version read that does not return (a locked table) does not hold requests."""
    origin = Origin(acme, [])
    versions = VersionMap()
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=versions)
    request(app)
    release = threading.Event()
    read = versions_module.read_versions

    def held_read() -> dict[int, int]:
        release.wait(30)
        return read()

    async def three_requests() -> list[float]:
        # One event loop, as in a server process.
        timings = []
        for _ in range(3):
            started = time.monotonic()
            status, body = await _get(app)
            timings.append(time.monotonic() - started)
            assert status == 200
            assert body.startswith(b"<p>status")
        return timings

    monkeypatch.setattr(versions_module, "read_versions", held_read)
    versions.expire()
    try:
        timings = aio.run(three_requests())
    finally:
        release.set()

    assert len(origin.calls) == 1
    assert timings[0] < versions_module.READ_TIMEOUT_SECONDS + 0.5
    # Later requests do not wait again for the read that is still running.
    assert max(timings[1:]) < 0.2


async def _get(app: EdgeApplication, path: str = "/p/acme/", query: bytes = b""
               ) -> tuple[int, bytes]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app({"type": "http", "method": "GET", "path": path, "query_string": query,
               "scheme": "http", "headers": [(b"host", b"127.0.0.1")]}, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


class AddressOrigin(Origin):
    """Answers with the path and query string it was asked for."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls.append(dict(scope["headers"]))
        label = f"{self.page.pk} {self.page.version} 9999999999".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/plain"), (b"x-heliograph-edge", label),
        ]})
        await send({"type": "http.response.body",
                    "body": scope["path"].encode() + b"?" + scope["query_string"]})


def test_separator_in_path_makes_no_other_address(acme: Page) -> None:
    origin = AddressOrigin(acme, [])
    app = layer(origin)

    async def both() -> list[tuple[int, bytes]]:
        return [await _get(app, "/p/acme/", b"x|"), await _get(app, "/p/acme/|x", b""),
                await _get(app, '/p/acme/", "', b""), await _get(app, "/p/acme/", b'", "')]

    answers = aio.run(both())

    assert [body for _status, body in answers] == [
        b"/p/acme/?x|", b"/p/acme/|x?", b'/p/acme/", "?', b'/p/acme/?", "']
    assert len(origin.calls) == 4


def test_version_read_in_time_still_waited_for(acme: Page,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    versions = VersionMap()
    read = versions_module.read_versions

    def slow_read() -> dict[int, int]:
        time.sleep(0.3)
        return read()

    monkeypatch.setattr(versions_module, "read_versions", slow_read)

    result = aio.run(versions.current())

    assert result is not None
    assert result[acme.pk] == acme.version


def test_long_query_string_not_stored(acme: Page) -> None:
    origin = Origin(acme, [])
    store = LocalStore(max_bytes=1_000_000)
    app = EdgeApplication(origin, local=store, versions=VersionMap())

    async def twice(query: bytes) -> list[tuple[int, bytes]]:
        return [await _get(app, "/p/acme/", query), await _get(app, "/p/acme/", query)]

    long_answers = aio.run(twice(b"x=" + b"a" * 4_000))
    short_answers = aio.run(twice(b"page=2"))

    assert [status for status, _body in long_answers + short_answers] == [200] * 4
    assert len(origin.calls) == 3
    assert len(store) == 1
    # The origin's label is not stored, and Django gets no render header for such a request.
    assert b"x-heliograph-edge-render" not in origin.calls[0]


class FailingOrigin(Origin):
    """Answers like Origin until `failing` is set, then with a server error."""

    failing = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.failing:
            await super().__call__(scope, receive, send)
            return
        self.calls.append(dict(scope["headers"]))
        await send({"type": "http.response.start", "status": 500,
                    "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<h1>Server Error</h1>"})


def test_server_error_answered_with_previous_render(acme: Page) -> None:
    origin = FailingOrigin(acme, [])
    versions = VersionMap()
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=versions)
    first = request(app)

    touch(acme)
    versions.expire()
    origin.failing = True
    during = request(app)
    other = request(app, path="/p/acme/history")

    assert len(origin.calls) == 3
    assert during[0] == 200
    assert during[2] == first[2]
    # An address never rendered gets Django's error: the database answers, so it is a bug.
    assert other[0] == 500


def test_database_down_without_render_gives_503(acme: Page,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    origin = FailingOrigin(acme, [])
    origin.failing = True
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=VersionMap())

    def read_without_database() -> dict[int, int]:
        raise OperationalError("connection refused")

    monkeypatch.setattr(versions_module, "read_versions", read_without_database)
    status, headers, body = request(app)

    assert status == 503
    assert headers[b"retry-after"] == b"5"
    assert headers[b"cache-control"] == b"no-store"
    assert b"database does not respond" in body
