"""`heliograph-admin finger`, run as the operator runs it."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.conftest import ADMIN, Run, admin_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ask(port: int, request: bytes, *, wait: float = 30) -> bytes:
    """Send a query once the server listens; return its whole response."""
    deadline = time.monotonic() + wait
    while True:
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer


@pytest.fixture
def acme(admin: Run) -> None:
    created = admin("createuser", "--email", "alice@example.com", "--password-stdin",
                    input="a long passphrase\n")
    assert created.returncode == 0, created.stderr
    page = admin("page", "create", "acme", "--title", "Acme Status", "--owner",
                 "alice@example.com", "--time-zone", "Europe/Zurich")
    assert page.returncode == 0, page.stderr


@pytest.fixture
def finger(data_dir: Path, acme: None) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    server = subprocess.Popen(
        [str(ADMIN), "finger", "--port", str(port), "--timeout", "2"],
        env=admin_environment(data_dir), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        yield server, port
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_finger_answers_and_stops(finger):
    server, port = finger

    answer = ask(port, b"acme\r\n")
    listing = ask(port, b"\r\n")
    server.send_signal(signal.SIGTERM)
    _, err = server.communicate(timeout=20)

    assert answer.startswith(b"Acme Status (acme)\r\nStatus: Operational - ")
    assert b"  acme  Acme Status\r\n" in listing
    assert server.returncode == 0
    assert f"Answering finger queries on 127.0.0.1 port {port}" in err
    assert "Stopped the finger server." in err


def test_finger_port_in_use(admin: Run):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = admin("finger", "--port", str(port))

    assert result.returncode == 1
    assert f"--port: cannot listen on 127.0.0.1 port {port}" in result.stderr
    assert "choose another port" in result.stderr


@pytest.mark.parametrize("option, value, message", [
    ("--port", "99999", "99999 is out of range"),
    ("--timeout", "0", "0 is out of range: give 0.1 to 60 seconds"),
    ("--max-connections", "0", "0 is too small"),
])
def test_finger_rejects_bad_options(admin: Run, option, value, message):
    result = admin("finger", option, value)

    assert result.returncode == 2
    assert message in result.stderr
