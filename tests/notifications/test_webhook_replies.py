"""Webhook receivers that reply with huge, slow or redirected bodies.

Each receiver is a raw socket server on 127.0.0.1, so the test controls every byte of the
reply. The receivers are allowed by HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.notifications import sending, webhooks
from heliograph.notifications.models import Delivery, DeliveryStatus
from tests.notifications.test_webhooks import add, open_incident

pytestmark = pytest.mark.django_db

MIB = 1 << 20


class RawReceiver:
    """A TCP server that reads one HTTP request per connection and runs `reply` on it.

    `finished` counts the replies written in full: a client that stops reading early
    closes the connection, and the write fails.
    """

    def __init__(self, reply: Callable[[socket.socket, RawReceiver], None]) -> None:
        self.reply = reply
        self.finished = 0
        self.requests = 0
        self.port = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            _read_request(connection)
            self.requests += 1
            try:
                self.reply(connection, self)
            except OSError:
                return
            self.finished += 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.listener.close()


def _read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0].split(b":", 1)[1]) if lengths else 0
    while len(body) < length:
        body += connection.recv(65536)


def huge_error(connection: socket.socket, receiver: RawReceiver) -> None:
    """Reply 500 with a 256 MiB chunked body."""
    connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (MIB, b"e" * MIB)
    for _ in range(256):
        connection.sendall(chunk)
    connection.sendall(b"0\r\n\r\n")


def huge_success(connection: socket.socket, receiver: RawReceiver) -> None:
    """Reply 200 with a 256 MiB body."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (256 * MIB))
    for _ in range(256):
        connection.sendall(b"s" * MIB)


def dripping(connection: socket.socket, receiver: RawReceiver) -> None:
    """Reply 500 with a 60-byte body sent one byte every half second."""
    connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 60\r\n\r\n")
    for _ in range(60):
        connection.sendall(b"d")
        time.sleep(0.5)


@pytest.fixture
def receivers(settings: Any) -> Iterator[list[RawReceiver]]:
    settings.HELIOGRAPH_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    settings.HELIOGRAPH_BASE_URL = "https://status.heliograph.test"
    started: list[RawReceiver] = []
    yield started
    for receiver in started:
        receiver.close()


def send_once(page: Page, actor: Actor, url: str) -> tuple[Delivery, float]:
    add(page, url)
    open_incident(page, actor)
    started = time.monotonic()
    sending.send_due()
    return Delivery.objects.get(channel="webhook"), time.monotonic() - started


def test_huge_error_body_read_partly(page: Page, actor: Actor,
                                     receivers: list[RawReceiver]) -> None:
    receiver = RawReceiver(huge_error)
    receivers.append(receiver)

    delivery, _seconds = send_once(page, actor, receiver.url)

    assert delivery.status == DeliveryStatus.PENDING
    assert "HTTP 500 Internal Server Error: eee" in delivery.last_error
    assert len(delivery.last_error) < 300
    assert receiver.requests == 1
    assert receiver.finished == 0, "the whole 256 MiB body was read"


def test_huge_success_body_not_read(page: Page, actor: Actor,
                                    receivers: list[RawReceiver]) -> None:
    receiver = RawReceiver(huge_success)
    receivers.append(receiver)

    delivery, _seconds = send_once(page, actor, receiver.url)

    assert delivery.status == DeliveryStatus.SENT
    assert receiver.finished == 0, "the whole 256 MiB body was read"


def test_huge_redirect_body_read_partly(page: Page, actor: Actor,
                                        receivers: list[RawReceiver]) -> None:
    target = RawReceiver(lambda connection, _receiver: connection.sendall(
        b"HTTP/1.1 204 No Content\r\n\r\n"))

    def redirect(connection: socket.socket, receiver: RawReceiver) -> None:
        connection.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\n"
                           b"Content-Length: %d\r\n\r\n" % (target.url.encode(), 256 * MIB))
        for _ in range(256):
            connection.sendall(b"r" * MIB)

    first = RawReceiver(redirect)
    receivers.extend([target, first])

    delivery, _seconds = send_once(page, actor, first.url)

    assert delivery.status == DeliveryStatus.SENT
    assert target.requests == 1
    assert first.finished == 0, "the whole 256 MiB redirect body was read"


def test_dripping_body_times_out(page: Page, actor: Actor, receivers: list[RawReceiver],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "SEND_DEADLINE_SECONDS", 2.0)
    receiver = RawReceiver(dripping)
    receivers.append(receiver)

    delivery, seconds = send_once(page, actor, receiver.url)

    assert delivery.status == DeliveryStatus.PENDING
    assert "ReadTimeout" in delivery.last_error
    assert "longer than 2 seconds" in delivery.last_error
    assert seconds < 10, f"the send took {seconds:.1f} s"
