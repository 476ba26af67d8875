"""Run a WSGI application (Django's) from ASGI, on a fixed pool of threads.

Django's own ASGI handler runs each request's sync code in a thread of that request, so it
cannot keep database connections between requests. In one wrk run (`-t2 -c50`, 2 workers,
2 cores) on `/api/v1/pages` without a token, Granian served 424 req/s through Django's ASGI
handler, 2,905 req/s through Granian's WSGI interface, and 1,529 req/s through this bridge.
Each pool thread keeps its database connection as under a WSGI server (CONN_MAX_AGE).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from heliograph.edge.app import ASGIApp, Message, Receive, Scope, Send

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Request bodies larger than this are spooled to a temporary file, in bytes.
SPOOL_BYTES = 1024 * 1024
# Request bodies larger than this get 413 without reaching Django, in bytes. The largest
# bodies Heliograph accepts are API requests (HELIOGRAPH_MAX_BODY_BYTES) and logo uploads
# (512 KiB); see `max_body_bytes` in heliograph/asgi.py.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class BodyTooLarge(Exception):
    """The request body is longer than the bridge accepts."""


class WsgiBridge:
    """An ASGI application that runs `wsgi` for each HTTP request on one of `threads`."""

    def __init__(self, wsgi: WSGIApp, *, threads: int,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.wsgi = wsgi
        self.max_body_bytes = max_body_bytes
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"the WSGI bridge serves HTTP only, not {scope['type']!r}")
        try:
            body = await _read_body(receive, _declared_length(scope), self.max_body_bytes)
        except BodyTooLarge:
            await _send_too_large(send, self.max_body_bytes)
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self._run, scope, body, send, loop)
        finally:
            body.close()

    def _run(self, scope: Scope, body: IO[bytes], send: Send,
             loop: asyncio.AbstractEventLoop) -> None:
        async def send_one(message: Message) -> None:
            await send(message)

        def deliver(message: Message) -> None:
            asyncio.run_coroutine_threadsafe(send_one(message), loop).result()

        status_line: list[str] = []
        response_headers: list[tuple[bytes, bytes]] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Callable[[bytes], None]:
            status_line[:] = [status]
            response_headers[:] = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                                   for name, value in headers]
            return lambda _data: None

        result = self.wsgi(_environ(scope, body), start_response)
        started = False
        try:
            for chunk in result:
                if not started:
                    deliver(_start(status_line, response_headers))
                    started = True
                if chunk:
                    deliver({"type": "http.response.body", "body": chunk, "more_body": True})
            if not started:
                deliver(_start(status_line, response_headers))
            deliver({"type": "http.response.body", "body": b""})
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def _start(status_line: list[str], headers: list[tuple[bytes, bytes]]) -> Message:
    return {"type": "http.response.start", "status": int(status_line[0].split(" ", 1)[0]),
            "headers": headers}


def _declared_length(scope: Scope) -> int:
    """Return the request's Content-Length, or 0 when it has none or an invalid one."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _read_body(receive: Receive, declared: int, max_bytes: int) -> IO[bytes]:
    """Read the whole request body, or raise BodyTooLarge once it exceeds `max_bytes`.

    A Content-Length above `max_bytes` raises before any byte is read.
    """
    if declared > max_bytes:
        raise BodyTooLarge
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            body.close()
            raise BodyTooLarge
        body.write(chunk)
        if not message.get("more_body", False):
            break
    body.seek(0)
    return body


async def _send_too_large(send: Send, max_bytes: int) -> None:
    message = (f"The request body is larger than {max_bytes} bytes, the maximum this server "
               "accepts. Send a smaller body.\n").encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(message)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": message})


def _environ(scope: Scope, body: IO[bytes]) -> dict[str, Any]:
    """Return the WSGI environ of an ASGI HTTP scope (PEP 3333)."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root_path = scope.get("root_path", "")
    path = scope["path"].removeprefix(root_path) if root_path else scope["path"]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode().decode("latin-1"),
        # WSGI carries the path as bytes decoded as latin-1.
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            key = "CONTENT_TYPE"
        elif name == "CONTENT_LENGTH":
            key = "CONTENT_LENGTH"
        else:
            key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def bridge(wsgi: WSGIApp, threads: int,
           max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> ASGIApp:
    """Return `wsgi` as an ASGI application on `threads` threads."""
    return WsgiBridge(wsgi, threads=threads, max_body_bytes=max_body_bytes)
