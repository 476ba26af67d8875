"""Rules of the ASGI layer: what it stores, and which requests it serves from the store.

The layer runs in front of a small ASGI application of the test that counts its calls and
responds with chosen headers, labelled for a real page of the test database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from heliograph.domain.audit import touch
from heliograph.domain.models import Page
from heliograph.edge.app import EdgeApplication
from heliograph.edge.store import LocalStore
from heliograph.edge.versions import VERSIONS, VersionMap
from tests.edge import aio

pytestmark = pytest.mark.django_db(transaction=True)


class Origin:
    """An ASGI application that answers every request with `headers` and counts the calls."""

    def __init__(self, page: Page, headers: list[tuple[bytes, bytes]]) -> None:
        self.page = page
        self.headers = headers
        self.calls: list[dict[bytes, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls.append(dict(scope["headers"]))
        label = f"{self.page.pk} {self.page.version} 9999999999".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/html; charset=utf-8"), (b"x-heliograph-edge", label),
            *self.headers,
        ]})
        await send({"type": "http.response.body", "body": b"<p>" + b"status " * 100})


def request(app: EdgeApplication, *headers: tuple[bytes, bytes], path: str = "/p/acme/"
            ) -> tuple[int, dict[bytes, bytes], bytes]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
             "scheme": "http", "headers": [(b"host", b"127.0.0.1"), *headers]}
    aio.run(app(scope, receive, send))
    start = messages[0]
    body = b"".join(message.get("body", b"") for message in messages[1:])
    return start["status"], dict(start["headers"]), body


def layer(origin: Origin) -> EdgeApplication:
    return EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=VersionMap())


@pytest.fixture
def acme(make_page: Callable[..., Page]) -> Page:
    page = make_page()
    # The stored row's version is past the one of the returned object.
    page.refresh_from_db()
    return page


def test_public_response_stored_once(acme: Page) -> None:
    origin = Origin(acme, [])
    app = layer(origin)

    statuses = [request(app)[0] for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(origin.calls) == 1


def test_render_request_loses_client_validators(acme: Page) -> None:
    origin = Origin(acme, [])
    app = layer(origin)

    request(app, (b"accept-encoding", b"gzip"), (b"if-none-match", b'"abc"'),
            (b"x-heliograph-edge-render", b"0"))

    assert b"accept-encoding" not in origin.calls[0]
    assert b"if-none-match" not in origin.calls[0]
    assert origin.calls[0][b"x-heliograph-edge-render"] == b"1"


@pytest.mark.parametrize("header", [
    (b"set-cookie", b"sessionid=abc; HttpOnly"),
    (b"vary", b"Cookie"),
    (b"vary", b"Accept-Encoding, Accept-Language"),
    (b"cache-control", b"private, max-age=60"),
    (b"cache-control", b"no-store"),
])
def test_personal_response_not_stored(acme: Page, header: tuple[bytes, bytes]) -> None:
    origin = Origin(acme, [header])
    app = layer(origin)

    first = request(app)
    second = request(app)

    assert len(origin.calls) == 2
    assert first[1][header[0]] == header[1]
    assert b"x-heliograph-edge" not in first[1]
    assert second[0] == 200


def test_unlabelled_response_not_stored(acme: Page) -> None:
    origin = Origin(acme, [])
    origin_without_label = _Unlabelled(origin)
    app = EdgeApplication(origin_without_label, local=LocalStore(max_bytes=1_000_000),
                          versions=VersionMap())

    request(app)
    request(app)

    assert origin_without_label.calls == 2


def test_authorization_bypasses_store(acme: Page) -> None:
    origin = Origin(acme, [])
    app = layer(origin)
    request(app)

    request(app, (b"authorization", b"Bearer x"))
    request(app, (b"authorization", b"Bearer x"))

    assert len(origin.calls) == 3
    assert b"x-heliograph-edge-render" not in origin.calls[1]


def test_version_bump_renders_again(acme: Page) -> None:
    origin = Origin(acme, [])
    versions = VersionMap()
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=versions)
    request(app)

    touch(acme)
    acme.refresh_from_db()
    versions.expire()
    request(app)
    request(app)

    assert len(origin.calls) == 2


def test_deleted_page_renders_again(acme: Page) -> None:
    origin = Origin(acme, [])
    versions = VersionMap()
    app = EdgeApplication(origin, local=LocalStore(max_bytes=1_000_000), versions=versions)
    request(app)

    Page.objects.filter(pk=acme.pk).delete()
    versions.expire()
    request(app)

    assert len(origin.calls) == 2


def test_store_drops_least_recent(acme: Page) -> None:
    origin = Origin(acme, [])
    store = LocalStore(max_bytes=6_000)
    app = EdgeApplication(origin, local=store, versions=VersionMap())

    for number in range(5):
        request(app, path=f"/p/acme/history?page={number}")

    assert store.bytes <= 6_000
    assert 0 < len(store) < 5


class _Unlabelled:
    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1

        async def strip(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [
                    (name, value) for name, value in message["headers"]
                    if name != b"x-heliograph-edge"
                ]}
            await send(message)

        await self.origin(scope, receive, strip)


def test_committed_change_expires_versions(acme: Page) -> None:
    VERSIONS.read_at = time.monotonic()
    generation = VERSIONS.generation

    touch(acme)

    assert VERSIONS.read_at == float("-inf")
    assert VERSIONS.generation == generation + 1
