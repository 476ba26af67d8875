"""Tests of `heliograph-admin serve`, run as the operator runs it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.commands.conftest import ADMIN, Run, admin_environment, stop_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, server: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited with {server.returncode}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout} s")


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


@pytest.fixture
def served(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    server = subprocess.Popen(
        [str(ADMIN), "serve", "--port", str(port), "--workers", "2"],
        env=admin_environment(data_dir), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        yield server, port
    finally:
        stop_server(server)


def test_serve_answers_through_django(served: tuple[subprocess.Popen[str], int]) -> None:
    server, port = served

    response = wait_for_http(f"http://127.0.0.1:{port}/no-such-page-here", server)

    assert response.status_code == 404
    # Django's security middleware adds this header: the request reached the application.
    assert response.headers["x-content-type-options"] == "nosniff"


def test_serve_starts_requested_workers(served: tuple[subprocess.Popen[str], int]) -> None:
    server, port = served

    wait_for_http(f"http://127.0.0.1:{port}/", server)

    arguments = Path(f"/proc/{server.pid}/cmdline").read_text().split("\0")
    assert len(child_pids(server.pid)) == 2
    environment = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
    assert arguments[arguments.index("--interface") + 1] == "asgi"
    assert "heliograph.asgi:application" in arguments
    assert b"HELIOGRAPH_WEB_THREADS=8" in environment
    assert b"HELIOGRAPH_LOG_FORMAT=json" in environment


def test_serve_collects_static_files_first(served: tuple[subprocess.Popen[str], int],
                                           data_dir: Path) -> None:
    server, port = served

    wait_for_http(f"http://127.0.0.1:{port}/", server)

    assert (data_dir / "static" / "staticfiles.json").exists()


def test_serve_stops_on_sigterm(served: tuple[subprocess.Popen[str], int]) -> None:
    server, port = served
    wait_for_http(f"http://127.0.0.1:{port}/", server)
    workers = child_pids(server.pid)

    stop_server(server)

    assert server.returncode == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_serve_prints_address(served: tuple[subprocess.Popen[str], int]) -> None:
    server, port = served
    wait_for_http(f"http://127.0.0.1:{port}/", server)

    stop_server(server)

    assert server.stderr is not None
    expected = f"Serving Heliograph on http://127.0.0.1:{port}/ with 2 worker processes of 8"
    assert expected in server.stderr.read()


def test_serve_port_in_use_names_option(admin: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = admin("serve", "--port", str(port))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"--port: cannot listen on 127.0.0.1 port {port}" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--port", "70000"], "argument --port: 70000 is out of range"),
        (["--port", "http"], "argument --port: 'http' is not a port number"),
        (["--workers", "0"], "argument --workers: 0 is too small"),
    ],
)
def test_serve_rejects_bad_option(admin: Run, arguments: list[str], fragment: str) -> None:
    result = admin("serve", *arguments)

    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_rejects_host_name(admin: Run) -> None:
    result = admin("serve", "--host", "example.com")

    assert result.returncode == 1
    assert "--host: 'example.com' is not an IP address" in result.stderr
