"""`heliograph-admin` processes (worker, serve) and a webhook receiver for the resilience tests."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.edge.servers import ADMIN, free_port
from tests.notifications.smtp_sink import SinkHandler


def environment(data_dir: Path, *, database_url: str, redis_url: str, smtp_port: int
                ) -> dict[str, str]:
    """Return the environment of processes that share one PostgreSQL database and one Redis."""
    dropped = {"DATABASE_URL", "REDIS_URL", "HELIOGRAPH_TASKS_IMMEDIATE", "DEBUG",
               "PYTEST_XDIST_WORKER"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    data_dir.mkdir(parents=True, exist_ok=True)
    env |= {
        "HELIOGRAPH_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "heliograph.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HELIOGRAPH_CACHE_PREFIX": f"resilience-{uuid.uuid4().hex[:8]}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=5",
        "HELIOGRAPH_FROM_EMAIL": "status@heliograph.test",
        "HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
        "HELIOGRAPH_ACCESS_LOG": "false",
        "LOG_LEVEL": "INFO",
    }
    return env


def admin(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(ADMIN), *args], env=env, capture_output=True, text=True,
                            timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stdout


def start_process(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start `heliograph-admin ARGS` in its own process group, its output appended to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen([str(ADMIN), *args], env=env, stdin=subprocess.DEVNULL,
                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, how)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> float:
    """Poll `condition` every 50 ms until it is true; return the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `heliograph-admin serve` with one process of 4 threads; return it and its URL."""
    port = free_port()
    server = start_process(env, log, "serve", "--host", "127.0.0.1", "--port", str(port),
                           "--workers", "1", "--threads", "4")
    base = f"http://127.0.0.1:{port}"

    def responds() -> bool:
        assert server.poll() is None, log.read_text()
        try:
            httpx.get(f"{base}/healthz", timeout=5)
        except httpx.TransportError:
            return False
        return True

    wait_until(responds, 90, f"{base} to respond")
    return server, base


def emails_by_recipient(handler: SinkHandler) -> dict[str, list[str]]:
    """Return the Message-ID of each copy received, by recipient."""
    ids: dict[str, list[str]] = collections.defaultdict(list)
    with handler.lock:
        for received in handler.received:
            ids[received.to[0]].append(str(received.message["Message-ID"]))
    return ids


class HookReceiver:
    """An HTTP server on 127.0.0.1 that answers 200 to each POST and stores its delivery id.

    Each webhook subscriber gets its own path under `url`, so `by_path` tells them apart.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_path: dict[str, list[str]] = collections.defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.by_path[self.path].append(
                        str(self.headers.get("X-Heliograph-Delivery")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def copies(self) -> dict[str, list[str]]:
        with self.lock:
            return {path: list(ids) for path, ids in self.by_path.items()}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
