"""The WSGI bridge sends 413 for a request body past its limit, without calling Django and
without keeping more than the limit of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx

from heliograph.edge.wsgi_bridge import WsgiBridge
from tests.edge import aio
from tests.edge.servers import Site

LIMIT = 1000


class CountingApp:
    """A WSGI application that records the size of each body it reads."""

    def __init__(self) -> None:
        self.bodies: list[int] = []

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.bodies.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def post(app: WsgiBridge, chunks: list[bytes], length: int | None) -> tuple[int, bytes]:
    pending = [{"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
               for index, chunk in enumerate(chunks)]
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    headers = [(b"host", b"127.0.0.1")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/api/v1/pages", "query_string": b"",
             "scheme": "http", "headers": headers}
    aio.run(app(scope, receive, send))
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


def test_declared_length_over_limit_rejected() -> None:
    wsgi = CountingApp()
    app = WsgiBridge(wsgi, threads=1, max_body_bytes=LIMIT)

    status, body = post(app, [b"x" * 10], length=LIMIT + 1)

    assert status == 413
    assert f"larger than {LIMIT} bytes".encode() in body
    assert wsgi.bodies == []


def test_streamed_body_over_limit_rejected() -> None:
    wsgi = CountingApp()
    app = WsgiBridge(wsgi, threads=1, max_body_bytes=LIMIT)

    status, _body = post(app, [b"x" * 600, b"x" * 600, b"x" * 600], length=None)

    assert status == 413
    assert wsgi.bodies == []


def test_body_at_limit_reaches_application() -> None:
    wsgi = CountingApp()
    app = WsgiBridge(wsgi, threads=1, max_body_bytes=LIMIT)

    status, body = post(app, [b"x" * 500, b"x" * 500], length=LIMIT)

    assert status == 200
    assert body == b"ok"
    assert wsgi.bodies == [LIMIT]


def test_server_rejects_huge_body(acme_site: Site) -> None:
    base = acme_site.serve()

    huge = httpx.post(f"{base}/api/v1/pages", content=b"x" * (40 * 1024 * 1024), timeout=60,
                      headers={"Authorization": f"Bearer {acme_site.token}"})
    normal = httpx.get(f"{base}/p/acme/", timeout=30)

    assert huge.status_code == 413
    assert normal.status_code == 200
